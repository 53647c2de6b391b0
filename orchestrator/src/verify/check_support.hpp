// What the verify modules share: a check's outcome and how it becomes a CheckResult (with one
// retry for a timing failure), the every-answer header rules, the wait for a prompt close, and
// small text helpers for details. Internal to src/verify/.
#pragma once

#include <chrono>
#include <ctime>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "verify/http_client.hpp"
#include "verify/verify.hpp"

namespace hellobench::verify_support {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::string_view kRootBody = "Hello, World!";
constexpr std::string_view kJsonBody = R"({"message":"Hello, World!"})";
constexpr std::string_view kRootContentType = "text/plain; charset=utf-8";
constexpr std::string_view kJsonContentType = "application/json";

struct Outcome {
  bool passed = false;
  std::string detail;
  bool timing = false;  // see CheckResult::timing
};

Outcome pass(std::string detail = {});
// A check that judges a time limit and met it.
Outcome pass_in_time(std::string detail);
Outcome fail(std::string detail);
// Everything right but a time limit: the answer, close or exit came, late.
Outcome late(std::string detail);

enum class Retry { no, on_timing };

// Runs one check; an exception (a request that could not be made) is a failure with its text.
// With Retry::on_timing a timing failure runs the check once more and the second try decides
// (a loaded machine should not fail a server; a server that is really slow is slow twice).
CheckResult run_check(const std::string& name, const std::function<Outcome()>& check,
                      Retry retry = Retry::no);
CheckResult to_result(const std::string& name, Outcome outcome);
// A failed result for a check that could not run, and why.
CheckResult not_run(const std::string& name, const std::string& why);

// Puts results in the order of names; a name without a result is a failure (not run).
std::vector<CheckResult> in_order(const std::vector<std::string>& names,
                                  std::vector<CheckResult> results);

long long ms(Clock::duration d);
bool iequals(std::string_view a, std::string_view b);
// A body for a detail line: quoted, cut short, control characters escaped.
std::string show(std::string_view text, std::size_t limit = 60);
// Where two bodies first differ, with a little context from each: for a detail line.
std::string body_difference(std::string_view expected, std::string_view got);
std::string status_line(const HttpResponse& r);
// "127.0.0.1:8080", "[::1]:8080": a Host header value.
std::string host_port(const std::string& host, std::uint16_t port);

// True when a comma-separated header value holds token (case-insensitive), e.g. "close".
bool has_token(const HttpResponse& r, std::string_view header, std::string_view token);
// RFC 7231 IMF-fixdate, the only form a server may send: "Sun, 06 Nov 1994 08:49:37 GMT".
std::optional<std::time_t> parse_imf_fixdate(const std::string& text);

// Bytes of a response as sent: "HTTP/1.x NNN reason" CRLF, "name: value" CRLF each, CRLF, body.
std::size_t wire_size(const HttpResponse& response);
ObservedAnswer observe(const HttpResponse& response);

// The rules every answer of a server's own handlers keeps (section 1); nullopt when it does.
std::optional<std::string> server_header_problem(const HttpResponse& r);
// received_at: the client's wall clock when the answer was complete.
std::optional<std::string> date_header_problem(const HttpResponse& r, std::time_t received_at);
std::optional<std::string> content_type_header_problem(const HttpResponse& r);
// leftover: bytes that came after the body on the same read (a wrong Content-Length).
std::optional<std::string> content_length_problem(const HttpResponse& r, std::string_view leftover);
std::optional<std::string> chunked_problem(const HttpResponse& r);

// A close that the contract wants "at once" (after Connection: close, an HTTP/1.0 answer, a
// rejected request): on a quiet machine it takes a millisecond. Within `limit` passes; later but
// within `wait` is late (a timing failure); still open after `wait` is a failure. `wait` stays
// well under the idle timeout, whose close must not pass for this one.
struct CloseWindow {
  milliseconds limit;
  milliseconds wait;
};
CloseWindow prompt_close_window(const HttpCheckOptions& options);
// what: "connection after Connection: close"; passed: what else was seen, for the detail.
Outcome judge_prompt_close(const PeerClose& closed, const CloseWindow& window,
                           std::string_view what, std::string_view passed = {});

}  // namespace hellobench::verify_support
