// Contract checks over real sockets (CONTRACT.md section 1). Each check is one CheckResult with
// a stable id; a check that cannot even make its request fails with the client's error.
#include "verify/verify.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sched.h>
#include <signal.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "verify/http_client.hpp"
#include "trial/process.hpp"

namespace hellobench {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::string_view kRootBody = "Hello, World!";
constexpr std::string_view kJsonBody = R"({"message":"Hello, World!"})";
constexpr std::string_view kRootContentType = "text/plain; charset=utf-8";
constexpr std::string_view kJsonContentType = "application/json";
constexpr std::size_t kUserFieldCount = 13;

constexpr auto kShutdownLimit = 2s;
// The thread checks do not judge the shutdown (sigterm-exit does): a short grace, then SIGKILL.
constexpr milliseconds kStopAfterThreadCheck = 500ms;
// A server that is to close after an answer does so at once; waiting longer would let an
// idle timeout pass for the close.
constexpr milliseconds kPromptClose = 1s;

// How far from a timeout of the contract a server may act and still pass: 10% early (timers
// with coarse ticks), 10% + 1 s late (a loaded machine). 10 s: 9..12 s; 60 s: 54..67 s.
milliseconds earliest(milliseconds limit) { return limit * 9 / 10; }
milliseconds latest(milliseconds limit) { return limit * 11 / 10 + 1s; }

const std::vector<std::string> kFastHttpChecks = {
    "root",
    "root-content-type",
    "json",
    "json-content-type",
    "user",
    "io-zero",
    "io-delay",
    "io-concurrent",
    "io-invalid-text",
    "io-invalid-negative",
    "io-invalid-too-large",
    "io-invalid-missing",
    "not-found",
    "method-not-allowed",
    "server-header",
    "date-header",
    "content-type-header",
    "content-length",
    "no-chunked",
    "keep-alive",
    "connection-close",
    "http10-close",
    "pipelining",
    "header-7k-accepted",
    "header-9k-rejected",
    "malformed-request",
    "alive-after-bad-requests",
};
const std::vector<std::string> kSlowHttpChecks = {"header-timeout", "header-timeout-trickle",
                                                  "silent-connection", "idle-timeout",
                                                  "io-max-delay"};
const std::vector<std::string> kLifecycleChecks = {
    "ready-line",
    "ready-address",
    "ready-answers",
    "sigterm-finishes-in-flight",
    "sigterm-stops-accepting",
    "sigterm-exit",
    "threads-1",
    "threads-2",
    "threads-default",
    "sigint-exit",
    "bad-flag",
    "bad-value",
};
const std::vector<std::pair<std::string, std::string>> kParityPaths = {
    {"root", "/"}, {"json", "/json"}, {"user", "/user"}};

struct Outcome {
  bool passed = false;
  std::string detail;
};

Outcome pass(std::string detail = {}) { return {true, std::move(detail)}; }
Outcome fail(std::string detail) { return {false, std::move(detail)}; }

// Runs one check; an exception (a request that could not be made) is a failure with its text.
CheckResult run_check(const std::string& name, const std::function<Outcome()>& check) {
  try {
    auto outcome = check();
    return {name, outcome.passed, std::move(outcome.detail)};
  } catch (const std::exception& e) {
    return {name, false, e.what()};
  }
}

long long ms(Clock::duration d) { return std::chrono::duration_cast<milliseconds>(d).count(); }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// A body for a detail line: quoted, cut short, control characters escaped.
std::string show(std::string_view text, std::size_t limit = 60) {
  std::string out = "\"";
  for (std::size_t i = 0; i < text.size() && i < limit; ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\r')
      out += "\\r";
    else if (c == '\n')
      out += "\\n";
    else if (c < 0x20 || c >= 0x7f)
      out += fmt::format("\\x{:02x}", c);
    else
      out += static_cast<char>(c);
  }
  out += text.size() > limit ? "\"..." : "\"";
  return out;
}

std::string status_line(const HttpResponse& r) {
  return fmt::format("HTTP/{}.{} {}", r.version / 10, r.version % 10, r.status);
}

// True when a comma-separated header value holds token (case-insensitive), e.g. "close".
bool has_token(const HttpResponse& r, std::string_view header, std::string_view token) {
  for (const auto& value : r.header_values(header)) {
    std::size_t start = 0;
    while (start <= value.size()) {
      std::size_t end = value.find(',', start);
      if (end == std::string::npos) end = value.size();
      std::string_view item(value.data() + start, end - start);
      while (!item.empty() && std::isspace(static_cast<unsigned char>(item.front())))
        item.remove_prefix(1);
      while (!item.empty() && std::isspace(static_cast<unsigned char>(item.back())))
        item.remove_suffix(1);
      if (iequals(item, token)) return true;
      start = end + 1;
    }
  }
  return false;
}

// RFC 7231 IMF-fixdate, the only form a server may send: "Sun, 06 Nov 1994 08:49:37 GMT".
std::optional<std::time_t> parse_imf_fixdate(const std::string& text) {
  if (text.size() != 29 || text.compare(26, 3, "GMT") != 0) return std::nullopt;
  std::tm tm{};
  const char* end = ::strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  const int weekday = tm.tm_wday;
  std::time_t t = ::timegm(&tm);
  std::tm check{};
  ::gmtime_r(&t, &check);
  // strptime accepts a wrong weekday or 31 Feb; a correct date must round-trip.
  if (check.tm_wday != weekday || check.tm_mday != tm.tm_mday) return std::nullopt;
  return t;
}

// One request/response exchange and what surrounded it.
struct Exchange {
  std::string label;  // "GET /json", for details
  HttpResponse response;
  std::string leftover;  // bytes after the response on the same read: a framing error
  Clock::duration took{};
  std::time_t received_at = 0;  // wall clock when the answer was complete
};

class HttpChecker {
 public:
  explicit HttpChecker(const HttpCheckOptions& options)
      : options_(options),
        host_header_(options.host.find(':') != std::string::npos
                         ? fmt::format("[{}]:{}", options.host, options.port)
                         : fmt::format("{}:{}", options.host, options.port)) {}

  std::vector<CheckResult> run_fast(VerifyReport& report);
  static std::vector<CheckResult> run_slow(const HttpCheckOptions& options);

