// The contract checks themselves, against test/helpers/verify_server.cpp: a server that keeps
// every rule passes every check, and a server that breaks one rule (--break RULE) fails the
// check for that rule, with a detail that says what was wrong. The slow checks run with the
// timeouts scaled down to 1-2.5 s. The service routes are answered by the helper from the
// shared vectors (contract/vectors/service.json).
// Real time is the point here (timeouts, graceful stops): each test takes 0.1-15 s, the whole
// executable run by hand about two minutes; ctest runs the tests separately, in parallel.
#include "verify/verify.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "config/config.hpp"
#include "core/errors.hpp"
#include "trial/process.hpp"
#include "verify/verify_servers.hpp"

namespace hellobench {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

const std::string kServer = std::string(HELLOBENCH_TEST_HELPER_DIR) + "/verify_server";
const std::filesystem::path kVectorsFile =
    std::filesystem::path(HELLOBENCH_SOURCE_DIR) / kServiceVectorsPath;

const ServiceVectors& vectors() {
  static const ServiceVectors loaded = load_service_vectors(kVectorsFile);
  return loaded;
}

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
                                   std::to_string(kIoMaxMs),
                                   "--live-mb",
                                   "1",
                                   "--vectors",
                                   kVectorsFile.string()};
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
  EXPECT_EQ(report.answers["/"].body, "Hello, World!");
  EXPECT_EQ(report.answers["/json"].body, R"({"message":"Hello, World!"})");
  EXPECT_THAT(report.answers["/user"].body, HasSubstr(R"("name":"Ada Lovelace")"));
  const std::vector<std::string> expected = {"content-length", "content-type", "date", "server"};
  EXPECT_EQ(report.answers["/"].header_names, expected);
  EXPECT_EQ(report.answers["/user"].header_names, expected);
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
  std::replace(name.begin(), name.end(), '.', '_');
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
        Broken{"decode-path", "edge-percent-encoded-path"},
        Broken{"any-version", "edge-http-1.2"},
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
  options.ready_timeout = 1s;     // verify_server is ready in milliseconds
  options.max_extra_threads = 1;  // verify_server: the workers and a main thread
  options.with_live_mb = [argv = options.argv](const std::string& value) {
    auto with = argv;
    with.insert(with.end(), {"--live-mb", value});
    return with;
  };
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
  options.with_live_mb = [](const std::string& value) {
    return std::vector<std::string>{"/nonexistent/server", "--live-mb", value};
  };
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
                      Broken{"ignore-bad-flag", "bad-flag"}, Broken{"usage-two-lines", "bad-value"},
                      Broken{"live-mb-lenient", "bad-live-mb"},
                      Broken{"live-mb-unnamed", "bad-live-mb"}),
    broken_name);

// --- verify_parity ---

VerifyReport report_with(const std::string& json_body,
                         std::vector<std::string> root_headers = {"content-length", "content-type",
                                                                  "date", "server"}) {
  VerifyReport r;
  r.answers = {{"/", {"Hello, World!", root_headers, 150}},
               {"/json", {json_body, root_headers, 155}},
               {"/user", {R"({"id":42})", root_headers, 369}}};
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
  longer.answers["/json"].wire_bytes = 164;  // e.g. "application/json; charset=utf-8"
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
  // value is always 29 bytes, so the size is fixed. The reason phrase ("OK") is not counted: a
  // server may send any phrase (RFC 9112 section 4), so parity compares sizes without it.
  const std::string expected_without_date =
      "HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain; "
      "charset=utf-8\r\nServer: hellobench\r\nDate: \r\n\r\nHello, World!";
  EXPECT_EQ(report.answers["/"].wire_bytes, expected_without_date.size() + 29 - 2);
}

TEST(VerifyParity, AServerWithoutAnAnswerFails) {
  const std::string json = R"({"message":"Hello, World!"})";
  auto missing = report_with(json);
  missing.answers.erase("/user");
  auto results = verify_parity({{"a", report_with(json)}, {"b", missing}});
  EXPECT_FALSE(find_result(results, "same-body-user").passed);
  EXPECT_THAT(find_result(results, "same-body-user").detail,
              HasSubstr("b has no answer to GET /user"));
}

