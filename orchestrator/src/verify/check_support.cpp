#include "verify/check_support.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace hellobench {

bool VerifyReport::passed() const {
  return std::all_of(checks.begin(), checks.end(), [](const CheckResult& c) { return c.passed; });
}

std::vector<CheckResult> VerifyReport::failures() const {
  std::vector<CheckResult> failed;
  std::copy_if(checks.begin(), checks.end(), std::back_inserter(failed),
               [](const CheckResult& c) { return !c.passed; });
  return failed;
}

bool VerifyReport::only_timing_failures() const {
  const auto failed = failures();
  return !failed.empty() &&
         std::all_of(failed.begin(), failed.end(), [](const CheckResult& c) { return c.timing; });
}

namespace verify_support {

using namespace std::chrono_literals;

Outcome pass(std::string detail) { return {true, std::move(detail), false}; }
Outcome pass_in_time(std::string detail) { return {true, std::move(detail), true}; }
Outcome fail(std::string detail) { return {false, std::move(detail), false}; }
Outcome late(std::string detail) { return {false, std::move(detail), true}; }

CheckResult to_result(const std::string& name, Outcome outcome) {
  CheckResult result;
  result.name = name;
  result.passed = outcome.passed;
  result.detail = std::move(outcome.detail);
  result.timing = outcome.timing;
  return result;
}

CheckResult not_run(const std::string& name, const std::string& why) {
  return to_result(name, fail("not run: " + why));
}

namespace {

Outcome attempt(const std::function<Outcome()>& check) {
  try {
    return check();
  } catch (const std::exception& e) {
    return fail(e.what());
  }
}

}  // namespace

CheckResult run_check(const std::string& name, const std::function<Outcome()>& check, Retry retry) {
  Outcome first = attempt(check);
  if (first.passed || !first.timing || retry == Retry::no) return to_result(name, std::move(first));
  Outcome second = attempt(check);
  second.detail = fmt::format("{} (second try; the first: {})", second.detail, first.detail);
  return to_result(name, std::move(second));
}

std::vector<CheckResult> in_order(const std::vector<std::string>& names,
                                  std::vector<CheckResult> results) {
  std::vector<CheckResult> ordered;
  for (const auto& name : names) {
    auto it = std::find_if(results.begin(), results.end(),
                           [&](const CheckResult& r) { return r.name == name; });
    ordered.push_back(it != results.end() ? std::move(*it) : to_result(name, fail("not run")));
  }
  return ordered;
}

long long ms(Clock::duration d) { return std::chrono::duration_cast<milliseconds>(d).count(); }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string show(std::string_view text, std::size_t limit) {
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

std::string body_difference(std::string_view expected, std::string_view got) {
  const auto mismatch = std::mismatch(expected.begin(), expected.end(), got.begin(), got.end());
  const auto at = static_cast<std::size_t>(mismatch.first - expected.begin());
  const std::size_t from = at > 20 ? at - 20 : 0;
  auto excerpt = [&](std::string_view text) {
    if (from >= text.size()) return std::string("(end)");
    return (from > 0 ? "..." : "") + show(text.substr(from), 50);
  };
  return fmt::format(
      "{}-byte body differs from the expected {} bytes at byte {}: expected {}, got {}", got.size(),
      expected.size(), at, excerpt(expected), excerpt(got));
}

std::string status_line(const HttpResponse& r) {
  return fmt::format("HTTP/{}.{} {}", r.version / 10, r.version % 10, r.status);
}

std::string host_port(const std::string& host, std::uint16_t port) {
  return host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port)
                                             : fmt::format("{}:{}", host, port);
}

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

// The answer's size on the wire without its reason phrase: RFC 9112 section 4 makes the phrase
// informational (a client ignores it), and net/http's phrases cannot be changed ("413 Request
// Entity Too Large" where Beast and hyper say "Payload Too Large"; contract/README.md records it).
std::size_t wire_size(const HttpResponse& response) {
  std::size_t size =
      fmt::format("HTTP/1.{} {} \r\n", response.version % 10, response.status).size();
  for (const auto& [name, value] : response.headers) size += name.size() + 2 + value.size() + 2;
  return size + 2 + response.body.size();
}

ObservedAnswer observe(const HttpResponse& response) {
  return {response.body, response.header_names(), wire_size(response)};
}

std::optional<std::string> server_header_problem(const HttpResponse& r) {
  auto values = r.header_values("Server");
  if (values.size() != 1)
    return fmt::format("{} Server headers, expected exactly 1", values.size());
  if (values[0] != "hellobench")
    return fmt::format("Server: {}, expected hellobench", show(values[0]));
  return std::nullopt;
}

std::optional<std::string> date_header_problem(const HttpResponse& r, std::time_t received_at) {
  auto values = r.header_values("Date");
  if (values.size() != 1) return fmt::format("{} Date headers, expected exactly 1", values.size());
  auto date = parse_imf_fixdate(values[0]);
  if (!date) return fmt::format("Date {} is not an RFC 7231 IMF-fixdate", show(values[0]));
  auto off = *date - received_at;
  if (off > 2 || off < -2) return fmt::format("Date {} is {} s off the clock", values[0], off);
  return std::nullopt;
}

std::optional<std::string> content_type_header_problem(const HttpResponse& r) {
  auto values = r.header_values("Content-Type");
  if (values.size() != 1)
    return fmt::format("{} Content-Type headers, expected exactly 1", values.size());
  return std::nullopt;
}

std::optional<std::string> content_length_problem(const HttpResponse& r,
                                                  std::string_view leftover) {
  auto values = r.header_values("Content-Length");
  if (values.size() != 1)
    return fmt::format("{} Content-Length headers, expected exactly 1", values.size());
  if (values[0] != std::to_string(r.body.size())) {
    return fmt::format("Content-Length {} for a {}-byte body", show(values[0]), r.body.size());
  }
  if (!leftover.empty())
    return fmt::format("{} bytes after the body: {}", leftover.size(), show(leftover));
  return std::nullopt;
}

std::optional<std::string> chunked_problem(const HttpResponse& r) {
  auto values = r.header_values("Transfer-Encoding");
  if (!values.empty()) return fmt::format("Transfer-Encoding: {}", values[0]);
  return std::nullopt;
}

CloseWindow prompt_close_window(const HttpCheckOptions& options) {
  // 1 s is a thousand times what a quiet machine needs; waiting up to 5 s (at most 40% of the
  // idle timeout) tells a late close from none.
  const milliseconds limit = std::min<milliseconds>(1s, options.idle_timeout * 2 / 5);
  const milliseconds wait =
      std::max(limit, std::min<milliseconds>(5s, options.idle_timeout * 2 / 5));
  return {limit, wait};
}

Outcome judge_prompt_close(const PeerClose& closed, const CloseWindow& window,
                           std::string_view what, std::string_view passed) {
  const std::string seen = passed.empty() ? std::string() : fmt::format("{}, ", passed);
  if (closed.outcome == PeerClose::Outcome::still_open) {
    return fail(fmt::format("{}{} still open {} ms later", seen, what, ms(closed.after)));
  }
  if (closed.after > window.limit) {
    return late(fmt::format("{}{} closed after {} ms (limit {} ms)", seen, what,
                            closed.after.count(), window.limit.count()));
  }
  return pass_in_time(fmt::format("{}{} closed after {} ms", seen, what, closed.after.count()));
}

}  // namespace verify_support
}  // namespace hellobench