 private:
  HttpConnection connect() const {
    return HttpConnection::connect(options_.host, options_.port, options_.io_timeout);
  }
  std::string get(std::string_view target, std::string_view extra = {}) const {
    return http_get(target, host_header_, extra);
  }
  // Sends request on a fresh connection and reads one answer; app_response: an answer of the
  // server's own handlers, held to the every-response header rules.
  Exchange exchange(std::string label, std::string_view request, bool app_response,
                    milliseconds timeout = {});
  // A request of the given header-section size, padded with X-Pad headers.
  std::string padded_request(std::size_t header_bytes) const;

  Outcome expect_answer(const Exchange& e, int status, std::string_view body) const;
  Outcome check_io_invalid(std::string_view query);
  Outcome check_every_response(
      const std::function<std::optional<std::string>(const Exchange&)>& rule) const;

  const HttpCheckOptions& options_;
  std::string host_header_;
  std::vector<Exchange> app_exchanges_;  // every answer of the server's handlers
  std::string first_error_;              // of the first request that got no answer
};

Exchange HttpChecker::exchange(std::string label, std::string_view request, bool app_response,
                               milliseconds timeout) {
  if (timeout == milliseconds{}) timeout = options_.io_timeout;
  Exchange e;
  e.label = std::move(label);
  const auto start = Clock::now();
  try {
    auto connection = HttpConnection::connect(options_.host, options_.port, timeout);
    connection.send(request, timeout);
    e.response = connection.read_response(timeout);
    e.leftover = connection.buffered();
  } catch (const HttpClientError& error) {
    if (first_error_.empty()) first_error_ = fmt::format("{}: {}", e.label, error.what());
    throw;
  }
  e.took = Clock::now() - start;
  e.received_at = std::time(nullptr);
  if (app_response) app_exchanges_.push_back(e);
  return e;
}

std::string HttpChecker::padded_request(std::size_t header_bytes) const {
  std::string request = get("/");
  request.resize(request.size() - 2);  // the final empty line comes last
  for (int i = 0; request.size() + 2 < header_bytes; ++i) {
    std::string line = fmt::format("X-Pad-{:03}: ", i);
    std::size_t room = header_bytes - 2 - request.size();
    std::size_t value =
        std::min<std::size_t>(100, room > line.size() + 3 ? room - line.size() - 2 : 1);
    line.append(value, 'a');
    line += "\r\n";
    request += line;
  }
  request += "\r\n";
  return request;
}

Outcome HttpChecker::expect_answer(const Exchange& e, int status, std::string_view body) const {
  const auto& r = e.response;
  if (r.status != status) {
    return fail(fmt::format("{}: expected {}, got {} with body {}", e.label, status, status_line(r),
                            show(r.body)));
  }
  if (r.body != body) {
    return fail(fmt::format("{}: expected body {}, got {}", e.label, show(body), show(r.body)));
  }
  return pass(fmt::format("{}: {} {}", e.label, status_line(r), show(r.body)));
}

Outcome HttpChecker::check_io_invalid(std::string_view query) {
  auto e = exchange(fmt::format("GET {}", query), get(query), true);
  if (e.response.status != 400) {
    return fail(fmt::format("{}: expected 400, got {} with body {}", e.label,
                            status_line(e.response), show(e.response.body)));
  }
  if (e.response.body.empty()) return fail(fmt::format("{}: 400 without a body", e.label));
  return pass(fmt::format("{}: 400 {}", e.label, show(e.response.body)));
}

Outcome HttpChecker::check_every_response(
    const std::function<std::optional<std::string>(const Exchange&)>& rule) const {
  if (app_exchanges_.empty())
    return fail(fmt::format("no answer to check; first failure: {}", first_error_));
  for (const auto& e : app_exchanges_) {
    if (auto problem = rule(e)) return fail(fmt::format("{}: {}", e.label, *problem));
  }
  return pass(fmt::format("all {} answers", app_exchanges_.size()));
}

// Bytes of a response as sent: "HTTP/1.x NNN reason" CRLF, "name: value" CRLF each, CRLF, body.
std::size_t wire_size(const HttpResponse& response) {
  std::size_t size = fmt::format("HTTP/1.{} {} {}\r\n", response.version % 10, response.status,
                                 response.reason)
                         .size();
  for (const auto& [name, value] : response.headers) size += name.size() + 2 + value.size() + 2;
  return size + 2 + response.body.size();
}

std::vector<CheckResult> HttpChecker::run_fast(VerifyReport& report) {
  std::vector<CheckResult> results;
  auto add = [&](const std::string& name, const std::function<Outcome()>& check) {
    results.push_back(run_check(name, check));
  };

  // The three main answers, kept for the content checks and for parity across servers.
  std::optional<Exchange> root, json, user;
  std::string root_error, json_error, user_error;
  auto fetch = [&](const std::string& path, std::optional<Exchange>& into, std::string& error) {
    try {
      into = exchange("GET " + path, get(path), true);
      report.bodies[path] = into->response.body;
      report.header_names[path] = into->response.header_names();
      report.response_bytes[path] = wire_size(into->response);
    } catch (const std::exception& e) {
      error = fmt::format("GET {}: {}", path, e.what());
    }
  };
  fetch("/", root, root_error);
  fetch("/json", json, json_error);
  fetch("/user", user, user_error);
  auto need = [](const std::optional<Exchange>& e, const std::string& error) -> const Exchange& {
    if (!e) throw std::runtime_error(error);
    return *e;
  };

  add("root", [&] { return expect_answer(need(root, root_error), 200, kRootBody); });
  add("root-content-type", [&] {
    auto type = need(root, root_error).response.header("Content-Type").value_or("(none)");
    if (!iequals(type, kRootContentType)) {
      return fail(
          fmt::format("GET /: Content-Type {}, expected {}", show(type), show(kRootContentType)));
    }
    return pass(type);
  });
  add("json", [&] { return expect_answer(need(json, json_error), 200, kJsonBody); });
  add("json-content-type", [&] {
    auto type = need(json, json_error).response.header("Content-Type").value_or("(none)");
    if (!iequals(type, kJsonContentType)) {
      return fail(fmt::format("GET /json: Content-Type {}, expected {}", show(type),
                              show(kJsonContentType)));
    }
    return pass(type);
  });
  add("user", [&] {
    const auto& r = need(user, user_error).response;
    if (r.status != 200) return fail(fmt::format("GET /user: {} {}", status_line(r), show(r.body)));
    auto type = r.header("Content-Type").value_or("(none)");
    if (!iequals(type, kJsonContentType)) {
      return fail(fmt::format("GET /user: Content-Type {}, expected {}", show(type),
                              show(kJsonContentType)));
    }
    // The parser callback sees every top-level key, so a repeated key is caught (a parsed
    // object would silently keep only one).
    std::vector<std::string> keys;
    auto collect = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
      if (event == nlohmann::json::parse_event_t::key && depth == 1)
        keys.push_back(parsed.get<std::string>());
      return true;
    };
    auto doc = nlohmann::json::parse(r.body, collect, false);
    if (doc.is_discarded()) return fail(fmt::format("GET /user: not valid JSON: {}", show(r.body)));
    if (!doc.is_object())
      return fail(fmt::format("GET /user: not a JSON object: {}", show(r.body)));
    std::set<std::string> distinct(keys.begin(), keys.end());
    if (distinct.size() != keys.size()) {
      return fail(fmt::format("GET /user: repeated field names in {}", fmt::join(keys, ",")));
    }
    if (keys.size() != kUserFieldCount) {
      return fail(fmt::format("GET /user: {} fields ({}), expected {}", keys.size(),
                              fmt::join(keys, ","), kUserFieldCount));
    }
    for (const char* required : {"id", "name", "email"}) {
      if (!distinct.count(required)) return fail(fmt::format("GET /user: no field '{}'", required));
    }
    return pass(fmt::format("{} fields: {}", keys.size(), fmt::join(keys, ",")));
  });
  add("io-zero", [&] {
    return expect_answer(exchange("GET /io?ms=0", get("/io?ms=0"), true), 200, kRootBody);
  });
  add("io-delay", [&] {
    auto e = exchange("GET /io?ms=100", get("/io?ms=100"), true);
    auto outcome = expect_answer(e, 200, kRootBody);
    if (!outcome.passed) return outcome;
    if (e.took < 100ms)
      return fail(fmt::format("GET /io?ms=100 answered after {} ms, before 100 ms", ms(e.took)));
    if (e.took >= 1s)
      return fail(fmt::format("GET /io?ms=100 answered after {} ms (limit 1000 ms)", ms(e.took)));
    return pass(fmt::format("answered after {} ms", ms(e.took)));
  });
  add("io-concurrent", [&] {
    // The wait must not hold a worker thread: 16 waits of 500 ms at once end together. A
    // server that sleeps on its threads (8 or fewer) needs two rounds or more, >= 1 s.
    constexpr int kRequests = 16;
    const auto target = "/io?ms=500";
    std::vector<HttpConnection> connections;
    for (int i = 0; i < kRequests; ++i) connections.push_back(connect());
    const auto start = Clock::now();
    for (auto& c : connections) c.send(get(target), options_.io_timeout);
    for (int i = 0; i < kRequests; ++i) {
      auto r = connections[i].read_response(options_.io_timeout);
      if (r.status != 200) {
        return fail(fmt::format("request {} of {} concurrent GET {}: {}", i + 1, kRequests, target,
                                status_line(r)));
      }
      // Stop at the limit rather than wait for every answer of a server that serialises.
      if (Clock::now() - start >= 1s) break;
    }
    auto took = Clock::now() - start;
    if (took >= 1s) {
      return fail(fmt::format("{} concurrent GET {} took {} ms: the waits hold worker threads",
                              kRequests, target, ms(took)));
    }
    return pass(
        fmt::format("{} concurrent GET {} all answered within {} ms", kRequests, target, ms(took)));
  });
  add("io-invalid-text", [&] { return check_io_invalid("/io?ms=abc"); });
  add("io-invalid-negative", [&] { return check_io_invalid("/io?ms=-1"); });
  add("io-invalid-too-large",
      [&] { return check_io_invalid(fmt::format("/io?ms={}", options_.io_max_ms + 1)); });
  add("io-invalid-missing", [&] { return check_io_invalid("/io"); });
  add("not-found", [&] {
    auto e = exchange("GET /no-such-path", get("/no-such-path"), true);
    if (e.response.status != 404)
      return fail(fmt::format("{}: expected 404, got {}", e.label, status_line(e.response)));
    if (e.response.body.empty()) return fail(fmt::format("{}: 404 without a body", e.label));
    return pass(fmt::format("404 {}", show(e.response.body)));
  });
  add("method-not-allowed", [&] {
    auto request =
        fmt::format("POST / HTTP/1.1\r\nHost: {}\r\nContent-Length: 0\r\n\r\n", host_header_);
    auto e = exchange("POST /", request, true);
    if (e.response.status != 405)
      return fail(fmt::format("{}: expected 405, got {}", e.label, status_line(e.response)));
    auto allow = e.response.header_values("Allow");
    if (allow.size() != 1)
      return fail(fmt::format("{}: {} Allow headers, expected 1", e.label, allow.size()));
    if (!has_token(e.response, "Allow", "GET"))
      return fail(fmt::format("{}: Allow {} lacks GET", e.label, show(allow[0])));
    return pass(fmt::format("405, Allow: {}", allow[0]));
  });