TEST(VerifyParity, ASingleServerHasNothingToCompare) {
  auto results = verify_parity({{"a", report_with("{}")}});
  for (const auto& r : results) EXPECT_TRUE(r.passed) << r.name;
}

// --- timing: late is a timing failure (tried twice), never or wrong is a plain failure ---

TEST(VerifyTiming, PassesOfTimeLimitedChecksAreMarkedAsTiming) {
  HelperServer server;
  auto report = verify_http(server.options());
  EXPECT_TRUE(find_check(report, "io-delay").timing);
  EXPECT_TRUE(find_check(report, "connection-close").timing);
  EXPECT_FALSE(find_check(report, "root").timing);
  EXPECT_FALSE(find_check(report, "keep-alive").timing);
}

TEST(VerifyTiming, ALateAnswerIsATimingFailureAfterASecondTry) {
  HelperServer server({"io-slow"});  // /io?ms=100 answered after 1.3 s
  auto report = verify_http(server.options());
  const auto& check = find_check(report, "io-delay");
  EXPECT_FALSE(check.passed);
  EXPECT_TRUE(check.timing) << check.detail;
  EXPECT_THAT(check.detail, HasSubstr("(limit 1000 ms)"));
  EXPECT_THAT(check.detail, HasSubstr("second try"));
  EXPECT_TRUE(find_check(report, "io-zero").passed) << find_check(report, "io-zero").detail;
}

TEST(VerifyTiming, ALateCloseIsATimingFailure) {
  HelperServer server({"late-close"});  // closes 1.5 s after a Connection: close answer
  auto options = server.options();
  options.idle_timeout = 10s;  // lets verify wait 4 s for the close, past its 1 s limit
  auto report = verify_http(options);
  const auto& check = find_check(report, "connection-close");
  EXPECT_FALSE(check.passed);
  EXPECT_TRUE(check.timing) << check.detail;
  EXPECT_THAT(check.detail, HasSubstr("(limit 1000 ms)"));
}

TEST(VerifyTiming, AConnectionThatIsNeverClosedIsAPlainFailure) {
  HelperServer server({"ignore-close"});
  auto report = verify_http(server.options());
  const auto& check = find_check(report, "connection-close");
  EXPECT_FALSE(check.passed);
  EXPECT_FALSE(check.timing) << check.detail;
}

TEST(VerifyTiming, AServerStillAcceptingAfterSigtermIsATimingFailure) {
  auto report = verify_lifecycle(lifecycle_options({"keep-accepting"}));
  const auto& check = find_check(report, "sigterm-stops-accepting");
  EXPECT_FALSE(check.passed);
  EXPECT_TRUE(check.timing) << check.detail;
  EXPECT_THAT(check.detail, HasSubstr("still answered"));
  EXPECT_THAT(check.detail, HasSubstr("second try"));
  EXPECT_TRUE(find_check(report, "sigterm-exit").passed)
      << find_check(report, "sigterm-exit").detail;
}

TEST(VerifyTiming, AnExitAfterTheLimitIsATimingFailure) {
  auto report = verify_lifecycle(lifecycle_options({"slow-exit"}));  // exits 3 s after SIGTERM
  for (const char* name : {"sigterm-exit", "sigint-exit"}) {
    const auto& check = find_check(report, name);
    EXPECT_FALSE(check.passed) << name;
    EXPECT_TRUE(check.timing) << name << ": " << check.detail;
    EXPECT_THAT(check.detail, HasSubstr("(limit 2000 ms)")) << name;
  }
}

TEST(VerifyTiming, ADroppedRequestInFlightIsAPlainFailure) {
  auto report = verify_lifecycle(lifecycle_options({"no-graceful"}));
  const auto& check = find_check(report, "sigterm-finishes-in-flight");
  EXPECT_FALSE(check.passed);
  EXPECT_FALSE(check.timing) << check.detail;
}

