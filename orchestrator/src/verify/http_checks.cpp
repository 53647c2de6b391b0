// The HTTP behaviour of section 1 on a running server: the answers of /, /json, /user, /io, 404
// and 405, the headers every answer carries, keep-alive, closes, pipelining, header limits,
// malformed requests and (slow) the header and idle timeouts. Each check is one CheckResult
// with a stable id; a check that cannot even make its request fails with the client's error.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <future>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "verify/check_support.hpp"
#include "verify/http_client.hpp"
#include "verify/verify.hpp"

namespace hellobench {
namespace {

using namespace std::chrono_literals;
using namespace verify_support;

constexpr std::size_t kUserFieldCount = 13;

// How far from a timeout of the contract a server may act and still pass: 10% early (timers
// with coarse ticks), 10% + 1 s late (a loaded machine; a quiet one is a few ms late). Still open
// 2 s after that: the server has no such timeout. 10 s: 9..12 s; 60 s: 54..67 s.
milliseconds earliest(milliseconds limit) { return limit * 9 / 10; }
milliseconds latest(milliseconds limit) { return limit * 11 / 10 + 1s; }
milliseconds give_up(milliseconds limit) { return latest(limit) + 2s; }

// GET /io?ms=100 may take 100 ms plus this: a quiet machine needs about a millisecond.
constexpr milliseconds kIoDelayOverhead = 900ms;
// 16 concurrent GET /io?ms=500 must all be answered within this: a server whose waits hold its
// (at most 8) worker threads needs two rounds, 1000 ms; one that does not, 500 ms and a few.
constexpr int kConcurrentWaits = 16;
constexpr milliseconds kConcurrentWait = 500ms;
constexpr milliseconds kConcurrentLimit = 1000ms;

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
    "edge-percent-encoded-path",
    "edge-percent-encoded-query",
    "edge-http-1.2",
    "edge-http-2.0-text",
    "edge-http-0.9",
    "edge-get-with-body",
    "edge-duplicate-content-length-same",
    "edge-duplicate-content-length-different",
    "edge-transfer-encoding-and-content-length",
    "edge-space-in-header-name",
    "edge-control-byte-in-header-name",
    "edge-request-line-over-limit",
    "edge-http-1.1-without-host",
    "edge-two-host-fields",
    "edge-lowercase-method",
    "edge-absolute-form",
    "edge-post-body-on-get-route",
    "alive-after-bad-requests",
};
const std::vector<std::string> kSlowHttpChecks = {"header-timeout", "header-timeout-trickle",
                                                  "silent-connection", "idle-timeout",
                                                  "io-max-delay"};

// One request/response exchange and what surrounded it.
struct Exchange {
  std::string label;  // "GET /json", for details
  HttpResponse response;
  std::string leftover;  // bytes after the response on the same read: a framing error
  Clock::duration took{};
  std::time_t received_at = 0;  // wall clock when the answer was complete
};

// The edge contract (contract/README.md, "Edges"): a raw request, the answers it gets and
// whether the server then closes. Where a framework answers before any code of the server runs
// and cannot be changed, the other outcome it gives is listed with the reason: a server that
// gives it passes with that reason in the check's detail, never silently.
struct EdgeOutcome {
  std::vector<int> statuses;  // one per answer, in order
  bool closes = false;        // closed after the answers; else still open (GET / gets 200)
};
struct EdgeDifference {
  EdgeOutcome outcome;
  std::string_view why;
};
struct EdgeCase {
  std::string_view name;
  std::string request;  // "{host}" stands for the Host header's value
  EdgeOutcome expected;
  std::vector<EdgeDifference> recorded;
};
const std::vector<EdgeCase>& edge_cases() {
  static const std::vector<EdgeCase> cases = {
      {"edge-percent-encoded-path", "GET /%6Ason HTTP/1.1\r\nHost: {host}\r\n\r\n", {{404}, false}, {}},
      {"edge-percent-encoded-query", "GET /io?ms=%35 HTTP/1.1\r\nHost: {host}\r\n\r\n",
       {{400}, false}, {}},
      // net/http would take any HTTP/1.x; go-server refuses 1.2 and up itself, as the others.
      {"edge-http-1.2", "GET / HTTP/1.2\r\nHost: {host}\r\n\r\n", {{400}, true}, {}},
      {"edge-http-2.0-text",
       "GET / HTTP/2.0\r\nHost: {host}\r\n\r\n",
       {{400}, true},
       {{{{505}, true}, "net/http answers 505 HTTP Version Not Supported before any handler"}}},
      {"edge-http-0.9", "GET /\r\n\r\n", {{400}, true}, {}},
      {"edge-get-with-body",
       "GET / HTTP/1.1\r\nHost: {host}\r\nContent-Length: 5\r\n\r\nhelloGET / HTTP/1.1\r\n"
       "Host: {host}\r\n\r\n",
       {{200, 200}, false},
       {}},
      {"edge-duplicate-content-length-same",
       "POST /orders HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
       "Content-Length: 2\r\nContent-Length: 2\r\n\r\n[]",
       {{422}, false},
       {}},
      {"edge-duplicate-content-length-different",
       "POST /orders HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
       "Content-Length: 2\r\nContent-Length: 3\r\n\r\n[]",
       {{400}, true},
       {}},
      {"edge-transfer-encoding-and-content-length",
       "POST /orders HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
       "Transfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n2\r\n[]\r\n0\r\n\r\n",
       {{400}, true},
       {{{{422}, true},
         "hyper reads the body by Transfer-Encoding alone, drops Content-Length before the "
         "service can see it, and closes afterwards (RFC 9112 6.3 allows either)"},
        {{{422}, false},
         "net/http reads the body by Transfer-Encoding, drops Content-Length before the handler "
         "can see it, and keeps the connection (RFC 9112 6.3 says it must close)"}}},
      {"edge-space-in-header-name", "GET / HTTP/1.1\r\nHost: {host}\r\nBad Name: v\r\n\r\n",
       {{400}, true}, {}},
      {"edge-control-byte-in-header-name",
       std::string("GET / HTTP/1.1\r\nHost: {host}\r\nBad\x01: v\r\n\r\n"), {{400}, true}, {}},
      {"edge-request-line-over-limit",
       "GET /" + std::string(9000, 'a') + " HTTP/1.1\r\nHost: {host}\r\n\r\n", {{431}, true}, {}},
      {"edge-http-1.1-without-host", "GET / HTTP/1.1\r\n\r\n", {{400}, true}, {}},
      {"edge-two-host-fields", "GET / HTTP/1.1\r\nHost: {host}\r\nHost: {host}\r\n\r\n",
       {{400}, true}, {}},
      {"edge-lowercase-method", "get / HTTP/1.1\r\nHost: {host}\r\n\r\n", {{405}, false}, {}},
      {"edge-absolute-form", "GET http://{host}/ HTTP/1.1\r\nHost: {host}\r\n\r\n", {{200}, false},
       {}},
      {"edge-post-body-on-get-route", "POST / HTTP/1.1\r\nHost: {host}\r\nContent-Length: 3\r\n\r\nabc",
       {{405}, false}, {}},
  };
  return cases;
}

std::string describe(const EdgeOutcome& o) {
  return fmt::format("{}{}", fmt::join(o.statuses, ", "), o.closes ? ", then closed" : ", kept open");
}

class HttpChecker {
 public:
  explicit HttpChecker(const HttpCheckOptions& options)
      : options_(options),
        host_header_(host_port(options.host, options.port)),
        close_window_(prompt_close_window(options)) {}

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
  Outcome check_edge(const EdgeCase& c);
  Outcome check_every_response(
      const std::function<std::optional<std::string>(const Exchange&)>& rule) const;