  // Rules for every answer of the handlers above. Protocol-level rejections (malformed
  // request, oversized header) are left out: Go's net/http writes those itself, bare.
  add("server-header", [&] {
    return check_every_response([](const Exchange& e) -> std::optional<std::string> {
      auto values = e.response.header_values("Server");
      if (values.size() != 1)
        return fmt::format("{} Server headers, expected exactly 1", values.size());
      if (values[0] != "hellobench")
        return fmt::format("Server: {}, expected hellobench", show(values[0]));
      return std::nullopt;
    });
  });
  add("date-header", [&] {
    return check_every_response([](const Exchange& e) -> std::optional<std::string> {
      auto values = e.response.header_values("Date");
      if (values.size() != 1)
        return fmt::format("{} Date headers, expected exactly 1", values.size());
      auto date = parse_imf_fixdate(values[0]);
      if (!date) return fmt::format("Date {} is not an RFC 7231 IMF-fixdate", show(values[0]));
      auto off = *date - e.received_at;
      if (off > 2 || off < -2) return fmt::format("Date {} is {} s off the clock", values[0], off);
      return std::nullopt;
    });
  });
  add("content-type-header", [&] {
    return check_every_response([](const Exchange& e) -> std::optional<std::string> {
      auto values = e.response.header_values("Content-Type");
      if (values.size() != 1)
        return fmt::format("{} Content-Type headers, expected exactly 1", values.size());
      return std::nullopt;
    });
  });
  add("content-length", [&] {
    return check_every_response([](const Exchange& e) -> std::optional<std::string> {
      auto values = e.response.header_values("Content-Length");
      if (values.size() != 1)
        return fmt::format("{} Content-Length headers, expected exactly 1", values.size());
      if (values[0] != std::to_string(e.response.body.size())) {
        return fmt::format("Content-Length {} for a {}-byte body", show(values[0]),
                           e.response.body.size());
      }
      if (!e.leftover.empty())
        return fmt::format("{} bytes after the body: {}", e.leftover.size(), show(e.leftover));
      return std::nullopt;
    });
  });
  add("no-chunked", [&] {
    return check_every_response([](const Exchange& e) -> std::optional<std::string> {
      auto values = e.response.header_values("Transfer-Encoding");
      if (!values.empty()) return fmt::format("Transfer-Encoding: {}", values[0]);
      return std::nullopt;
    });
  });

