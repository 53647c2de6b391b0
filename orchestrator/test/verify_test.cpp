// The contract checks themselves, against test/helpers/verify_server.cpp: a server that keeps
// every rule passes every check, and a server that breaks one rule (--break RULE) fails the
// check for that rule. The slow checks run with the timeouts scaled down to 1-2.5 s.
// Real time is the point here (timeouts, graceful stops): each test takes 0.1-6 s, the whole
// executable run by hand about 75 s; ctest runs the tests separately, in parallel.
#include "verify/verify.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "trial/process.hpp"

namespace hellobench {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

const std::string kServer = std::string(HELLOBENCH_TEST_HELPER_DIR) + "/verify_server";

// Scaled-down limits for the slow checks (the contract's are 10 s and 60 s).
constexpr int kHeaderTimeoutMs = 1000;
constexpr int kIdleTimeoutMs = 2500;  // above the header timeout's latest pass (2.1 s)
constexpr int kIoMaxMs = 1000;

std::vector<std::string> server_argv(const std::vector<std::string>& breaks) {
  std::vector<std::string> argv = {kServer,
                                   "--port",
                                   "0",
                                   "--threads",
                                   "24",
                                   "--header-timeout-ms",
                                   std::to_string(kHeaderTimeoutMs),
                                   "--idle-timeout-ms",
                                   std::to_string(kIdleTimeoutMs),
                                   "--io-max-ms",
                                   std::to_string(kIoMaxMs)};
  for (const auto& rule : breaks) {
    argv.push_back("--break");
    argv.push_back(rule);
  }
  return argv;
}

// A running verify_server and the options to check it. 24 workers: the io-concurrent check
// holds 16 connections, the slow checks three more.
class HelperServer {
 public:
  explicit HelperServer(const std::vector<std::string>& breaks = {},
                        const std::string& bind = "127.0.0.1")
      : host_(bind) {
    ProcessSpec spec;
    spec.argv = server_argv(breaks);
    spec.argv.insert(spec.argv.end(), {"--bind", bind});
    process_.emplace(Process::spawn(spec));
    auto line = process_->wait_for_stdout_line("listening on ", 5s);
    if (!line) throw std::runtime_error("verify_server did not start: " + process_->stderr_text());
    port_ = static_cast<std::uint16_t>(std::stoi(line->substr(line->rfind(':') + 1)));
  }
  HttpCheckOptions options(bool slow = false) const {
    HttpCheckOptions o;
    o.host = host_;
    o.port = port_;
    o.slow_checks = slow;
    o.header_timeout = std::chrono::milliseconds(kHeaderTimeoutMs);
    o.idle_timeout = std::chrono::milliseconds(kIdleTimeoutMs);
    o.io_max_ms = kIoMaxMs;
    return o;
  }

