// libFuzzer target for the C++ server's request handling, in process: the bytes of a
// connection go through cpp-server's RequestParser and router exactly as server.cpp's
// handle_buffered_requests feeds them (header limit counted across reads, eager body reads,
// the 64 KiB keep limit and the 1 MiB read limit), and every answer must be one well-formed
// HTTP/1.x response with a status the contract knows, the every-answer headers and a
// Content-Length equal to its body. The first input byte sets the size of the reads, so that
// the same request also arrives split at every boundary.
//
// What is not here: the sockets, timers and the database (a /db route answers as without
// --db, 503; /io answers at once). Keep the loop in step with server.cpp when it changes.
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json/parse.hpp>
#include <cstddef>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "cpp_server/db_routes.hpp"
#include "cpp_server/orders.hpp"
#include "cpp_server/request_parser.hpp"
#include "cpp_server/routes.hpp"
#include "cpp_server/service_routes.hpp"
#include "cpp_server/store.hpp"

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;
using namespace cpp_server;

// ServerOptions' defaults (options.hpp): the contract's limits.
constexpr std::size_t kHeaderLimitBytes = 8 * 1024;
constexpr std::uint64_t kBodyLimitBytes = 1024 * 1024;

[[noreturn]] void fail(const char* what, std::string_view detail) {
  std::fprintf(stderr, "request_fuzz: %s\n%.*s\n", what, static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

void check(bool condition, const char* what, std::string_view detail = {}) {
  if (!condition) fail(what, detail);
}

const Store& store() {
  static const Store the_store = build_store(1);  // 1024 records, as the vectors' server
  return the_store;
}

bool known_status(unsigned status) {
  switch (status) {
    case 200: case 400: case 404: case 405: case 413: case 415: case 422: case 431: case 503:
      return true;
    default:
      return false;
  }
}

// The path a request names, worked out here from RFC 9112 3.2 rather than taken from the server:
// origin-form as is; absolute-form ("scheme://authority[/path][?query]", the scheme a letter then
// letters, digits, '+', '-', '.') by its path, "/" when it has none; anything else matches no route.
std::string_view path_of(std::string_view target) {
  if (!target.empty() && target.front() != '/') {
    const auto sep = target.find("://");
    bool scheme = sep != std::string_view::npos && sep > 0 && std::isalpha(static_cast<unsigned char>(target[0]));
    for (std::size_t i = 0; scheme && i < sep; ++i) {
      const unsigned char c = static_cast<unsigned char>(target[i]);
      scheme = std::isalnum(c) || c == '+' || c == '-' || c == '.';
    }
    if (scheme) {
      const auto start = target.find_first_of("/?", sep + 3);
      target = (start == std::string_view::npos || target[start] == '?') ? std::string_view("/")
                                                                          : target.substr(start);
    }
  }
  return target.substr(0, target.find('?'));
}

bool decimal_id(std::string_view id) {
  if (id.empty() || id.size() > 18) return false;
  for (char c : id) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// The router against contract/README.md's /users/{id} rules, worked from the path alone.
void check_route(http::verb method, std::string_view target, const Route& routed) {
  const std::string_view path = path_of(target);
  for (std::string_view prefix : {std::string_view("/users/"), std::string_view("/db/users/")}) {
    if (path.substr(0, prefix.size()) != prefix) continue;
    const std::string_view id = path.substr(prefix.size());
    if (id.find('/') != std::string_view::npos) {
      check(routed.endpoint == Endpoint::not_found, "a path below /users/{id} must be 404", target);
      return;
    }
    if (method != http::verb::get) {
      check(routed.endpoint == Endpoint::method_not_allowed, "/users/{id} not GET: 405", target);
      return;
    }
    if (!decimal_id(id)) {
      check(routed.endpoint == Endpoint::bad_user_id, "a bad id must be 400", target);
      return;
    }
    check(routed.endpoint == Endpoint::user_record || routed.endpoint == Endpoint::db_user,
          "a decimal id must be looked up", target);
    std::uint64_t value = 0;
    for (char c : id) value = value * 10 + static_cast<std::uint64_t>(c - '0');
    check(routed.user_id == value, "the id looked up must be the one in the path", target);
    return;
  }
  if (routed.endpoint == Endpoint::hello) check(path == "/", "only / is hello", target);
  if (routed.endpoint == Endpoint::orders) {
    check(path == "/orders" && method == http::verb::post, "only POST /orders is orders", target);
  }
  if (routed.endpoint == Endpoint::io_wait) {
    check(routed.io_wait.count() >= 0 && routed.io_wait.count() <= max_io_wait_ms,
          "an accepted wait must be 0..10000 ms", target);
  }
}

// One answer, as a client would read it: exactly one response, all its bytes used.
void check_response(std::string_view bytes, std::optional<Endpoint> endpoint,
                    bool keep_alive_expected) {
  http::response_parser<http::string_body> reader;
  reader.eager(true);
  reader.body_limit(1024 * 1024);
  error_code ec;
  const std::size_t used = reader.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
  check(!ec && reader.is_done(), "the answer must parse as one complete HTTP response", bytes);
  check(used == bytes.size(), "the answer must end where its Content-Length says", bytes);
  const auto& response = reader.get();
  const unsigned status = response.result_int();
  check(known_status(status), "the answer's status must be one the contract knows", bytes);
  check(response.count(http::field::server) == 1 && response[http::field::server] == "hellobench",
        "every answer carries exactly Server: hellobench", bytes);
  check(response.count(http::field::date) == 1 && response[http::field::date].size() == 29,
        "every answer carries one IMF-fixdate Date", bytes);
  check(response.count(http::field::content_type) == 1, "every answer carries one Content-Type",
        bytes);
  check(response.count(http::field::content_length) == 1 &&
            response[http::field::content_length] == std::to_string(response.body().size()),
        "every answer carries a Content-Length equal to its body", bytes);
  check(response.count(http::field::transfer_encoding) == 0, "no answer is chunked", bytes);
  check(!response.body().empty(), "every answer has a body", bytes);
  if (status == 405) check(response.count(http::field::allow) == 1, "405 carries Allow", bytes);
  if (keep_alive_expected) check(response.keep_alive(), "the answer must keep the connection", bytes);
  if (response[http::field::content_type] == "application/json") {
    error_code json_ec;
    boost::json::parse(response.body(), json_ec);
    check(!json_ec, "a JSON answer's body must be JSON", bytes);
  }
  if (!endpoint) return;
  switch (*endpoint) {
    case Endpoint::hello:
    case Endpoint::io_wait:
      check(status == 200 && response.body() == "Hello, World!", "hello answers Hello, World!",
            bytes);
      break;
    case Endpoint::not_found:
      check(status == 404, "not_found answers 404", bytes);
      break;
    case Endpoint::bad_user_id:
    case Endpoint::bad_io_wait:
      check(status == 400, "a bad id or ms answers 400", bytes);
      break;
    default:
      break;
  }
}

// server.cpp's append_parse_error_response (in its anonymous namespace there).
void append_parse_error_response(std::string& out, const error_code& ec, http::verb method,
                                 std::string_view target) {
  if (ec == http::error::header_limit) {
    return append_error_response(out, http::status::request_header_fields_too_large);
  }
  if (ec != http::error::body_limit) return append_error_response(out, http::status::bad_request);
  if (route(method, target).endpoint == Endpoint::orders) {
    return append_text_response(out, Framing{11, false}, http::status::payload_too_large,
                                body_too_large_text);
  }
  append_error_response(out, http::status::payload_too_large);
}

class Connection {
 public:
  // Handles what the buffer holds; false once the connection would close.
  bool handle_buffered() {
    for (;;) {
      if (in_.size() == 0) return true;
      if (!parser_) begin_request();
      error_code ec;
      const bool header_was_done = parser_->is_header_done();
      const std::size_t used = parser_->put(in_.data(), ec);
      check(used <= in_.size(), "put() used more than it was given");
      in_.consume(used);
      if (!header_was_done && (!ec || ec == http::error::need_more)) {
        header_bytes_ += used;
        const std::size_t seen = header_bytes_ + (parser_->is_header_done() ? 0 : in_.size());
        if (seen > kHeaderLimitBytes) ec = http::error::header_limit;
      }
      if (ec == http::error::need_more) return true;
      if (ec) {
        std::string out;
        append_parse_error_response(out, ec, parser_->method(), request_.target);
        check_response(out, std::nullopt, false);
        const unsigned status = std::atoi(out.c_str() + 9);
        check(status == 400 || status == 413 || status == 431, "a parse error is 400, 413 or 431",
              out);
        check(out.find("\r\nConnection: close\r\n") != std::string::npos,
              "a parse error closes the connection", out);
        return false;
      }
      if (!parser_->is_done()) {
        if (parser_->is_header_done()) parser_->eager(true);
        if (used == 0) return true;
        continue;
      }
      const http::verb method = parser_->method();
      const Route routed = route(method, request_.target);
      check_route(method, request_.target, routed);
      const Framing framing{parser_->version(), parser_->keep_alive()};
      check(framing.version == 10 || framing.version == 11, "only HTTP/1.0 and 1.1 are answered");
      parser_.reset();
      std::string out;
      switch (routed.endpoint) {
        case Endpoint::io_wait:
          append_response(out, Endpoint::io_wait, framing);
          break;
        case Endpoint::user_record:
          append_user_record_response(out, framing, store(), routed.user_id);
          check(out.find(routed.user_id < store().size() ? " 200 " : " 404 ") == 8,
                "a record below the store's size is 200, else 404", out);
          break;
        case Endpoint::orders: {
          OrderRequest order;
          if (request_.has_content_type) order.content_type = request_.content_type;
          order.body = request_.body;
          order.body_over_limit = request_.body_over_keep_limit;
          append_order_response(out, framing, store(), order);
          break;
        }
        case Endpoint::db_user:
        case Endpoint::db_sleep:
          append_database_unavailable_response(out, framing);
          break;
        default:
          append_response(out, routed.endpoint, framing);
          break;
      }
      check_response(out, routed.endpoint, framing.keep_alive);
      if (!framing.keep_alive) return false;
    }
  }

  void feed(const char* data, std::size_t size) {
    auto space = in_.prepare(size);
    std::memcpy(space.data(), data, size);
    in_.commit(size);
  }

 private:
  void begin_request() {
    request_.clear();
    parser_.emplace(request_, max_order_body_bytes);
    header_bytes_ = 0;
    parser_->eager(false);
    parser_->header_limit(static_cast<std::uint32_t>(kHeaderLimitBytes));
    parser_->body_limit(kBodyLimitBytes);
  }

  beast::flat_buffer in_;
  RequestParts request_;
  std::optional<RequestParser> parser_;
  std::size_t header_bytes_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // 0: the whole input in one read; else reads of 1..255 bytes.
  const std::size_t piece = data[0] == 0 ? size : data[0];
  const char* bytes = reinterpret_cast<const char*>(data + 1);
  const std::size_t length = size - 1;
  Connection connection;
  for (std::size_t at = 0; at < length; at += piece) {
    const std::size_t chunk = piece < length - at ? piece : length - at;
    connection.feed(bytes + at, chunk);
    if (!connection.handle_buffered()) break;
  }
  return 0;
}
