// What each request gets: routing by method and target, and the response bytes.
#pragma once

#include <boost/beast/http/status.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/json/fwd.hpp>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace cpp_server {

enum class Endpoint {
  hello,                      // GET /
  json,                       // GET /json
  user,                       // GET /user
  io_wait,                    // GET /io?ms=N: answered as `hello` after N ms
  bad_io_wait,                // /io with a missing or out-of-range ms
  user_record,                // GET /users/{id}: answered by service_routes.hpp (needs the store)
  bad_user_id,                // /users/{id} with an id that is not 1 to 18 decimal digits
  orders,                     // POST /orders: answered by service_routes.hpp (needs the body)
  db_user,                    // GET /db/users/{id}: answered by db_routes.hpp after a query
  db_sleep,                   // GET /db/sleep?ms=N: answered by db_routes.hpp after a query
  not_found,                  // any other path
  method_not_allowed,         // a known GET path with another method (Allow: GET)
  orders_method_not_allowed,  // /orders with a method other than POST (Allow: POST)
};

struct Route {
  Endpoint endpoint;
  std::chrono::milliseconds io_wait{0};  // of io_wait and db_sleep
  std::uint64_t user_id = 0;             // of user_record and db_user
};

inline constexpr long long max_io_wait_ms = 10'000;

// Routes on the exact path (the target up to '?', never percent-decoded): GET on /, /json,
// /user, /io, /users/{id}, /db/users/{id} and /db/sleep; POST on /orders. A bad id or ms
// (bad_user_id, bad_io_wait) is found here, before any query.
Route route(boost::beast::http::verb method, std::string_view target);

// How a response ends the exchange. HTTP/1.0 requests get an HTTP/1.0 status line.
struct Framing {
  unsigned version = 11;  // 10 or 11, as Beast reports it
  bool keep_alive = true;
};

// Appends the whole response for an endpoint (io_wait answers as hello) to `out`: status line,
// Server, Date, Content-Type, Content-Length, Allow on 405, Connection when it is not the
// version's default, then the body. JSON bodies are serialised with Boost.JSON on every call.
// user_record and orders need the store or the body: see service_routes.hpp; db_user and
// db_sleep a query: see db_routes.hpp.
void append_response(std::string& out, Endpoint endpoint, Framing framing);

// Appends a text/plain; charset=utf-8 response with this status and body, and an Allow field
// when `allow` is not empty.
void append_text_response(std::string& out, Framing framing, boost::beast::http::status status,
                          std::string_view body, std::string_view allow = {});

// Appends a 200 application/json response whose body is `value`, serialised compactly with a
// Boost.JSON serializer reused per thread (bodies up to 2 KiB are staged on the stack).
void append_json_response(std::string& out, Framing framing, const boost::json::value& value);

// Appends the response to a request that could not be parsed (400, 413 or 431); it always
// carries Connection: close.
void append_error_response(std::string& out, boost::beast::http::status status);

}  // namespace cpp_server