// --- a server that prints its ready line and then never answers ---

TEST(VerifyLifecycle, AServerThatNeverAnswersFailsReadyAnswersWithinSeconds) {
  const auto start = std::chrono::steady_clock::now();
  auto report = verify_lifecycle(lifecycle_options({"mute"}));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 15s);
  EXPECT_TRUE(find_check(report, "ready-line").passed);
  const auto& answers = find_check(report, "ready-answers");
  EXPECT_FALSE(answers.passed);
  EXPECT_FALSE(answers.timing);
  EXPECT_THAT(answers.detail, HasSubstr("but GET / got no answer: timed out"));
  for (const char* name : {"sigterm-exit", "threads-1", "threads-default"}) {
    EXPECT_FALSE(find_check(report, name).passed) << name;
    EXPECT_THAT(find_check(report, name).detail,
                HasSubstr("not run: the server printed its ready line but did not answer GET /"))
        << name;
  }
}

TEST(VerifyLifecycle, BadLiveMbIsSkippedForAServerWithoutTheSetting) {
  auto options = lifecycle_options({});
  options.with_live_mb = nullptr;
  auto report = verify_lifecycle(options);
  const auto& check = find_check(report, "bad-live-mb");
  EXPECT_TRUE(check.passed);
  EXPECT_THAT(check.skipped, HasSubstr("no live_mb setting"));
  EXPECT_TRUE(find_check(report, "bad-flag").skipped.empty());
}

TEST(VerifyLifecycle, BadLiveMbNamesEveryValueTried) {
  auto report = verify_lifecycle(lifecycle_options({}));
  const auto& check = find_check(report, "bad-live-mb");
  EXPECT_TRUE(check.passed) << check.detail;
  EXPECT_THAT(check.detail, HasSubstr("4 bad values (4097, -1, 1.5, many)"));
}

// --- the service vectors ---

TEST(ServiceVectorsFile, LoadsTheSharedVectors) {
  const auto& v = vectors();
  EXPECT_EQ(v.live_mb, 1);
  ASSERT_EQ(v.vectors.size(), 85u);
  EXPECT_EQ(v.vectors[2].name, "user 7");
  EXPECT_EQ(v.vectors[2].check_id(), "service:user 7");
  EXPECT_EQ(v.vectors[2].target, "/users/7");
  EXPECT_FALSE(v.vectors[2].request_body.has_value());
  auto named = [&](const std::string& name) -> const ServiceVector& {
    for (const auto& vector : v.vectors) {
      if (vector.name == name) return vector;
    }
    throw std::runtime_error("no vector " + name);
  };
  // Carried as base64 in the file: the bytes C0 80 (overlong UTF-8) decoded.
  ASSERT_TRUE(named("overlong UTF-8 (0xC0 0x80)").request_body.has_value());
  EXPECT_THAT(*named("overlong UTF-8 (0xC0 0x80)").request_body, HasSubstr("\xC0\x80"));
  EXPECT_EQ(named("GET /orders").allow, "POST");
  EXPECT_FALSE(named("no content type").request_content_type.has_value());
  EXPECT_EQ(named("body of exactly 64 KiB").request_body->size(), 65536u);
}

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "hb-verify-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path write(const std::string& name, const std::string& text) const {
    auto file = path_ / name;
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << text;
    return file;
  }

 private:
  std::filesystem::path path_;
};

std::string load_error(const std::string& text) {
  TempDir dir;
  try {
    load_service_vectors(dir.write("service.json", text));
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(ServiceVectorsFile, AVectorWithoutAStatusIsAConfigErrorNamingIt) {
  EXPECT_THAT(load_error(R"({"live_mb": 1, "vectors": [{"name": "a", "method": "GET",
                          "target": "/users/1", "content_type": "x", "body": ""}]})"),
              HasSubstr("service.json: vector 0 ('a'): 'status' must be an HTTP status code"));
}

