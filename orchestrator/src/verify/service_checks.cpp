// The service routes (GET /users/{id}, POST /orders) against the shared vectors of
// contract/vectors/service.json, byte for byte, on a server started with --live-mb = the
// vectors' live_mb. One CheckResult per vector ("service:user 7"), each on a fresh keep-alive
// connection that must still answer GET / afterwards; then what a vector cannot say: a chunked
// request body, and the 1 MiB limit that closes the connection.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <ctime>

#include "verify/check_support.hpp"
#include "verify/http_client.hpp"
#include "verify/verify.hpp"

namespace hellobench {
namespace {

using namespace verify_support;

const std::string kChunkedOrder = "service:chunked order";
const std::string kChunkedOver64KiB = "service:chunked body over 64 KiB";
const std::string kOver1MiB = "service:body over 1 MiB";
constexpr std::size_t kChunkedOverLimitBytes = 70 * 1000;  // as the vector "body of 70 KB"
constexpr std::size_t kOver1MiBBytes = 1024 * 1024 + 1;
constexpr std::size_t kChunkBytes = 16 * 1024;

struct Expected {
  int status = 0;
  std::string content_type;
  std::string body;
  std::optional<std::string> allow;
};

Expected expected_of(const ServiceVector& v) { return {v.status, v.content_type, v.body, v.allow}; }

std::string chunked(std::string_view body) {
  // A short first chunk, then kChunkBytes pieces: the server must join them.
  std::string out;
  std::size_t at = 0;
  std::size_t size = std::min<std::size_t>(body.size(), 10);
  while (at < body.size()) {
    out += fmt::format("{:x}\r\n", size);
    out.append(body.substr(at, size));
    out += "\r\n";
    at += size;
    size = std::min(kChunkBytes, body.size() - at);
  }
  return out + "0\r\n\r\n";
}

class ServiceChecker {
 public:
  ServiceChecker(const HttpCheckOptions& options, const ServiceVectors& vectors,
                 VerifyReport& report)
      : options_(options),
        vectors_(vectors),
        report_(report),
        host_(host_port(options.host, options.port)),
        close_window_(prompt_close_window(options)) {}

  Outcome check_vector(const ServiceVector& v) {
    std::string request = head(v.method, v.target, v.request_content_type);
    if (v.request_body || (v.method != "GET" && v.method != "HEAD")) {
      const std::string body = v.request_body.value_or("");
      request += fmt::format("Content-Length: {}\r\n\r\n", body.size());
      request += body;
    } else {
      request += "\r\n";
    }
    return replay(v.check_id(), v.method + " " + v.target, request, expected_of(v));
  }

  Outcome check_chunked_order() {
    const ServiceVector* order = find([](const ServiceVector& v) {
      return v.method == "POST" && v.target == "/orders" && v.status == 200 &&
             v.request_content_type == "application/json" && v.request_body;
    });
    if (!order) return fail("no vector of a POST /orders answered 200 to send chunked");
    std::string request = head("POST", "/orders", order->request_content_type) +
                          "Transfer-Encoding: chunked\r\n\r\n" + chunked(*order->request_body);
    return replay(kChunkedOrder,
                  fmt::format("chunked POST /orders (the body of '{}')", order->name), request,
                  expected_of(*order));
  }

  Outcome check_chunked_over_64kib() {
    const ServiceVector* too_big = find_too_big();
    if (!too_big) return fail("no vector answered 413 to take the answer from");
    std::string body(kChunkedOverLimitBytes, ' ');
    body.front() = '{';
    body.back() = '}';
    std::string request = head("POST", "/orders", std::string("application/json")) +
                          "Transfer-Encoding: chunked\r\n\r\n" + chunked(body);
    return replay(kChunkedOver64KiB,
                  fmt::format("chunked POST /orders of {} bytes", kChunkedOverLimitBytes), request,
                  expected_of(*too_big));
  }

  // A body over 1 MiB: 413, Connection: close, and the connection closed (contract/README.md,
  // POST /orders rule 3). The server may answer before reading the body and close: sending the
  // rest may then fail, which is fine.
  Outcome check_over_1mib() {
    const ServiceVector* too_big = find_too_big();
    if (!too_big) return fail("no vector answered 413 to take the answer from");
    const std::string label = fmt::format("POST /orders of {} bytes", kOver1MiBBytes);
    auto connection = HttpConnection::connect(options_.host, options_.port, options_.io_timeout);
    connection.send(head("POST", "/orders", std::string("application/json")) +
                        fmt::format("Content-Length: {}\r\n\r\n", kOver1MiBBytes),
                    options_.io_timeout);
    try {
      connection.send(std::string(kOver1MiBBytes, ' '), options_.io_timeout);
    } catch (const HttpClientError&) {
      // Closed (or stopped reading) before the whole body: the answer is what counts.
    }
    HttpResponse r;
    try {
      r = connection.read_response(options_.io_timeout);
    } catch (const HttpClientError& e) {
      return fail(fmt::format("{}: {}", label, e.what()));
    }
    const auto received_at = std::time(nullptr);
    report_.answers[kOver1MiB] = observe(r);
    auto problems = answer_problems(r, expected_of(*too_big), received_at, connection.buffered());
    if (!has_token(r, "Connection", "close")) {
      problems.push_back(fmt::format("no Connection: close (Connection: {})",
                                     r.header("Connection").value_or("(none)")));
    }
    if (!problems.empty()) return fail(fmt::format("{}: {}", label, fmt::join(problems, "; ")));
    return judge_prompt_close(
        connection.wait_for_close(close_window_.wait), close_window_, "connection",
        fmt::format("{}: {} {}, Connection: close", label, status_line(r), show(r.body)));
  }

