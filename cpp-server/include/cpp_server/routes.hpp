// What each request gets: routing by method and target, and the response bytes.
#pragma once

#include <boost/beast/http/status.hpp>
#include <boost/beast/http/verb.hpp>
#include <chrono>
#include <string>
#include <string_view>

namespace cpp_server {

enum class Endpoint {
  hello,               // GET /
  json,                // GET /json
  user,                // GET /user
  io_wait,             // GET /io?ms=N: answered as `hello` after N ms
  bad_io_wait,         // /io with a missing or out-of-range ms
  not_found,           // any other path
  method_not_allowed,  // a known path with a method other than GET
};

struct Route {
  Endpoint endpoint;
  std::chrono::milliseconds io_wait{0};
};

inline constexpr long long max_io_wait_ms = 10'000;

// Routes on the exact path (the target up to '?'); only GET is served.
Route route(boost::beast::http::verb method, std::string_view target);

// How a response ends the exchange. HTTP/1.0 requests get an HTTP/1.0 status line.
struct Framing {
  unsigned version = 11;  // 10 or 11, as Beast reports it
  bool keep_alive = true;
};

// Appends the whole response for an endpoint (io_wait answers as hello) to `out`: status line,
// Server, Date, Content-Type, Content-Length, Allow on 405, Connection when it is not the
// version's default, then the body. JSON bodies are serialised with Boost.JSON on every call.
void append_response(std::string& out, Endpoint endpoint, Framing framing);

// Appends the response to a request that could not be parsed (400, 413 or 431); it always
// carries Connection: close.
void append_error_response(std::string& out, boost::beast::http::status status);

}  // namespace cpp_server