  add("keep-alive", [&] {
    auto connection = connect();
    connection.send(get("/"), options_.io_timeout);
    auto first = connection.read_response(options_.io_timeout);
    if (first.status != 200) return fail(fmt::format("first GET /: {}", status_line(first)));
    if (has_token(first, "Connection", "close")) return fail("first answer says Connection: close");
    connection.send(get("/json"), options_.io_timeout);
    HttpResponse second;
    try {
      second = connection.read_response(options_.io_timeout);
    } catch (const HttpClientError& e) {
      return fail(fmt::format("second request on the connection: {}", e.what()));
    }
    if (second.status != 200 || second.body != kJsonBody) {
      return fail(
          fmt::format("second request (GET /json): {} {}", status_line(second), show(second.body)));
    }
    return pass("two answers on one connection");
  });
  add("connection-close", [&] {
    auto connection = connect();
    connection.send(get("/", "Connection: close\r\n"), options_.io_timeout);
    auto r = connection.read_response(options_.io_timeout);
    if (r.status != 200)
      return fail(fmt::format("GET / with Connection: close: {}", status_line(r)));
    if (!has_token(r, "Connection", "close")) {
      return fail(fmt::format("answer has no Connection: close (Connection: {})",
                              r.header("Connection").value_or("(none)")));
    }
    auto closed = connection.wait_for_close(std::min(options_.io_timeout, kPromptClose));
    if (closed.outcome == PeerClose::Outcome::still_open) {
      return fail(fmt::format("connection still open {} ms after the answer", ms(closed.after)));
    }
    if (!closed.data.empty())
      return fail(
          fmt::format("{} bytes after the answer: {}", closed.data.size(), show(closed.data)));
    return pass(fmt::format("closed {} ms after the answer", ms(closed.after)));
  });
  add("http10-close", [&] {
    auto connection = connect();
    connection.send(fmt::format("GET / HTTP/1.0\r\nHost: {}\r\n\r\n", host_header_),
                    options_.io_timeout);
    auto r = connection.read_response(options_.io_timeout);
    if (r.status != 200 || r.body != kRootBody)
      return fail(fmt::format("GET / HTTP/1.0: {} {}", status_line(r), show(r.body)));
    auto closed = connection.wait_for_close(std::min(options_.io_timeout, kPromptClose));
    if (closed.outcome == PeerClose::Outcome::still_open) {
      return fail(
          fmt::format("connection still open {} ms after the HTTP/1.0 answer", ms(closed.after)));
    }
    return pass(fmt::format("{}, closed {} ms after the answer", status_line(r), ms(closed.after)));
  });
  add("pipelining", [&] {
    auto connection = connect();
    connection.send(get("/") + get("/json") + get("/user"), options_.io_timeout);
    const std::string expected_user = user ? user->response.body : std::string();
    const char* targets[] = {"/", "/json", "/user"};
    for (int i = 0; i < 3; ++i) {
      HttpResponse r;
      try {
        r = connection.read_response(options_.io_timeout);
      } catch (const HttpClientError& e) {
        return fail(fmt::format("answer {} of 3 ({}): {}", i + 1, targets[i], e.what()));
      }
      bool right =
          r.status == 200 &&
          (i == 0   ? r.body == kRootBody
           : i == 1 ? r.body == kJsonBody
                    : (expected_user.empty() ? r.body.find("\"email\"") != std::string::npos
                                             : r.body == expected_user));
      if (!right) {
        return fail(fmt::format("answer {} of 3 should be GET {}, got {} {}", i + 1, targets[i],
                                status_line(r), show(r.body)));
      }
    }
    return pass("3 answers in order: /, /json, /user");
  });
  add("header-7k-accepted", [&] {
    auto request = padded_request(7 * 1024);
    auto e = exchange("GET / with a 7 KiB header", request, false);
    if (e.response.status != 200)
      return fail(
          fmt::format("{}-byte header section: {}", request.size(), status_line(e.response)));
    return pass(fmt::format("{}-byte header section: 200", request.size()));
  });
  add("header-9k-rejected", [&] {
    auto request = padded_request(9 * 1024);
    auto connection = connect();
    connection.send(request, options_.io_timeout);
    HttpResponse r;
    try {
      r = connection.read_response(options_.io_timeout);
    } catch (const HttpClientError& e) {
      return fail(fmt::format("{}-byte header section: no answer ({}), expected 431 or 400",
                              request.size(), e.what()));
    }
    if (r.status != 431 && r.status != 400) {
      return fail(fmt::format("{}-byte header section: {}, expected 431 or 400", request.size(),
                              status_line(r)));
    }
    auto closed = connection.wait_for_close(std::min(options_.io_timeout, kPromptClose));
    if (closed.outcome == PeerClose::Outcome::still_open) {
      return fail(fmt::format("{} but the connection stayed open", r.status));
    }
    return pass(fmt::format("{}-byte header section: {}, then closed", request.size(), r.status));
  });
  add("malformed-request", [&] {
    auto connection = connect();
    connection.send("NOT AN HTTP REQUEST\r\n\r\n", options_.io_timeout);
    HttpResponse r;
    try {
      r = connection.read_response(options_.io_timeout);
    } catch (const HttpClientError& e) {
      return fail(
          fmt::format("no answer to a malformed request line ({}), expected 400", e.what()));
    }
    if (r.status != 400)
      return fail(fmt::format("malformed request line: {}, expected 400", status_line(r)));
    auto closed = connection.wait_for_close(std::min(options_.io_timeout, kPromptClose));
    if (closed.outcome == PeerClose::Outcome::still_open)
      return fail("400 but the connection stayed open");
    return pass("400, then closed");
  });
  add("alive-after-bad-requests", [&] {
    return expect_answer(exchange("GET / after the bad requests", get("/"), false), 200, kRootBody);
  });
  return results;
}