TEST(ServiceVectorsFile, BadBase64AndRepeatedNamesAreConfigErrors) {
  EXPECT_THAT(load_error(R"({"live_mb": 1, "vectors": [{"name": "a", "method": "POST",
                          "target": "/orders", "request_body_base64": "a*==", "status": 400,
                          "content_type": "x", "body": ""}]})"),
              HasSubstr("request_body_base64 is not valid base64"));
  const std::string vector =
      R"({"name": "a", "method": "GET", "target": "/", "status": 200, "content_type": "x", "body": ""})";
  EXPECT_THAT(load_error(R"({"live_mb": 1, "vectors": [)" + vector + "," + vector + "]}"),
              HasSubstr("vector 1 ('a'): names must be non-empty and unique"));
}

TEST(ServiceVectorsFile, TheFileNextToTheConfigComesFirst) {
  TempDir dir;
  EXPECT_EQ(find_service_vectors(dir.path()), kVectorsFile);  // none there: the source tree's
  auto own = dir.write(kServiceVectorsPath.string(), "{}");
  EXPECT_EQ(find_service_vectors(dir.path()), own);
}

// --- verify_service ---

std::set<std::string> failed_names(const VerifyReport& report) {
  std::set<std::string> names;
  for (const auto& c : report.failures()) names.insert(c.name);
  return names;
}

TEST(VerifyService, ConformingServerPassesEveryServiceCheck) {
  HelperServer server;
  auto report = verify_service(server.options(), vectors());
  EXPECT_TRUE(report.passed()) << describe_failures(report);
  EXPECT_EQ(names_of(report.checks), service_check_names(vectors()));
  EXPECT_THAT(find_check(report, "service:user 7").detail,
              HasSubstr("GET /users/7: 200 application/json, 1045-byte body as expected"));
  EXPECT_THAT(find_check(report, "service:body over 1 MiB").detail,
              HasSubstr("413 \"body over 64 KiB\", Connection: close, connection closed after"));
}

TEST(VerifyService, CheckIdsAreTheVectorNamesThenTheChecksNoVectorCanMake) {
  auto names = service_check_names(vectors());
  ASSERT_EQ(names.size(), 88u);
  EXPECT_EQ(names[0], "service:user 0");
  EXPECT_EQ(names[2], "service:user 7");
  EXPECT_EQ(names[85], "service:chunked order");
  EXPECT_EQ(names[86], "service:chunked body over 64 KiB");
  EXPECT_EQ(names[87], "service:body over 1 MiB");
}

TEST(VerifyService, KeepsEveryAnswerForParity) {
  HelperServer server;
  auto report = verify_service(server.options(), vectors());
  for (const auto& name : service_check_names(vectors()))
    EXPECT_EQ(report.answers.count(name), 1u) << name;
  EXPECT_EQ(report.answers["service:user 7"].body, vectors().vectors[2].body);
  const std::vector<std::string> with_allow = {"allow", "content-length", "content-type", "date",
                                               "server"};
  EXPECT_EQ(report.answers["service:GET /orders"].header_names, with_allow);
}

TEST(VerifyService, EveryCheckFailsWhenNothingListens) {
  HttpCheckOptions options;
  options.port = unused_port();
  auto report = verify_service(options, vectors());
  ASSERT_EQ(report.checks.size(), 88u);
  for (const auto& check : report.checks) {
    EXPECT_FALSE(check.passed) << check.name;
    EXPECT_THAT(check.detail, HasSubstr("Connection refused")) << check.name;
  }
}

struct BrokenServiceRule {
  std::string rule;               // --break RULE of verify_server
  std::set<std::string> failing;  // exactly these checks fail; {"*"}: every one
  std::string detail;             // in each failing check's detail
};

void PrintTo(const BrokenServiceRule& b, std::ostream* os) { *os << "--break " << b.rule; }

class BrokenService : public ::testing::TestWithParam<BrokenServiceRule> {};