 private:
  std::string host_;
  std::optional<Process> process_;
  std::uint16_t port_ = 0;
};

const CheckResult& find_check(const VerifyReport& report, const std::string& name) {
  auto it = std::find_if(report.checks.begin(), report.checks.end(),
                         [&](const CheckResult& c) { return c.name == name; });
  if (it == report.checks.end()) throw std::runtime_error("no check named " + name);
  return *it;
}

std::string describe_failures(const VerifyReport& report) {
  std::string out;
  for (const auto& c : report.failures()) out += c.name + ": " + c.detail + "\n";
  return out;
}

std::vector<std::string> names_of(const std::vector<CheckResult>& checks) {
  std::vector<std::string> names;
  for (const auto& c : checks) names.push_back(c.name);
  return names;
}

// A port nothing listens on: bound, then closed again.
std::uint16_t unused_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

// --- verify_http ---

TEST(VerifyHttp, ConformingServerPassesEveryFastCheck) {
  HelperServer server;
  auto report = verify_http(server.options());
  EXPECT_TRUE(report.passed()) << describe_failures(report);
  EXPECT_EQ(names_of(report.checks), http_check_names(false));
}

TEST(VerifyHttp, KeepsTheBodiesAndHeaderNamesForParity) {
  HelperServer server;
  auto report = verify_http(server.options());
  EXPECT_EQ(report.bodies["/"], "Hello, World!");
  EXPECT_EQ(report.bodies["/json"], R"({"message":"Hello, World!"})");
  EXPECT_THAT(report.bodies["/user"], HasSubstr(R"("name":"Ada Lovelace")"));
  const std::vector<std::string> expected = {"content-length", "content-type", "date", "server"};
  EXPECT_EQ(report.header_names["/"], expected);
  EXPECT_EQ(report.header_names["/user"], expected);
}

TEST(VerifyHttp, ConformingServerPassesTheSlowChecksConcurrently) {
  // Takes ~2.6 s: the idle timeout is scaled to 2.5 s. Run one after another, the five slow
  // checks would need at least 1.0 + 1.0 + 1.0 + 2.5 + 1.0 s.
  HelperServer server;
  auto start = std::chrono::steady_clock::now();
  auto report = verify_http(server.options(true));
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(report.passed()) << describe_failures(report);
  EXPECT_EQ(names_of(report.checks), http_check_names(true));
  EXPECT_LT(took, 4500ms);
}

TEST(VerifyHttp, ChecksAServerOnIpv6Loopback) {
  HelperServer server({}, "::1");
  auto report = verify_http(server.options());
  EXPECT_TRUE(report.passed()) << describe_failures(report);
}

TEST(VerifyHttp, EveryCheckFailsWhenNothingListens) {
  HttpCheckOptions options;
  options.port = unused_port();
  auto report = verify_http(options);
  ASSERT_EQ(report.checks.size(), http_check_names(false).size());
  for (const auto& check : report.checks) {
    EXPECT_FALSE(check.passed) << check.name;
    EXPECT_THAT(check.detail, HasSubstr("Connection refused")) << check.name;
  }
}

struct Broken {
  std::string rule;   // --break RULE of verify_server
  std::string check;  // the check that must catch it
  bool slow = false;
};

void PrintTo(const Broken& b, std::ostream* os) {
  *os << "--break " << b.rule << " -> " << b.check;
}

std::string broken_name(const ::testing::TestParamInfo<Broken>& info) {
  std::string name = info.param.rule + "_fails_" + info.param.check;
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

class BrokenServer : public ::testing::TestWithParam<Broken> {};

TEST_P(BrokenServer, FailsTheCheckForTheBrokenRule) {
  HelperServer server({GetParam().rule});
  auto report = verify_http(server.options(GetParam().slow));
  const auto& check = find_check(report, GetParam().check);
  EXPECT_FALSE(check.passed) << "passed with: " << check.detail;
  EXPECT_FALSE(check.detail.empty());
}

INSTANTIATE_TEST_SUITE_P(
    Rules, BrokenServer,
    ::testing::Values(
        Broken{"root-body", "root"}, Broken{"root-content-type", "root-content-type"},
        Broken{"json-body", "json"}, Broken{"json-content-type", "json-content-type"},
        Broken{"user-fields", "user"}, Broken{"user-duplicate", "user"},
        Broken{"io-fast", "io-delay"}, Broken{"io-serialized", "io-concurrent"},
        Broken{"io-lenient", "io-invalid-text"}, Broken{"io-lenient", "io-invalid-negative"},
        Broken{"io-lenient", "io-invalid-too-large"}, Broken{"io-lenient", "io-invalid-missing"},
        Broken{"no-404", "not-found"}, Broken{"no-allow", "method-not-allowed"},
        Broken{"no-server", "server-header"}, Broken{"two-servers", "server-header"},
        Broken{"stale-date", "date-header"}, Broken{"bad-date", "date-header"},
        Broken{"short-length", "content-length"}, Broken{"chunked", "no-chunked"},
        Broken{"no-keep-alive", "keep-alive"}, Broken{"ignore-close", "connection-close"},
        Broken{"close-without-header", "connection-close"}, Broken{"http10-keep", "http10-close"},
        Broken{"pipeline-drop", "pipelining"}, Broken{"small-header-limit", "header-7k-accepted"},
        Broken{"no-header-limit", "header-9k-rejected"},
        Broken{"malformed-keep", "malformed-request"},
        Broken{"crash-on-malformed", "alive-after-bad-requests"},
        // Slow ones (scaled timeouts): 2-4 s each.
        Broken{"no-header-timeout", "header-timeout", true},
        Broken{"early-header-timeout", "header-timeout", true},
        Broken{"header-timeout-per-read", "header-timeout-trickle", true},
        Broken{"silent-idle", "silent-connection", true},
        Broken{"no-idle-timeout", "idle-timeout", true}, Broken{"io-fast", "io-max-delay", true}),
    broken_name);

// --- verify_lifecycle ---

LifecycleOptions lifecycle_options(const std::vector<std::string>& breaks) {
  LifecycleOptions options;
  // 4 workers: the graceful-stop check holds an idle and a busy connection and tries a third.
  options.argv = {kServer, "--port", "0", "--threads", "4"};
  for (const auto& rule : breaks) {
    options.argv.push_back("--break");
    options.argv.push_back(rule);
  }
  options.ready_timeout = 1s;  // verify_server is ready in milliseconds
  options.max_extra_threads = 1;  // verify_server: the workers and a main thread
  return options;
}

TEST(VerifyLifecycle, ConformingServerPassesEveryCheck) {
  auto report = verify_lifecycle(lifecycle_options({}));
  EXPECT_TRUE(report.passed()) << describe_failures(report);
  EXPECT_EQ(names_of(report.checks), lifecycle_check_names());
}

TEST(VerifyLifecycle, ExpectsTheAddressGivenWithBind) {
  auto options = lifecycle_options({});
  options.argv.insert(options.argv.end(), {"--bind", "::1"});
  auto report = verify_lifecycle(options);
  EXPECT_TRUE(find_check(report, "ready-address").passed)
      << find_check(report, "ready-address").detail;
  EXPECT_THAT(find_check(report, "ready-address").detail, HasSubstr("[::1]:"));
  EXPECT_TRUE(find_check(report, "ready-answers").passed)
      << find_check(report, "ready-answers").detail;
}

TEST(VerifyLifecycle, ServerThatIgnoresItsAffinityMaskFailsThreadsDefault) {
  // Pinned to one CPU, the broken helper still starts a worker per CPU of the machine.
  if (std::thread::hardware_concurrency() < 2) GTEST_SKIP() << "needs a machine with 2+ CPUs";
  auto report = verify_lifecycle(lifecycle_options({"threads-ignore-affinity"}));
  const auto& check = find_check(report, "threads-default");
  EXPECT_FALSE(check.passed) << "passed with: " << check.detail;
}

TEST(VerifyLifecycle, AMissingProgramFailsEveryCheckWithTheReason) {
  LifecycleOptions options;
  options.argv = {"/nonexistent/server", "--port", "0", "--threads", "2"};
  auto report = verify_lifecycle(options);
  ASSERT_EQ(report.checks.size(), lifecycle_check_names().size());
  for (const auto& check : report.checks) EXPECT_FALSE(check.passed) << check.name;
  EXPECT_THAT(find_check(report, "ready-line").detail,
              HasSubstr("cannot run '/nonexistent/server': No such file or directory"));
}

class BrokenLifecycle : public ::testing::TestWithParam<Broken> {};

TEST_P(BrokenLifecycle, FailsTheCheckForTheBrokenRule) {
  auto report = verify_lifecycle(lifecycle_options({GetParam().rule}));
  const auto& check = find_check(report, GetParam().check);
  EXPECT_FALSE(check.passed) << "passed with: " << check.detail;
  EXPECT_FALSE(check.detail.empty());
}

INSTANTIATE_TEST_SUITE_P(
    Rules, BrokenLifecycle,
    ::testing::Values(Broken{"no-line", "ready-line"}, Broken{"bind-any", "ready-address"},
                      Broken{"bind-any-quietly", "ready-address"},
                      Broken{"no-graceful", "sigterm-finishes-in-flight"},
                      Broken{"keep-accepting", "sigterm-stops-accepting"},
                      Broken{"slow-exit", "sigterm-exit"}, Broken{"exit-1-on-term", "sigterm-exit"},
                      Broken{"exit-1-on-term", "sigint-exit"}, Broken{"threads-extra", "threads-2"},
                      Broken{"usage-two-lines", "bad-flag"}, Broken{"bad-flag-exit-1", "bad-flag"},
                      Broken{"ignore-bad-flag", "bad-flag"},
                      Broken{"usage-two-lines", "bad-value"}),
    broken_name);

// --- verify_parity ---

VerifyReport report_with(const std::string& json_body,
                         std::vector<std::string> root_headers = {"content-length", "content-type",
                                                                  "date", "server"}) {
  VerifyReport r;
  r.bodies = {{"/", "Hello, World!"}, {"/json", json_body}, {"/user", R"({"id":42})"}};
  r.header_names = {{"/", root_headers}, {"/json", root_headers}, {"/user", root_headers}};
  r.response_bytes = {{"/", 150}, {"/json", 155}, {"/user", 369}};
  return r;
}

const CheckResult& find_result(const std::vector<CheckResult>& results, const std::string& name) {
  auto it = std::find_if(results.begin(), results.end(),
                         [&](const CheckResult& c) { return c.name == name; });
  if (it == results.end()) throw std::runtime_error("no check named " + name);
  return *it;
}

TEST(VerifyParity, IdenticalAnswersPassEveryComparison) {
  const std::string json = R"({"message":"Hello, World!"})";
  auto results =
      verify_parity({{"a", report_with(json)}, {"b", report_with(json)}, {"c", report_with(json)}});
  EXPECT_EQ(names_of(results), parity_check_names());
  for (const auto& r : results) EXPECT_TRUE(r.passed) << r.name << ": " << r.detail;
}

TEST(VerifyParity, ADifferentBodyFailsOnlyThatComparisonAndNamesTheServer) {
  const std::string json = R"({"message":"Hello, World!"})";
  auto results = verify_parity({{"a", report_with(json)},
                                {"b", report_with(R"({"message": "Hello, World!"})")},
                                {"c", report_with(json)}});
  EXPECT_FALSE(find_result(results, "same-body-json").passed);
  EXPECT_THAT(find_result(results, "same-body-json").detail, HasSubstr("b sends"));
  EXPECT_TRUE(find_result(results, "same-body-root").passed);
  EXPECT_TRUE(find_result(results, "same-headers-json").passed);
}

TEST(VerifyParity, AnExtraHeaderFailsTheHeaderComparison) {
  const std::string json = R"({"message":"Hello, World!"})";
  auto results = verify_parity(
      {{"a", report_with(json)},
       {"b", report_with(json, {"content-length", "content-type", "date", "server", "vary"})}});
  EXPECT_FALSE(find_result(results, "same-headers-root").passed);
  EXPECT_THAT(find_result(results, "same-headers-root").detail, HasSubstr("vary"));
  EXPECT_TRUE(find_result(results, "same-body-root").passed);
}

TEST(VerifyParity, ALongerHeaderValueFailsOnlyTheSizeComparison) {
  const std::string json = R"({"message":"Hello, World!"})";
  auto longer = report_with(json);
  longer.response_bytes["/json"] = 164;  // e.g. "application/json; charset=utf-8"
  auto results = verify_parity({{"a", report_with(json)}, {"b", longer}});
  EXPECT_FALSE(find_result(results, "same-size-json").passed);
  EXPECT_THAT(find_result(results, "same-size-json").detail, HasSubstr("b sends 164 bytes"));
  EXPECT_TRUE(find_result(results, "same-size-root").passed);
  EXPECT_TRUE(find_result(results, "same-headers-json").passed);
}

TEST(VerifyHttp, CountsTheAnswersBytesOnTheWire) {
  HelperServer server;
  auto report = verify_http(server.options());
  // The helper answers GET / with a status line, four headers and the 13-byte body; the Date
  // value is always 29 bytes, so the size is fixed.
  const std::string expected_without_date =
      "HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain; "
      "charset=utf-8\r\nServer: hellobench\r\nDate: \r\n\r\nHello, World!";
  EXPECT_EQ(report.response_bytes["/"], expected_without_date.size() + 29);
}

TEST(VerifyParity, AServerWithoutAnAnswerFails) {
  const std::string json = R"({"message":"Hello, World!"})";
  auto missing = report_with(json);
  missing.bodies.erase("/user");
  auto results = verify_parity({{"a", report_with(json)}, {"b", missing}});
  EXPECT_FALSE(find_result(results, "same-body-user").passed);
  EXPECT_THAT(find_result(results, "same-body-user").detail,
              HasSubstr("b has no answer to GET /user"));
}

TEST(VerifyParity, ASingleServerHasNothingToCompare) {
  auto results = verify_parity({{"a", report_with("{}")}});
  for (const auto& r : results) EXPECT_TRUE(r.passed) << r.name;
}

}  // namespace
}  // namespace hellobench