std::vector<CheckResult> HttpChecker::run_slow(const HttpCheckOptions& options) {
  // Each waits on its own connection; together they take as long as the longest (~1 min).
  const std::string host_header = options.host.find(':') != std::string::npos
                                      ? fmt::format("[{}]:{}", options.host, options.port)
                                      : fmt::format("{}:{}", options.host, options.port);
  auto connect = [options] {
    return HttpConnection::connect(options.host, options.port, options.io_timeout);
  };

  // Closed within [earliest, latest] of limit after the wait began.
  auto judge_close = [](const PeerClose& closed, milliseconds limit, std::string_view what) {
    if (closed.outcome == PeerClose::Outcome::still_open) {
      return fail(fmt::format("{} still open after {} ms (limit {} ms)", what, ms(closed.after),
                              limit.count()));
    }
    if (closed.after < earliest(limit)) {
      return fail(fmt::format("{} closed after {} ms, before the {} ms timeout", what,
                              ms(closed.after), limit.count()));
    }
    if (closed.after > latest(limit)) {
      return fail(fmt::format("{} closed after {} ms, later than {} ms", what, ms(closed.after),
                              latest(limit).count()));
    }
    return pass(
        fmt::format("{} closed after {} ms{}", what, ms(closed.after),
                    closed.data.empty() ? "" : fmt::format(", with {}", show(closed.data, 30))));
  };
  auto header_timeout = std::async(std::launch::async, [=] {
    return run_check("header-timeout", [&] {
      auto connection = connect();
      // An unfinished header section: the request line and one field, no empty line.
      connection.send(fmt::format("GET / HTTP/1.1\r\nHost: {}\r\n", host_header),
                      options.io_timeout);
      auto closed = connection.wait_for_close(latest(options.header_timeout) + 2s);
      return judge_close(closed, options.header_timeout, "connection with a partial header");
    });
  });
  auto header_trickle = std::async(std::launch::async, [=] {
    return run_check("header-timeout-trickle", [&] {
      // A header that keeps growing a byte at a time never completes: the limit is for the
      // whole header, so a timer restarted by every read must not keep it alive.
      auto connection = connect();
      const auto start = Clock::now();
      connection.send(fmt::format("GET / HTTP/1.1\r\nHost: {}\r\nX-Slow: ", host_header),
                      options.io_timeout);
      const auto step = options.header_timeout / 5;
      const auto give_up = latest(options.header_timeout) + 2s;
      PeerClose closed;
      for (;;) {
        closed = connection.wait_for_close(step);
        if (closed.outcome != PeerClose::Outcome::still_open) break;
        if (Clock::now() - start >= give_up) break;
        try {
          connection.send("a", options.io_timeout);
        } catch (const HttpClientError&) {
          closed.outcome = PeerClose::Outcome::reset;  // the server has gone
          break;
        }
      }
      closed.after = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
      return judge_close(closed, options.header_timeout, "connection trickling its header");
    });
  });
  auto silent = std::async(std::launch::async, [=] {
    return run_check("silent-connection", [&] {
      // A client that connects and sends nothing has sent no complete header either.
      auto connection = connect();
      auto closed = connection.wait_for_close(latest(options.header_timeout) + 2s);
      return judge_close(closed, options.header_timeout, "connection that sent nothing");
    });
  });
  auto idle_timeout = std::async(std::launch::async, [=] {
    return run_check("idle-timeout", [&] {
      auto connection = connect();
      connection.send(http_get("/", host_header), options.io_timeout);
      auto r = connection.read_response(options.io_timeout);
      if (r.status != 200) return fail(fmt::format("GET /: {}", status_line(r)));
      auto closed = connection.wait_for_close(latest(options.idle_timeout) + 2s);
      return judge_close(closed, options.idle_timeout, "idle keep-alive connection");
    });
  });
  auto io_max = std::async(std::launch::async, [=] {
    return run_check("io-max-delay", [&] {
      auto connection = connect();
      const auto target = fmt::format("/io?ms={}", options.io_max_ms);
      const auto start = Clock::now();
      connection.send(http_get(target, host_header), options.io_timeout);
      auto r = connection.read_response(milliseconds(options.io_max_ms) + options.io_timeout);
      auto took = Clock::now() - start;
      if (r.status != 200 || r.body != kRootBody) {
        return fail(fmt::format("GET {}: {} {}", target, status_line(r), show(r.body)));
      }
      if (took < milliseconds(options.io_max_ms))
        return fail(fmt::format("GET {} answered after {} ms", target, ms(took)));
      return pass(fmt::format("GET {} answered after {} ms", target, ms(took)));
    });
  });
  return {header_timeout.get(), header_trickle.get(), silent.get(), idle_timeout.get(),
          io_max.get()};
}

// Puts results in the order of names; a name without a result is a failure (not run).
std::vector<CheckResult> in_order(const std::vector<std::string>& names,
                                  std::vector<CheckResult> results) {
  std::vector<CheckResult> ordered;
  for (const auto& name : names) {
    auto it = std::find_if(results.begin(), results.end(),
                           [&](const CheckResult& r) { return r.name == name; });
    ordered.push_back(it != results.end() ? std::move(*it) : CheckResult{name, false, "not run"});
  }
  return ordered;
}

// --- Lifecycle ---

// argv with flag's value replaced (both "--flag V" and "--flag=V"), or appended.
std::vector<std::string> with_flag(std::vector<std::string> argv, const std::string& flag,
                                   const std::string& value) {
  for (std::size_t i = 1; i < argv.size(); ++i) {
    if (argv[i] == flag && i + 1 < argv.size()) {
      argv[i + 1] = value;
      return argv;
    }
    if (argv[i].rfind(flag + "=", 0) == 0) {
      argv[i] = flag + "=" + value;
      return argv;
    }
  }
  argv.push_back(flag);
  argv.push_back(value);
  return argv;
}

std::optional<std::string> flag_value(const std::vector<std::string>& argv,
                                      const std::string& flag) {
  for (std::size_t i = 1; i < argv.size(); ++i) {
    if (argv[i] == flag && i + 1 < argv.size()) return argv[i + 1];
    if (argv[i].rfind(flag + "=", 0) == 0) return argv[i].substr(flag.size() + 1);
  }
  return std::nullopt;
}

struct ListenAddress {
  std::string host;
  std::uint16_t port = 0;
};

