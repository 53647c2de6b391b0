// What each request gets: routing on the target's path and the answer, as a Beast
// http::response<string_body> with its body built by Boost.JSON (boost::json::serialize of
// boost::json::value_from) or as text. The service routes' rules and the store come from
// cpp-server's service module; the database routes' connections from its pg_pool module.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "cpp_server/pg_pool.hpp"
#include "cpp_server/store.hpp"

namespace cpp_stock {

namespace http = boost::beast::http;

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

// What the routes read: the --live-mb store, and the --db pool (null without --db).
struct Services {
  const cpp_server::Store& store;
  cpp_server::pg::Pool* pool = nullptr;
};

// The prepared statements the database routes run, prepared on every pooled connection.
inline constexpr std::string_view user_by_id_statement = "user_by_id";
inline constexpr std::string_view sleep_statement = "sleep";
std::vector<cpp_server::pg::Statement> database_statements();

// The answer to a request that was read whole. A coroutine: /io waits on a timer and /db/...
// on a query; every other route answers at once.
boost::asio::awaitable<Response> handle_request(Request request, const Services& services);

// The answer to a request that could not be read (400, 413 or 431): text/plain, HTTP/1.1,
// Connection: close.
Response error_response(http::status status, std::string_view body);

// The current time as an HTTP date (RFC 7231 IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT").
std::string http_date();

// The path routing looks at: the target up to '?', never percent-decoded, the origin-form part
// of an absolute-form target ("http://host:8080/json?x" routes on "/json").
std::string_view request_path(std::string_view target);

}  // namespace cpp_stock