 private:
  std::string head(std::string_view method, std::string_view target,
                   const std::optional<std::string>& content_type) const {
    std::string out = fmt::format("{} {} HTTP/1.1\r\nHost: {}\r\n", method, target, host_);
    if (content_type) out += fmt::format("Content-Type: {}\r\n", *content_type);
    return out;
  }

  template <typename Predicate>
  const ServiceVector* find(Predicate predicate) const {
    auto it = std::find_if(vectors_.vectors.begin(), vectors_.vectors.end(), predicate);
    return it == vectors_.vectors.end() ? nullptr : &*it;
  }
  const ServiceVector* find_too_big() const {
    return find([](const ServiceVector& v) { return v.status == 413; });
  }

  // Everything wrong with an answer, in the order a reader wants it: what was answered, then
  // the headers every answer carries.
  std::vector<std::string> answer_problems(const HttpResponse& r, const Expected& expected,
                                           std::time_t received_at,
                                           std::string_view leftover) const {
    std::vector<std::string> problems;
    if (r.status != expected.status) {
      problems.push_back(fmt::format("expected {} {}, got {} {}", expected.status,
                                     show(expected.body), status_line(r), show(r.body)));
    } else {
      const auto type = r.header_values("Content-Type");
      if (type.size() == 1 && type[0] != expected.content_type) {
        problems.push_back(fmt::format("Content-Type {}, expected {}", show(type[0]),
                                       show(expected.content_type)));
      }
      if (r.body != expected.body) problems.push_back(body_difference(expected.body, r.body));
      if (expected.allow) {
        const auto allow = r.header_values("Allow");
        if (allow.size() != 1) {
          problems.push_back(fmt::format("{} Allow headers, expected one: Allow: {}", allow.size(),
                                         *expected.allow));
        } else if (allow[0] != *expected.allow) {
          problems.push_back(
              fmt::format("Allow {}, expected {}", show(allow[0]), show(*expected.allow)));
        }
      }
    }
    for (auto problem : {server_header_problem(r), date_header_problem(r, received_at),
                         content_type_header_problem(r), content_length_problem(r, leftover),
                         chunked_problem(r)}) {
      if (problem) problems.push_back(*problem);
    }
    return problems;
  }

  // Sends request on a fresh connection, checks the answer against expected and the rules of
  // every answer, then asks GET / on the same connection: the connection must have been kept.
  Outcome replay(const std::string& id, const std::string& label, const std::string& request,
                 const Expected& expected) {
    auto connection = HttpConnection::connect(options_.host, options_.port, options_.io_timeout);
    HttpResponse r;
    try {
      connection.send(request, options_.io_timeout);
      r = connection.read_response(options_.io_timeout);
    } catch (const HttpClientError& e) {
      return fail(fmt::format("{}: {}", label, e.what()));
    }
    const auto received_at = std::time(nullptr);
    report_.answers[id] = observe(r);
    auto problems = answer_problems(r, expected, received_at, connection.buffered());
    if (has_token(r, "Connection", "close")) {
      problems.push_back("the answer says Connection: close (the connection must be kept)");
    }
    std::string kept;
    try {
      connection.send(http_get("/", host_), options_.io_timeout);
      auto next = connection.read_response(options_.io_timeout);
      if (next.status != 200 || next.body != kRootBody) {
        problems.push_back(fmt::format("GET / on the same connection afterwards: {} {}",
                                       status_line(next), show(next.body)));
      }
    } catch (const HttpClientError& e) {
      problems.push_back(
          fmt::format("the connection was not kept after the answer: GET / on it: {}", e.what()));
    }
    if (!problems.empty()) return fail(fmt::format("{}: {}", label, fmt::join(problems, "; ")));
    return pass(fmt::format("{}: {} {}, {}-byte body as expected; the connection kept", label,
                            r.status, expected.content_type, r.body.size()));
  }

  const HttpCheckOptions& options_;
  const ServiceVectors& vectors_;
  VerifyReport& report_;
  std::string host_;
  CloseWindow close_window_;
};

}  // namespace

std::vector<std::string> service_check_names(const ServiceVectors& vectors) {
  std::vector<std::string> names;
  for (const auto& v : vectors.vectors) names.push_back(v.check_id());
  names.insert(names.end(), {kChunkedOrder, kChunkedOver64KiB, kOver1MiB});
  return names;
}

VerifyReport verify_service(const HttpCheckOptions& options, const ServiceVectors& vectors) {
  VerifyReport report;
  ServiceChecker checker(options, vectors, report);
  std::vector<CheckResult> results;
  for (const auto& v : vectors.vectors) {
    results.push_back(run_check(v.check_id(), [&] { return checker.check_vector(v); }));
  }
  results.push_back(run_check(kChunkedOrder, [&] { return checker.check_chunked_order(); }));
  results.push_back(
      run_check(kChunkedOver64KiB, [&] { return checker.check_chunked_over_64kib(); }));
  results.push_back(run_check(
      kOver1MiB, [&] { return checker.check_over_1mib(); }, Retry::on_timing));
  report.checks = in_order(service_check_names(vectors), std::move(results));
  return report;
}

}  // namespace hellobench