// "listening on 127.0.0.1:8080" or "listening on [::1]:8080".
std::optional<ListenAddress> parse_listening_line(const std::string& line) {
  constexpr std::string_view prefix = "listening on ";
  if (line.rfind(prefix, 0) != 0) return std::nullopt;
  std::string rest = line.substr(prefix.size());
  auto colon = rest.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == rest.size()) return std::nullopt;
  std::string host = rest.substr(0, colon);
  std::string port_text = rest.substr(colon + 1);
  if (!std::all_of(port_text.begin(), port_text.end(),
                   [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }) ||
      port_text.size() > 5) {
    return std::nullopt;
  }
  int port = std::stoi(port_text);
  if (port <= 0 || port > 65535) return std::nullopt;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  return ListenAddress{host, static_cast<std::uint16_t>(port)};
}

std::optional<int> thread_count(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/status", pid));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Threads:", 0) == 0) return std::stoi(line.substr(8));
  }
  return std::nullopt;
}

// A started server, ready or not.
struct Started {
  std::optional<Process> process;
  std::optional<ListenAddress> address;
  std::string line;
  std::string error;  // why it is not ready
};

Started start_server(const std::vector<std::string>& argv, milliseconds ready_timeout,
                     std::vector<int> cpus = {}) {
  Started s;
  try {
    s.process.emplace(Process::spawn(ProcessSpec{argv, std::move(cpus), {}, {}, {}, {}}));
  } catch (const ProcessError& e) {
    s.error = e.what();
    return s;
  }
  auto line = s.process->wait_for_stdout_line("listening on ", ready_timeout);
  if (!line) {
    auto stderr_text = s.process->stderr_text();
    if (auto status = s.process->exit_status()) {
      s.error = fmt::format("exited with status {} before printing 'listening on' (stderr: {})",
                            *status, show(stderr_text, 200));
    } else {
      s.error = fmt::format("no 'listening on ADDR:PORT' line within {} ms (stdout: {})",
                            ready_timeout.count(), show(s.process->stdout_text(), 200));
    }
    return s;
  }
  s.line = *line;
  s.address = parse_listening_line(*line);
  if (!s.address) s.error = fmt::format("cannot read ADDR:PORT from {}", show(*line));
  return s;
}

std::string connect_host(const ListenAddress& address) {
  // A server told to bind to every address is reached on loopback.
  if (address.host == "0.0.0.0") return "127.0.0.1";
  if (address.host == "::") return "::1";
  return address.host;
}

std::string host_header(const ListenAddress& address) {
  return address.host.find(':') != std::string::npos
             ? fmt::format("[{}]:{}", address.host, address.port)
             : fmt::format("{}:{}", address.host, address.port);
}

// The TCP sockets pid listens on, as "ADDR:PORT" ("[ADDR]:PORT" for IPv6): the socket inodes
// among /proc/PID/fd matched with the LISTEN rows of /proc/PID/net/tcp and tcp6. What the
// server really bound, whatever its line says; read from /proc, no traffic needed.
std::vector<std::string> listening_sockets(pid_t pid) {
  std::set<std::string> inodes;
  std::error_code ec;
  for (const auto& fd : std::filesystem::directory_iterator(fmt::format("/proc/{}/fd", pid), ec)) {
    auto target = std::filesystem::read_symlink(fd.path(), ec).string();
    if (target.rfind("socket:[", 0) == 0) inodes.insert(target.substr(8, target.size() - 9));
  }
  std::vector<std::string> sockets;
  for (const bool v6 : {false, true}) {
    std::ifstream table(fmt::format("/proc/{}/net/{}", pid, v6 ? "tcp6" : "tcp"));
    std::string line;
    std::getline(table, line);  // column titles
    while (std::getline(table, line)) {
      std::istringstream row(line);
      std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
      row >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >> timeout >>
          inode;
      if (state != "0A" || !inodes.count(inode)) continue;  // 0A: TCP_LISTEN
      auto colon = local.find(':');
      const std::string hex = local.substr(0, colon);
      const int port = std::stoi(local.substr(colon + 1), nullptr, 16);
      // The address is printed as 32-bit words in host byte order.
      char text[INET6_ADDRSTRLEN] = {};
      if (v6) {
        in6_addr address{};
        for (int word = 0; word < 4; ++word) {
          address.s6_addr32[word] =
              static_cast<std::uint32_t>(std::stoul(hex.substr(word * 8, 8), nullptr, 16));
        }
        ::inet_ntop(AF_INET6, &address, text, sizeof text);
        sockets.push_back(fmt::format("[{}]:{}", text, port));
      } else {
        in_addr address{};
        address.s_addr = static_cast<std::uint32_t>(std::stoul(hex, nullptr, 16));
        ::inet_ntop(AF_INET, &address, text, sizeof text);
        sockets.push_back(fmt::format("{}:{}", text, port));
      }
    }
  }
  return sockets;
}

std::vector<std::string> without_flag(std::vector<std::string> argv, const std::string& flag) {
  for (std::size_t i = 1; i < argv.size();) {
    if (argv[i] == flag && i + 1 < argv.size()) {
      argv.erase(argv.begin() + static_cast<long>(i), argv.begin() + static_cast<long>(i) + 2);
    } else if (argv[i].rfind(flag + "=", 0) == 0) {
      argv.erase(argv.begin() + static_cast<long>(i));
    } else {
      ++i;
    }
  }
  return argv;
}

Outcome check_threads(const LifecycleOptions& options, int threads) {
  auto argv = with_flag(options.argv, "--threads", std::to_string(threads));
  auto s = start_server(argv, options.ready_timeout);
  if (!s.address) return fail(fmt::format("with --threads {}: {}", threads, s.error));
  auto r = http_exchange(connect_host(*s.address), s.address->port,
                         http_get("/", host_header(*s.address)), 3s);
  if (r.status != 200)
    return fail(fmt::format("with --threads {}: GET / {}", threads, status_line(r)));
  auto count = thread_count(s.process->pid());
  s.process->terminate(kStopAfterThreadCheck);
  if (!count) return fail("cannot read Threads from /proc");
  if (*count < threads)
    return fail(fmt::format("--threads {} but only {} threads in /proc", threads, *count));
  if (options.max_extra_threads >= 0 && *count > threads + options.max_extra_threads) {
    return fail(fmt::format("--threads {} but {} threads in /proc (at most {} expected)", threads,
                            *count, threads + options.max_extra_threads));
  }
  return pass(fmt::format("--threads {}: answers, {} threads in /proc", threads, *count));
}