TEST_P(BrokenService, FailsOnlyTheChecksOfTheBrokenRuleAndSaysWhy) {
  HelperServer server({GetParam().rule});
  auto report = verify_service(server.options(), vectors());
  auto expected = GetParam().failing;
  if (expected == std::set<std::string>{"*"}) {
    auto all = service_check_names(vectors());
    expected = std::set<std::string>(all.begin(), all.end());
  }
  EXPECT_EQ(failed_names(report), expected) << describe_failures(report);
  for (const auto& name : expected) {
    EXPECT_THAT(find_check(report, name).detail, HasSubstr(GetParam().detail)) << name;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Rules, BrokenService,
    ::testing::Values(
        BrokenServiceRule{"status:negative id",
                          {"service:negative id"},
                          "GET /users/-1: expected 400 \"id must be a decimal integer\", got "
                          "HTTP/1.1 404 \"id must be a decimal integer\""},
        // The 523rd of 1045 bytes changed: the detail points at it.
        BrokenServiceRule{"body-byte:user 7",
                          {"service:user 7"},
                          "1045-byte body differs from the expected 1045 bytes at byte 522"},
        BrokenServiceRule{"no-allow:GET /orders",
                          {"service:GET /orders"},
                          "0 Allow headers, expected one: Allow: POST"},
        BrokenServiceRule{"close-after:qty zero",
                          {"service:qty zero"},
                          "the connection was not kept after the answer: GET / on it: "
                          "connection closed without a response"},
        BrokenServiceRule{
            "chunked:order of 10", {"service:order of 10"}, "Transfer-Encoding: chunked"},
        BrokenServiceRule{"no-chunked-requests",
                          {"service:chunked order", "service:chunked body over 64 KiB"},
                          "got HTTP/1.1 400 \"chunked bodies not supported\""},
        BrokenServiceRule{"big-body-keep",
                          {"service:body over 1 MiB"},
                          "no Connection: close (Connection: (none))"},
        BrokenServiceRule{"no-server", {"*"}, "0 Server headers, expected exactly 1"}),
    [](const ::testing::TestParamInfo<BrokenServiceRule>& info) {
      std::string name = info.param.rule;
      for (char& c : name) {
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
      }
      return name;
    });

// --- verify_service_parity ---

TEST(VerifyServiceParity, ConformingServersAgreeOnEveryCheck) {
  HelperServer a, b;
  auto results = verify_service_parity({{"a", verify_service(a.options(), vectors())},
                                        {"b", verify_service(b.options(), vectors())}},
                                       vectors());
  EXPECT_EQ(names_of(results), service_parity_check_names(vectors()));
  for (const auto& r : results) EXPECT_TRUE(r.passed) << r.name << ": " << r.detail;
  EXPECT_THAT(
      find_result(results, "service:user 7").detail,
      HasSubstr("2 servers: the same 1045-byte body, [content-length,content-type,date,server]"));
}

TEST(VerifyServiceParity, OneDifferentByteFailsThatVectorOnlyAndSaysWhere) {
  HelperServer a, b({"body-byte:user 42"});
  auto results = verify_service_parity({{"a", verify_service(a.options(), vectors())},
                                        {"b", verify_service(b.options(), vectors())}},
                                       vectors());
  for (const auto& r : results) {
    EXPECT_EQ(r.passed, r.name != "service:user 42") << r.name << ": " << r.detail;
  }
  EXPECT_THAT(find_result(results, "service:user 42").detail, HasSubstr("body: b sends"));
  EXPECT_THAT(find_result(results, "service:user 42").detail, HasSubstr("(from byte 523: "));
}

VerifyReport service_report_with(std::vector<std::string> header_names, std::size_t wire_bytes) {
  VerifyReport report;
  for (const auto& name : service_check_names(vectors()))
    report.answers[name] = {"same body", header_names, wire_bytes};
  return report;
}

TEST(VerifyServiceParity, OtherHeaderNamesOrSizesFailAndAreNamed) {
  const std::vector<std::string> usual = {"content-length", "content-type", "date", "server"};
  auto extra = usual;
  extra.push_back("vary");
  auto results = verify_service_parity(
      {{"a", service_report_with(usual, 200)}, {"b", service_report_with(extra, 212)}}, vectors());
  const auto& check = find_result(results, "service:order of 10");
  EXPECT_FALSE(check.passed);
  EXPECT_THAT(check.detail, Not(HasSubstr("body:")));
  EXPECT_THAT(check.detail,
              HasSubstr("headers: b sends [content-length,content-type,date,server,vary]"));
  EXPECT_THAT(check.detail, HasSubstr("size: b sends 212 bytes, a sends 200 bytes"));
}

TEST(VerifyServiceParity, AServerWithoutAnAnswerFails) {
  const std::vector<std::string> usual = {"content-length", "content-type", "date", "server"};
  auto missing = service_report_with(usual, 200);
  missing.answers.erase("service:chunked order");
  auto results =
      verify_service_parity({{"a", service_report_with(usual, 200)}, {"b", missing}}, vectors());
  EXPECT_FALSE(find_result(results, "service:chunked order").passed);
  EXPECT_THAT(find_result(results, "service:chunked order").detail, HasSubstr("no answer from b"));
  EXPECT_TRUE(find_result(results, "service:user 7").passed);
}

// --- verify_servers: the driver of `hellobench verify` and a run's pre-flight check ---

struct HelperEntry {
  std::string name;
  std::vector<std::string> breaks;
  bool live_mb_setting = true;
};

// A config whose servers are verify_server (24 workers, the vectors given), and a context to
// verify them with.
class HelperFleet {
 public:
  explicit HelperFleet(const std::vector<HelperEntry>& servers) {
    std::string text;
    for (const auto& s : servers) {
      std::string run = R"("{binary}", "--port", "{port}", "--threads", "24", "--bind", "{bind}")";
      run += R"(, "--vectors", ")" + kVectorsFile.string() + "\"";
      for (const auto& rule : s.breaks) run += R"(, "--break", ")" + rule + "\"";
      text += "[[server]]\nname = \"" + s.name + "\"\nlanguage = \"C++\"\nsource_dir = \".\"\n" +
              "binary = \"{bin_dir}/verify_server\"\nrun = [" + run + "]\n";
      if (s.live_mb_setting) text += "[server.options]\nlive_mb = [\"--live-mb\", \"{value}\"]\n";
      text += "[server.edit]\nfile = \"x\"\nmarker = \"y\"\nline = \"z\"\n\n";
    }
    text += "[[scenario]]\nname = \"hello\"\npath = \"/\"\n\n";
    text +=
        "[profile.tiny]\nrepetitions = 1\nwarmup_s = 1\nwindow_s = 1\nscenarios = [\"hello\"]\n";
    config_ = parse_config(text, dir_.path() / "hellobench.toml");
    for (const auto& s : config_.servers) context_.servers.push_back(&s);
    context_.config = &config_;
    context_.bin_dir = HELLOBENCH_TEST_HELPER_DIR;
    context_.run_dir = dir_.path();
  }
  const RunContext& context() const { return context_; }

 private:
  TempDir dir_;
  Config config_;
  RunContext context_;
};

