#include "cpp_server/routes.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/serializer.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>
#include <charconv>
#include <cstdint>

#include "cpp_server/http_date.hpp"
#include "cpp_server/store.hpp"
#include "cpp_server/user.hpp"

namespace cpp_server {

namespace http = boost::beast::http;
namespace json = boost::json;

// Boost.JSON conversions, found by argument-dependent lookup from json::value_from.
void tag_invoke(json::value_from_tag, json::value& jv, const Message& message) {
  json::object& object = jv.emplace_object();
  object.emplace("message", message.message);
}

void tag_invoke(json::value_from_tag, json::value& jv, const User& user) {
  json::object& object = jv.emplace_object();
#define CPP_SERVER_COUNT_FIELD(type, field_name) +1
  object.reserve(0 CPP_SERVER_USER_FIELDS(CPP_SERVER_COUNT_FIELD));
#undef CPP_SERVER_COUNT_FIELD
  // One emplace per field, in declaration order; a json::object keeps insertion order.
#define CPP_SERVER_EMPLACE_FIELD(type, field_name) \
  object.emplace(#field_name, json::value_from(user.field_name, object.storage()));
  CPP_SERVER_USER_FIELDS(CPP_SERVER_EMPLACE_FIELD)
#undef CPP_SERVER_EMPLACE_FIELD
}

namespace {

constexpr std::string_view kHelloBody = "Hello, World!";
constexpr std::string_view kTextPlain = "text/plain; charset=utf-8";
constexpr std::string_view kApplicationJson = "application/json";

// The ms parameter of /io: decimal digits only (no sign, no space), 0..max_io_wait_ms.
bool parse_io_wait(std::string_view query, std::chrono::milliseconds& wait) {
  while (!query.empty()) {
    const auto end = query.find('&');
    const std::string_view pair = query.substr(0, end);
    query = end == std::string_view::npos ? std::string_view{} : query.substr(end + 1);
    if (pair.substr(0, 3) != "ms=") continue;
    const std::string_view digits = pair.substr(3);
    std::uint64_t value = 0;
    const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (digits.empty() || ec != std::errc{} || ptr != digits.data() + digits.size() ||
        value > static_cast<std::uint64_t>(max_io_wait_ms)) {
      return false;
    }
    wait = std::chrono::milliseconds(value);
    return true;  // the first ms wins, as with Go's Query().Get
  }
  return false;
}

void append_number(std::string& out, std::uint64_t value) {
  char digits[20];
  const auto result = std::to_chars(std::begin(digits), std::end(digits), value);
  out.append(digits, result.ptr);
}

void append_head(std::string& out, unsigned version, http::status status,
                 std::string_view content_type, std::size_t content_length) {
  out.append(version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
  append_number(out, static_cast<unsigned>(status));
  out.push_back(' ');
  const auto reason = http::obsolete_reason(status);
  out.append(reason.data(), reason.size());
  out.append("\r\nServer: hellobench\r\nDate: ");
  out.append(current_http_date());
  out.append("\r\nContent-Type: ");
  out.append(content_type);
  out.append("\r\nContent-Length: ");
  append_number(out, content_length);
  out.append("\r\n");
}

void append_connection_and_end(std::string& out, Framing framing) {
  // Only what differs from the version's default is said: close on 1.1, keep-alive on 1.0.
  if (framing.version == 10 && framing.keep_alive) {
    out.append("Connection: keep-alive\r\n");
  } else if (framing.version != 10 && !framing.keep_alive) {
    out.append("Connection: close\r\n");
  }
  out.append("\r\n");
}

template <class Record>
void append_json(std::string& out, Framing framing, const Record& record) {
  // The tree lives on the stack: building it allocates nothing from the heap.
  unsigned char tree_storage[4096];
  json::monotonic_resource resource(tree_storage, sizeof tree_storage);
  append_json_response(out, framing, json::value_from(record, &resource));
}

}  // namespace

namespace {

// scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) (RFC 3986, 3.1).
bool valid_scheme(std::string_view scheme) {
  const auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (scheme.empty() || !alpha(scheme.front())) return false;
  for (char c : scheme) {
    if (!alpha(c) && !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.') return false;
  }
  return true;
}

}  // namespace

// The origin-form part of an absolute-form target ("http://host:port/json?x" -> "/json?x"), as
// proxies send it and servers must accept (RFC 7230, 5.3.2).
std::string_view origin_form(std::string_view target) {
  if (target.empty() || target.front() == '/') return target;
  const auto scheme_end = target.find("://");
  if (scheme_end == std::string_view::npos || !valid_scheme(target.substr(0, scheme_end))) {
    return target;  // not an absolute-URI (":///", "1http://"): no route matches it, 404
  }
  const auto path_start = target.find_first_of("/?", scheme_end + 3);
  // No path ("http://host" or "http://host?x") is the root; its query cannot matter there.
  if (path_start == std::string_view::npos || target[path_start] == '?') return "/";
  return target.substr(path_start);
}

namespace {

// GET /users/{id} and GET /db/users/{id} (`endpoint`); `id` is the path after "users/".
Route route_user(Endpoint endpoint, http::verb method, std::string_view id) {
  if (id.find('/') != std::string_view::npos) return {Endpoint::not_found};  // /users/1/x
  if (method != http::verb::get) return {Endpoint::method_not_allowed};
  const auto user_id = parse_user_id(id);
  if (!user_id) return {Endpoint::bad_user_id};
  Route user{endpoint};
  user.user_id = *user_id;
  return user;
}

}  // namespace

Route route(http::verb method, std::string_view target) {
  target = origin_form(target);
  const auto query_start = target.find('?');
  const std::string_view path = target.substr(0, query_start);
  Endpoint endpoint;
  // The hello routes first: they are what the CPU benchmarks hammer.
  if (path == "/") {
    endpoint = Endpoint::hello;
  } else if (path == "/json") {
    endpoint = Endpoint::json;
  } else if (path == "/user") {
    endpoint = Endpoint::user;
  } else if (path == "/io") {
    endpoint = Endpoint::io_wait;
  } else if (path == "/orders") {
    return {method == http::verb::post ? Endpoint::orders : Endpoint::orders_method_not_allowed};
  } else if (constexpr std::string_view kUsers = "/users/";
             path.substr(0, kUsers.size()) == kUsers) {
    return route_user(Endpoint::user_record, method, path.substr(kUsers.size()));
  } else if (constexpr std::string_view kDbUsers = "/db/users/";
             path.substr(0, kDbUsers.size()) == kDbUsers) {
    return route_user(Endpoint::db_user, method, path.substr(kDbUsers.size()));
  } else if (path == "/db/sleep") {
    endpoint = Endpoint::db_sleep;
  } else {
    return {Endpoint::not_found};
  }
  if (method != http::verb::get) return {Endpoint::method_not_allowed};
  if (endpoint != Endpoint::io_wait && endpoint != Endpoint::db_sleep) return {endpoint};

  Route io{endpoint};
  const std::string_view query =
      query_start == std::string_view::npos ? std::string_view{} : target.substr(query_start + 1);
  if (!parse_io_wait(query, io.io_wait)) return {Endpoint::bad_io_wait};
  return io;
}

void append_response(std::string& out, Endpoint endpoint, Framing framing) {
  switch (endpoint) {
    case Endpoint::hello:
    case Endpoint::io_wait:
      append_text_response(out, framing, http::status::ok, kHelloBody);
      return;
    case Endpoint::json:
      append_json(out, framing, Message{kHelloBody});
      return;
    case Endpoint::user:
      append_json(out, framing, make_user());
      return;
    case Endpoint::bad_io_wait:
      append_text_response(out, framing, http::status::bad_request,
                           "ms must be an integer 0..10000");
      return;
    case Endpoint::bad_user_id:
      append_text_response(out, framing, http::status::bad_request, "id must be a decimal integer");
      return;
    case Endpoint::not_found:
      append_text_response(out, framing, http::status::not_found, "Not Found");
      return;
    case Endpoint::method_not_allowed:
      append_text_response(out, framing, http::status::method_not_allowed, "Method Not Allowed",
                           "GET");
      return;
    case Endpoint::orders_method_not_allowed:
      append_text_response(out, framing, http::status::method_not_allowed, "Method Not Allowed",
                           "POST");
      return;
    case Endpoint::user_record:
    case Endpoint::orders:
    case Endpoint::db_user:
    case Endpoint::db_sleep:
      // Answered with the store, the body or a query (service_routes.hpp, db_routes.hpp); the
      // server never comes here.
      append_text_response(out, framing, http::status::internal_server_error,
                           "Internal Server Error");
      return;
  }
}

void append_text_response(std::string& out, Framing framing, http::status status,
                          std::string_view body, std::string_view allow) {
  append_head(out, framing.version, status, kTextPlain, body.size());
  if (!allow.empty()) {
    out.append("Allow: ");
    out.append(allow);
    out.append("\r\n");
  }
  append_connection_and_end(out, framing);
  out.append(body);
}

void append_json_response(std::string& out, Framing framing, const json::value& value) {
  // One serializer per thread: reset() keeps its internal stack, so it allocates only once.
  thread_local json::serializer serializer;
  serializer.reset(&value);
  char text[2048];
  const std::string_view first = serializer.read(text, sizeof text);
  if (serializer.done()) {
    append_head(out, framing.version, http::status::ok, kApplicationJson, first.size());
    append_connection_and_end(out, framing);
    out.append(first);
    return;
  }
  // Larger than the stack buffer (a record grown far beyond the contract's): take the slow way.
  std::string body(first);
  while (!serializer.done()) body.append(serializer.read(text, sizeof text));
  append_head(out, framing.version, http::status::ok, kApplicationJson, body.size());
  append_connection_and_end(out, framing);
  out.append(body);
}

void append_error_response(std::string& out, http::status status) {
  const auto reason = http::obsolete_reason(status);
  append_text_response(out, Framing{11, false}, status,
                       std::string_view(reason.data(), reason.size()));
}

}  // namespace cpp_server