Outcome check_bad_argument(const std::vector<std::string>& argv, milliseconds timeout) {
  auto process = Process::spawn(ProcessSpec{argv, {}, {}, {}, {}, {}});
  auto status = process.wait_exit(timeout);
  const std::string shown = fmt::format("'{}'", fmt::join(argv.begin() + 1, argv.end(), " "));
  if (!status) {
    process.terminate(0ms);
    return fail(fmt::format("{}: still running after {} ms", shown, timeout.count()));
  }
  auto err = process.stderr_text();
  if (*status != 2)
    return fail(
        fmt::format("{}: exit {}, expected 2 (stderr: {})", shown, *status, show(err, 120)));
  std::string_view text = err;
  if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  if (text.empty()) return fail(fmt::format("{}: exit 2 but nothing on stderr", shown));
  if (text.find('\n') != std::string_view::npos) {
    auto lines = std::count(text.begin(), text.end(), '\n') + 1;
    return fail(
        fmt::format("{}: {} lines on stderr, expected one: {}", shown, lines, show(text, 120)));
  }
  return pass(fmt::format("exit 2: {}", show(text, 120)));
}

}  // namespace

bool VerifyReport::passed() const {
  return std::all_of(checks.begin(), checks.end(), [](const CheckResult& c) { return c.passed; });
}

std::vector<CheckResult> VerifyReport::failures() const {
  std::vector<CheckResult> failed;
  std::copy_if(checks.begin(), checks.end(), std::back_inserter(failed),
               [](const CheckResult& c) { return !c.passed; });
  return failed;
}

std::vector<std::string> http_check_names(bool slow_checks) {
  auto names = kFastHttpChecks;
  if (slow_checks) names.insert(names.end(), kSlowHttpChecks.begin(), kSlowHttpChecks.end());
  return names;
}

std::vector<std::string> lifecycle_check_names() { return kLifecycleChecks; }

std::vector<std::string> parity_check_names() {
  std::vector<std::string> names;
  for (const auto& [name, path] : kParityPaths) names.push_back("same-body-" + name);
  for (const auto& [name, path] : kParityPaths) names.push_back("same-headers-" + name);
  for (const auto& [name, path] : kParityPaths) names.push_back("same-size-" + name);
  return names;
}

VerifyReport verify_http(const HttpCheckOptions& options) {
  VerifyReport report;
  std::future<std::vector<CheckResult>> slow;
  if (options.slow_checks)
    slow = std::async(std::launch::async, [options] { return HttpChecker::run_slow(options); });
  HttpChecker checker(options);
  auto results = checker.run_fast(report);
  if (slow.valid()) {
    auto slow_results = slow.get();
    results.insert(results.end(), slow_results.begin(), slow_results.end());
  }
  report.checks = in_order(http_check_names(options.slow_checks), std::move(results));
  return report;
}