const nlohmann::json& check_json(const nlohmann::json& server, const std::string& name) {
  for (const auto& c : server.at("checks")) {
    if (c.at("name") == name) return c;
  }
  throw std::runtime_error("no check named " + name + " in " + server.dump());
}

TEST(VerifyServers, ConformingServersPassEveryCheckAndAgree) {
  HelperFleet fleet(std::vector<HelperEntry>{{"a", {}}, {"b", {}}});
  auto outcome = verify_servers(fleet.context());
  EXPECT_TRUE(outcome.failed_servers.empty()) << outcome.json.dump(1);
  EXPECT_TRUE(outcome.warned_servers.empty());
  EXPECT_TRUE(outcome.json.at("passed").get<bool>());
  const auto& a = outcome.json.at("servers").at("a");
  EXPECT_TRUE(a.at("passed").get<bool>());
  EXPECT_TRUE(a.at("warnings").empty());
  EXPECT_TRUE(check_json(a, "service:user 7").at("passed").get<bool>());
  EXPECT_TRUE(check_json(a, "bad-live-mb").at("passed").get<bool>());
  EXPECT_TRUE(check_json(a, "io-delay").at("timing").get<bool>());
  EXPECT_EQ(outcome.json.at("parity").size(), parity_check_names().size());
  EXPECT_EQ(outcome.json.at("service_parity").size(), service_check_names(vectors()).size());
  for (const auto& c : outcome.json.at("service_parity"))
    EXPECT_TRUE(c.at("passed").get<bool>()) << c.dump();
}