  const HttpCheckOptions& options_;
  std::string host_header_;
  CloseWindow close_window_;
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

Outcome HttpChecker::check_edge(const EdgeCase& c) {
  std::string request = c.request;
  for (std::size_t at; (at = request.find("{host}")) != std::string::npos;) {
    request.replace(at, 6, host_header_);
  }
  auto connection = connect();
  connection.send(request, options_.io_timeout);
  EdgeOutcome got;
  std::string bodies;
  for (std::size_t i = 0; i < c.expected.statuses.size(); ++i) {
    HttpResponse r;
    try {
      r = connection.read_response(options_.io_timeout);
    } catch (const HttpClientError& e) {
      if (i == 0) return fail(fmt::format("no answer ({}), expected {}", e.what(), describe(c.expected)));
      break;  // fewer answers than expected: judged below
    }
    got.statuses.push_back(r.status);
    if (!bodies.empty()) bodies += "; ";
    bodies += fmt::format("{} {}", r.status, show(r.body, 40));
  }
  // Still open and serving (the next request on it gets 200), or closed: a GET / sent at once
  // tells them apart without waiting; one that gets neither an answer nor a close fails.
  try {
    connection.send(get("/"), options_.io_timeout);
    const HttpResponse next = connection.read_response(options_.io_timeout);
    if (next.status != 200) {
      return fail(fmt::format("answered {}, then GET / on the same connection: {}", bodies,
                              status_line(next)));
    }
    got.closes = false;
  } catch (const HttpClientError& e) {
    const PeerClose closed = connection.wait_for_close(close_window_.wait);
    if (closed.outcome == PeerClose::Outcome::still_open) {
      return fail(fmt::format("answered {}, then neither answered GET / nor closed ({})", bodies,
                              e.what()));
    }
    got.closes = true;
  }
  const auto same = [&](const EdgeOutcome& o) {
    return o.statuses == got.statuses && o.closes == got.closes;
  };
  if (same(c.expected)) return pass(fmt::format("{} ({})", describe(got), bodies));
  for (const EdgeDifference& d : c.recorded) {
    if (same(d.outcome)) {
      return pass(fmt::format("recorded difference: {} instead of {}: {}", describe(got),
                              describe(c.expected), d.why));
    }
  }
  return fail(fmt::format("{} ({}), expected {}", describe(got), bodies, describe(c.expected)));
}

std::vector<CheckResult> HttpChecker::run_fast(VerifyReport& report) {
  std::vector<CheckResult> results;
  auto add = [&](const std::string& name, const std::function<Outcome()>& check,
                 Retry retry = Retry::no) { results.push_back(run_check(name, check, retry)); };

  // The three main answers, kept for the content checks and for parity across servers.
  std::optional<Exchange> root, json, user;
  std::string root_error, json_error, user_error;
  auto fetch = [&](const std::string& path, std::optional<Exchange>& into, std::string& error) {
    try {
      into = exchange("GET " + path, get(path), true);
      report.answers[path] = observe(into->response);
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
  add(
      "io-delay",
      [&] {
        auto e = exchange("GET /io?ms=100", get("/io?ms=100"), true);
        auto outcome = expect_answer(e, 200, kRootBody);
        if (!outcome.passed) return outcome;
        if (e.took < 100ms) {
          return fail(
              fmt::format("GET /io?ms=100 answered after {} ms, before 100 ms", ms(e.took)));
        }
        const auto limit = 100ms + kIoDelayOverhead;
        if (e.took >= limit) {
          return late(fmt::format("GET /io?ms=100 answered after {} ms (limit {} ms)", ms(e.took),
                                  limit.count()));
        }
        return pass_in_time(fmt::format("answered after {} ms", ms(e.took)));
      },
      Retry::on_timing);
  add(
      "io-concurrent",
      [&] {
        // The wait must not hold a worker thread: 16 waits of 500 ms at once end together. A
        // server that sleeps on its threads (8 or fewer) needs two rounds or more, >= 1 s.
        const auto target = fmt::format("/io?ms={}", kConcurrentWait.count());
        std::vector<HttpConnection> connections;
        for (int i = 0; i < kConcurrentWaits; ++i) connections.push_back(connect());
        const auto start = Clock::now();
        for (auto& c : connections) c.send(get(target), options_.io_timeout);
        for (int i = 0; i < kConcurrentWaits; ++i) {
          auto r = connections[i].read_response(options_.io_timeout);
          if (r.status != 200) {
            return fail(fmt::format("request {} of {} concurrent GET {}: {}", i + 1,
                                    kConcurrentWaits, target, status_line(r)));
          }
          // Stop at the limit rather than wait for every answer of a server that serialises.
          if (Clock::now() - start >= kConcurrentLimit) break;
        }
        auto took = Clock::now() - start;
        if (took >= kConcurrentLimit) {
          return late(fmt::format(
              "{} concurrent GET {} took {} ms (limit {} ms): do the waits hold worker threads?",
              kConcurrentWaits, target, ms(took), kConcurrentLimit.count()));
        }
        return pass_in_time(fmt::format("{} concurrent GET {} all answered within {} ms",
                                        kConcurrentWaits, target, ms(took)));
      },
      Retry::on_timing);
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
    return check_every_response(
        [](const Exchange& e) { return server_header_problem(e.response); });
  });
  add("date-header", [&] {
    return check_every_response(
        [](const Exchange& e) { return date_header_problem(e.response, e.received_at); });
  });
  add("content-type-header", [&] {
    return check_every_response(
        [](const Exchange& e) { return content_type_header_problem(e.response); });
  });
  add("content-length", [&] {
    return check_every_response(
        [](const Exchange& e) { return content_length_problem(e.response, e.leftover); });
  });
  add("no-chunked", [&] {
    return check_every_response([](const Exchange& e) { return chunked_problem(e.response); });
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
  add(
      "connection-close",
      [&] {
        auto connection = connect();
        connection.send(get("/", "Connection: close\r\n"), options_.io_timeout);
        auto r = connection.read_response(options_.io_timeout);
        if (r.status != 200)
          return fail(fmt::format("GET / with Connection: close: {}", status_line(r)));
        if (!has_token(r, "Connection", "close")) {
          return fail(fmt::format("answer has no Connection: close (Connection: {})",
                                  r.header("Connection").value_or("(none)")));
        }
        auto closed = connection.wait_for_close(close_window_.wait);
        if (!closed.data.empty()) {
          return fail(
              fmt::format("{} bytes after the answer: {}", closed.data.size(), show(closed.data)));
        }
        return judge_prompt_close(closed, close_window_, "connection");
      },
      Retry::on_timing);
  add(
      "http10-close",
      [&] {
        auto connection = connect();
        connection.send(fmt::format("GET / HTTP/1.0\r\nHost: {}\r\n\r\n", host_header_),
                        options_.io_timeout);
        auto r = connection.read_response(options_.io_timeout);
        if (r.status != 200 || r.body != kRootBody)
          return fail(fmt::format("GET / HTTP/1.0: {} {}", status_line(r), show(r.body)));
        auto closed = connection.wait_for_close(close_window_.wait);
        return judge_prompt_close(closed, close_window_, "connection", status_line(r));
      },
      Retry::on_timing);
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
  add(
      "header-9k-rejected",
      [&] {
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
        auto closed = connection.wait_for_close(close_window_.wait);
        return judge_prompt_close(
            closed, close_window_, "connection",
            fmt::format("{}-byte header section: {}", request.size(), r.status));
      },
      Retry::on_timing);
  add(
      "malformed-request",
      [&] {
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
        auto closed = connection.wait_for_close(close_window_.wait);
        return judge_prompt_close(closed, close_window_, "connection", "400");
      },
      Retry::on_timing);
  for (const EdgeCase& c : edge_cases()) {
    add(std::string(c.name), [&] { return check_edge(c); }, Retry::on_timing);
  }
  add("alive-after-bad-requests", [&] {
    return expect_answer(exchange("GET / after the bad requests", get("/"), false), 200, kRootBody);
  });
  return results;
}

std::vector<CheckResult> HttpChecker::run_slow(const HttpCheckOptions& options) {
  // Each waits on its own connection; together they take as long as the longest (~1 min).
  const std::string host_header = host_port(options.host, options.port);
  auto connect = [options] {
    return HttpConnection::connect(options.host, options.port, options.io_timeout);
  };

  // Closed within [earliest, latest] of limit after the wait began: early is the server's
  // doing, late may be the machine's, and still open at give_up means no timeout at all.
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
      return late(fmt::format("{} closed after {} ms, later than {} ms", what, ms(closed.after),
                              latest(limit).count()));
    }
    return pass_in_time(
        fmt::format("{} closed after {} ms{}", what, ms(closed.after),
                    closed.data.empty() ? "" : fmt::format(", with {}", show(closed.data, 30))));
  };
  auto header_timeout = std::async(std::launch::async, [=] {
    return run_check("header-timeout", [&] {
      auto connection = connect();
      // An unfinished header section: the request line and one field, no empty line.
      connection.send(fmt::format("GET / HTTP/1.1\r\nHost: {}\r\n", host_header),
                      options.io_timeout);
      auto closed = connection.wait_for_close(give_up(options.header_timeout));
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
      const auto stop_at = give_up(options.header_timeout);
      PeerClose closed;
      for (;;) {
        closed = connection.wait_for_close(step);
        if (closed.outcome != PeerClose::Outcome::still_open) break;
        if (Clock::now() - start >= stop_at) break;
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
      auto closed = connection.wait_for_close(give_up(options.header_timeout));
      return judge_close(closed, options.header_timeout, "connection that sent nothing");
    });
  });
  auto idle_timeout = std::async(std::launch::async, [=] {
    return run_check("idle-timeout", [&] {
      auto connection = connect();
      connection.send(http_get("/", host_header), options.io_timeout);
      auto r = connection.read_response(options.io_timeout);
      if (r.status != 200) return fail(fmt::format("GET /: {}", status_line(r)));
      auto closed = connection.wait_for_close(give_up(options.idle_timeout));
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

}  // namespace

std::vector<std::string> http_check_names(bool slow_checks) {
  auto names = kFastHttpChecks;
  if (slow_checks) names.insert(names.end(), kSlowHttpChecks.begin(), kSlowHttpChecks.end());
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

}  // namespace hellobench