VerifyReport verify_lifecycle(const LifecycleOptions& options) {
  VerifyReport report;
  std::vector<CheckResult> results;
  auto add = [&](const std::string& name, const std::function<Outcome()>& check) {
    results.push_back(run_check(name, check));
  };
  if (options.argv.empty()) {
    report.checks = in_order(lifecycle_check_names(), {});
    for (auto& c : report.checks) c.detail = "no command to start";
    return report;
  }

  // The server as given: readiness, then a graceful stop with a request in flight.
  auto given = start_server(options.argv, options.ready_timeout);
  auto need_ready = [&]() -> const ListenAddress& {
    if (!given.address) throw std::runtime_error(fmt::format("server not ready: {}", given.error));
    return *given.address;
  };
  add("ready-line", [&] {
    need_ready();
    return pass(given.line);
  });
  add("ready-address", [&] {
    const auto& address = need_ready();
    const std::string expected_host = flag_value(options.argv, "--bind").value_or("127.0.0.1");
    if (address.host != expected_host) {
      return fail(fmt::format("listening on {}, expected {} ({})", address.host, expected_host,
                              flag_value(options.argv, "--bind") ? "--bind" : "the default"));
    }
    auto requested_port = flag_value(options.argv, "--port").value_or("0");
    if (requested_port != "0" && requested_port != std::to_string(address.port)) {
      return fail(fmt::format("listening on port {}, --port {}", address.port, requested_port));
    }
    // Nothing may listen beyond the one address: a wildcard socket would serve every interface.
    const std::string expected = host_header(ListenAddress{expected_host, address.port});
    auto sockets = listening_sockets(given.process->pid());
    if (sockets.empty()) return fail("no listening socket found in /proc");
    for (const auto& socket : sockets) {
      if (socket != expected) {
        return fail(
            fmt::format("listens on {}, expected only {}", fmt::join(sockets, ", "), expected));
      }
    }
    return pass(fmt::format("{}, the only listening socket", expected));
  });
  add("ready-answers", [&] {
    const auto& address = need_ready();
    auto r =
        http_exchange(connect_host(address), address.port, http_get("/", host_header(address)), 3s);
    if (r.status != 200) return fail(fmt::format("GET / right after the line: {}", status_line(r)));
    return pass("GET / answered 200 right after the line");
  });

  // Graceful stop: one idle keep-alive connection and one /io?ms=500 request in flight.
  Outcome in_flight = fail("not run");
  Outcome stops_accepting = fail("not run");
  Outcome sigterm_exit = fail("not run");
  try {
    const auto& address = need_ready();
    const std::string host = connect_host(address);
    auto idle = HttpConnection::connect(host, address.port, 3s);
    idle.send(http_get("/", host_header(address)), 3s);
    idle.read_response(3s);
    auto busy = HttpConnection::connect(host, address.port, 3s);
    busy.send(http_get("/io?ms=500", host_header(address)), 3s);
    std::this_thread::sleep_for(100ms);  // the request is in the server's hands
    const auto signalled = Clock::now();
    given.process->send_signal(SIGTERM);
    std::this_thread::sleep_for(150ms);
    try {
      auto r = http_exchange(host, address.port, http_get("/", host_header(address)), 700ms);
      stops_accepting =
          fail(fmt::format("a new connection got {} 150 ms after SIGTERM", status_line(r)));
    } catch (const HttpClientError& e) {
      stops_accepting = pass(fmt::format("new connection after SIGTERM: {}", e.what()));
    }
    try {
      auto r = busy.read_response(kShutdownLimit);
      in_flight = r.status == 200 && r.body == kRootBody
                      ? pass(fmt::format("GET /io?ms=500 answered {} after SIGTERM", r.status))
                      : fail(fmt::format("GET /io?ms=500 in flight at SIGTERM: {} {}",
                                         status_line(r), show(r.body)));
    } catch (const HttpClientError& e) {
      in_flight = fail(fmt::format("GET /io?ms=500 in flight at SIGTERM: {}", e.what()));
    }
    auto left = std::chrono::duration_cast<milliseconds>(signalled + kShutdownLimit - Clock::now());
    auto status = given.process->wait_exit(std::max(left, 0ms));
    auto after = ms(Clock::now() - signalled);
    if (!status) {
      sigterm_exit = fail(fmt::format(
          "still running {} ms after SIGTERM (one idle keep-alive connection open)", after));
    } else if (*status != 0) {
      sigterm_exit = fail(fmt::format("exit status {} after SIGTERM, expected 0", *status));
    } else {
      sigterm_exit = pass(fmt::format("exit 0 within {} ms of SIGTERM", after));
    }
  } catch (const std::exception& e) {
    in_flight = stops_accepting = sigterm_exit = fail(e.what());
  }
  if (given.process) given.process->terminate(0ms);
  results.push_back({"sigterm-finishes-in-flight", in_flight.passed, in_flight.detail});
  results.push_back({"sigterm-stops-accepting", stops_accepting.passed, stops_accepting.detail});
  results.push_back({"sigterm-exit", sigterm_exit.passed, sigterm_exit.detail});

  add("threads-1", [&] { return check_threads(options, 1); });
  add("threads-2", [&] { return check_threads(options, 2); });
  add("threads-default", [&] {
    // Without --threads a server runs as many workers as its affinity mask holds CPUs: pinned
    // to one CPU, it must look like --threads 1.
    cpu_set_t allowed;
    if (::sched_getaffinity(0, sizeof allowed, &allowed) != 0)
      return fail("sched_getaffinity failed");
    int cpu = 0;
    while (cpu < CPU_SETSIZE && !CPU_ISSET(cpu, &allowed)) ++cpu;
    auto s = start_server(without_flag(options.argv, "--threads"), options.ready_timeout, {cpu});
    if (!s.address)
      return fail(fmt::format("without --threads, pinned to CPU {}: {}", cpu, s.error));
    auto r = http_exchange(connect_host(*s.address), s.address->port,
                           http_get("/", host_header(*s.address)), 3s);
    auto count = thread_count(s.process->pid());
    s.process->terminate(kStopAfterThreadCheck);
    if (r.status != 200) return fail(fmt::format("without --threads: GET / {}", status_line(r)));
    if (!count) return fail("cannot read Threads from /proc");
    if (options.max_extra_threads >= 0 && *count > 1 + options.max_extra_threads) {
      return fail(fmt::format(
          "without --threads, pinned to 1 CPU: {} threads in /proc (at most {} expected)", *count,
          1 + options.max_extra_threads));
    }
    return pass(fmt::format("without --threads, pinned to CPU {}: answers, {} threads in /proc",
                            cpu, *count));
  });
  add("sigint-exit", [&] {
    auto s = start_server(options.argv, options.ready_timeout);
    if (!s.address) return fail(s.error);
    const auto signalled = Clock::now();
    s.process->send_signal(SIGINT);
    auto status = s.process->wait_exit(kShutdownLimit);
    if (!status)
      return fail(fmt::format("still running {} ms after SIGINT", ms(Clock::now() - signalled)));
    if (*status != 0) return fail(fmt::format("exit status {} after SIGINT, expected 0", *status));
    return pass(fmt::format("exit 0 within {} ms of SIGINT", ms(Clock::now() - signalled)));
  });
  add("bad-flag", [&] {
    auto argv = options.argv;
    argv.push_back("--no-such-flag");
    return check_bad_argument(argv, options.ready_timeout);
  });
  add("bad-value", [&] {
    return check_bad_argument(with_flag(options.argv, "--threads", "many"), options.ready_timeout);
  });
  report.checks = in_order(lifecycle_check_names(), std::move(results));
  return report;
}

std::vector<CheckResult> verify_parity(const std::map<std::string, VerifyReport>& reports) {
  std::vector<CheckResult> results;
  enum class What { body, headers, size };
  auto compare = [&](const std::string& name, const std::string& path, What what) {
    const bool bodies = what == What::body;
    if (reports.size() < 2) {
      results.push_back(
          {name, true, fmt::format("{} server(s): nothing to compare", reports.size())});
      return;
    }
    std::vector<std::string> problems;
    const std::string* reference_server = nullptr;
    std::string reference;
    for (const auto& [server, report] : reports) {
      std::string value;
      if (bodies) {
        auto it = report.bodies.find(path);
        if (it == report.bodies.end()) {
          problems.push_back(fmt::format("{} has no answer to GET {}", server, path));
          continue;
        }
        value = it->second;
      } else if (what == What::headers) {
        auto it = report.header_names.find(path);
        if (it == report.header_names.end()) {
          problems.push_back(fmt::format("{} has no answer to GET {}", server, path));
          continue;
        }
        value = fmt::format("{}", fmt::join(it->second, ","));
      } else {
        auto it = report.response_bytes.find(path);
        if (it == report.response_bytes.end()) {
          problems.push_back(fmt::format("{} has no answer to GET {}", server, path));
          continue;
        }
        value = std::to_string(it->second);
      }
      if (!reference_server) {
        reference_server = &server;
        reference = value;
      } else if (value != reference) {
        if (bodies) {
          problems.push_back(fmt::format("{} sends {}, {} sends {}", server, show(value, 80),
                                         *reference_server, show(reference, 80)));
        } else if (what == What::headers) {
          problems.push_back(fmt::format("{} sends headers [{}], {} sends [{}]", server, value,
                                         *reference_server, reference));
        } else {
          problems.push_back(fmt::format("{} sends {} bytes, {} sends {}", server, value,
                                         *reference_server, reference));
        }
      }
    }
    if (problems.empty()) {
      const std::string seen = what == What::body      ? show(reference, 80)
                               : what == What::headers ? "[" + reference + "]"
                                                       : reference + " bytes";
      results.push_back({name, true, fmt::format("{} servers: {}", reports.size(), seen)});
    } else {
      results.push_back({name, false, fmt::format("{}", fmt::join(problems, "; "))});
    }
  };
  for (const auto& [name, path] : kParityPaths) compare("same-body-" + name, path, What::body);
  for (const auto& [name, path] : kParityPaths) {
    compare("same-headers-" + name, path, What::headers);
  }
  for (const auto& [name, path] : kParityPaths) compare("same-size-" + name, path, What::size);
  return results;
}

}  // namespace hellobench