TEST(VerifyServers, AServerWhoseOnlyFailuresAreTimingPassesWithAWarning) {
  HelperFleet fleet(std::vector<HelperEntry>{{"slow", {"io-slow"}}});
  auto outcome = verify_servers(fleet.context());
  EXPECT_TRUE(outcome.failed_servers.empty()) << outcome.json.dump(1);
  EXPECT_EQ(outcome.warned_servers, std::vector<std::string>{"slow"});
  const auto& slow = outcome.json.at("servers").at("slow");
  EXPECT_TRUE(slow.at("passed").get<bool>());
  // Every /io answer 1.2 s late: the /io checks, and the exit, which waits for a request in
  // flight at SIGTERM.
  std::set<std::string> warned_checks;
  for (const auto& warning : slow.at("warnings"))
    warned_checks.insert(
        warning.get<std::string>().substr(0, warning.get<std::string>().find(':')));
  EXPECT_EQ(warned_checks, (std::set<std::string>{"io-delay", "io-concurrent", "sigterm-exit"}))
      << slow.at("warnings").dump();
  EXPECT_FALSE(check_json(slow, "io-delay").at("passed").get<bool>());
  EXPECT_TRUE(outcome.json.at("passed").get<bool>());
}

TEST(VerifyServers, ATimingFailureBesideAnyOtherFailureDropsTheServer) {
  HelperFleet fleet(std::vector<HelperEntry>{{"broken", {"io-slow", "status:negative id"}}});
  auto outcome = verify_servers(fleet.context());
  EXPECT_EQ(outcome.failed_servers, std::vector<std::string>{"broken"});
  EXPECT_TRUE(outcome.warned_servers.empty());
  const auto& broken = outcome.json.at("servers").at("broken");
  EXPECT_FALSE(broken.at("passed").get<bool>());
  EXPECT_FALSE(check_json(broken, "service:negative id").at("timing").get<bool>());
  EXPECT_FALSE(outcome.json.at("passed").get<bool>());
}

TEST(VerifyServers, AServerWithoutALiveMbSettingHasTheServiceChecksSkipped) {
  HelperFleet fleet(std::vector<HelperEntry>{{"minimal", {}, false}});
  auto outcome = verify_servers(fleet.context());
  EXPECT_TRUE(outcome.failed_servers.empty()) << outcome.json.dump(1);
  const auto& minimal = outcome.json.at("servers").at("minimal");
  EXPECT_TRUE(minimal.at("passed").get<bool>());
  for (const char* name : {"service", "bad-live-mb"}) {
    EXPECT_TRUE(check_json(minimal, name).at("passed").get<bool>()) << name;
    EXPECT_THAT(check_json(minimal, name).at("skipped").get<std::string>(), HasSubstr("live_mb"))
        << name;
  }
  EXPECT_THROW(check_json(minimal, "service:user 7"), std::runtime_error);
}

TEST(VerifyServers, AServerThatNeverAnswersFailsWithinSeconds) {
  HelperFleet fleet(std::vector<HelperEntry>{{"mute", {"mute"}}});
  const auto start = std::chrono::steady_clock::now();
  auto outcome = verify_servers(fleet.context());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 20s);
  EXPECT_EQ(outcome.failed_servers, std::vector<std::string>{"mute"});
  const auto& mute = outcome.json.at("servers").at("mute");
  for (const char* name : {"start", "service:start"}) {
    EXPECT_THAT(check_json(mute, name).at("detail").get<std::string>(),
                HasSubstr("not run: the server failed ready-answers (printed \"listening on"))
        << name;
  }
}

}  // namespace
}  // namespace hellobench
