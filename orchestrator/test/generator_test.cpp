// Load generators: command lines, the parsing of outputs recorded from real runs, and real
// short runs against test/helpers/gen_http_server on 127.0.0.1.
//
// The fixtures in test/data were recorded on the development machine against gen_http_server,
// with the report script that wrk::report_script() writes:
//   wrk_ok.stdout            wrk -t 1 -c 2 -d 1s --timeout 2s -s wrk-report.lua URL/
//   wrk_timeouts.stdout      wrk -t 1 -c 4 -d 2s --timeout 1s -s wrk-report.lua URL/slow?ms=1500
//   wrk_status_503.stdout    wrk -t 1 -c 2 -d 1s --timeout 2s -s wrk-report.lua URL/status/503
//   wrk_read_errors.stdout   wrk -t 1 -c 2 -d 1s --timeout 2s -s wrk-report.lua URL/close
//   wrk_no_report.stdout     wrk -t 1 -c 2 -d 1s --timeout 2s URL/          (no script)
//   wrk_cut_off.stdout       wrk_ok.stdout cut inside the JSON line (a killed wrk)
//   wrk_garbled_nan.stdout   wrk_ok.stdout with "mean":-nan (LuaJIT's NaN, not JSON)
//   loadgen_closed.stdout         loadgen URL/ -c 2 -t 1 -d 1000ms --timeout 2000ms --json
//   loadgen_open_503.stdout       loadgen URL/status/503 -c 2 -t 1 -d 1000ms --timeout 2000ms
//                                   --rate 2000 --json
//   loadgen_open_timeouts.stdout  loadgen URL/slow?ms=1500 -c 4 -t 1 -d 1000ms --timeout 500ms
//                                   --rate 100 --json
#include "trial/generator.hpp"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "trial/loadgen_driver.hpp"
#include "trial/process.hpp"
#include "trial/wrk.hpp"

namespace hellobench {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

std::string fixture(const std::string& name) {
  std::ifstream in(std::filesystem::path(HELLOBENCH_TEST_DATA_DIR) / name);
  EXPECT_TRUE(in) << "missing fixture " << name;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string helper(const std::string& name) {
  return std::string(HELLOBENCH_TEST_HELPER_DIR) + "/" + name;
}

// The message of the GeneratorError that f throws (fails the test if it throws none).
template <typename F>
std::string generator_error(F&& f) {
  try {
    f();
  } catch (const GeneratorError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no GeneratorError thrown";
  return {};
}

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "hb-generator-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// --- wrk: command line ---

LoadSpec closed_spec() {
  LoadSpec spec;
  spec.url = "http://127.0.0.1:8080/json";
  spec.connections = 8;
  spec.threads = 2;
  spec.duration = 3000ms;
  spec.timeout = 2500ms;
  return spec;
}

TEST(WrkCommandLine, PassesWholeSecondsAndTheReportScript) {
  EXPECT_THAT(wrk::command_line(closed_spec(), "/usr/bin/wrk", "/tmp/run/wrk-report.lua"),
              ElementsAre("/usr/bin/wrk", "-t", "2", "-c", "8", "-d", "3s", "--timeout", "3s", "-s",
                          "/tmp/run/wrk-report.lua", "http://127.0.0.1:8080/json"));
}

TEST(WrkCommandLine, RejectsASubSecondDuration) {
  LoadSpec spec = closed_spec();
  spec.duration = 1500ms;
  EXPECT_THAT(generator_error([&] { wrk::command_line(spec, "wrk", "r.lua"); }),
              HasSubstr("1500 ms is not a whole number of seconds"));
}

TEST(WrkCommandLine, RejectsAFixedRateSinceWrkHasNoRateControl) {
  LoadSpec spec = closed_spec();
  spec.rate = 10000;
  EXPECT_THAT(generator_error([&] { wrk::command_line(spec, "wrk", "r.lua"); }),
              HasSubstr("no rate control"));
}

TEST(WrkCommandLine, RejectsFewerConnectionsThanThreads) {
  LoadSpec spec = closed_spec();
  spec.connections = 1;
  EXPECT_THAT(generator_error([&] { wrk::command_line(spec, "wrk", "r.lua"); }),
              HasSubstr("connections (1) must be at least threads (2)"));
}

// --- wrk: recorded reports ---

TEST(WrkParse, ReadsACleanRun) {
  const LoadResult r = wrk::parse_output(fixture("wrk_ok.stdout"));
  EXPECT_EQ(r.requests, 69080u);
  EXPECT_DOUBLE_EQ(r.duration_s, 1.003929);
  EXPECT_NEAR(r.rps, 68809.65, 0.01);  // 69080 / 1.003929, as wrk's own "Requests/sec" line
  EXPECT_DOUBLE_EQ(r.latency_us.p50, 17);
  EXPECT_DOUBLE_EQ(r.latency_us.p90, 2378);
  EXPECT_DOUBLE_EQ(r.latency_us.p95, 3347);
  EXPECT_DOUBLE_EQ(r.latency_us.p99, 4715);
  EXPECT_DOUBLE_EQ(r.latency_us.p999, 5267);
  EXPECT_DOUBLE_EQ(r.latency_us.max, 5462);
  EXPECT_DOUBLE_EQ(r.latency_us.mean, 563.751);
  EXPECT_EQ(r.total_errors(), 0u);
  EXPECT_EQ(r.errors.size(), 5u);  // connect, read, write, timeout, status: all reported as 0
  EXPECT_DOUBLE_EQ(r.extra.at("bytes"), 7115240);
  EXPECT_THAT(r.raw_output, HasSubstr("Requests/sec:  68809.65"));
}

TEST(WrkParse, CountsTimeouts) {
  // 4 connections to a path that answers after 1.5 s, with --timeout 1s.
  const LoadResult r = wrk::parse_output(fixture("wrk_timeouts.stdout"));
  EXPECT_EQ(r.errors.at("timeout"), 4u);
  EXPECT_EQ(r.total_errors(), 4u);
}

TEST(WrkParse, CountsErrorStatusesAsOneKind) {
  // Every answer was a 503; wrk does not tell 4xx from 5xx.
  const LoadResult r = wrk::parse_output(fixture("wrk_status_503.stdout"));
  EXPECT_EQ(r.requests, 31540u);
  EXPECT_EQ(r.errors.at("status"), 31540u);
  EXPECT_EQ(r.errors.count("status_5xx"), 0u);
}

TEST(WrkParse, CountsReadErrorsOfAServerThatHangsUp) {
  const LoadResult r = wrk::parse_output(fixture("wrk_read_errors.stdout"));
  EXPECT_EQ(r.requests, 0u);
  EXPECT_DOUBLE_EQ(r.rps, 0);
  EXPECT_EQ(r.errors.at("read"), 19354u);
}

TEST(WrkParse, SaysWhenTheReportIsMissing) {
  EXPECT_THAT(generator_error([] { wrk::parse_output(fixture("wrk_no_report.stdout")); }),
              HasSubstr("no report found"));
}

TEST(WrkParse, SaysWhenTheReportIsCutOff) {
  EXPECT_THAT(generator_error([] { wrk::parse_output(fixture("wrk_cut_off.stdout")); }),
              HasSubstr("cut off"));
}

TEST(WrkParse, SaysWhenTheReportIsNotJson) {
  // "mean":-nan, what LuaJIT prints for NaN with %f.
  EXPECT_THAT(generator_error([] { wrk::parse_output(fixture("wrk_garbled_nan.stdout")); }),
              HasSubstr("not valid JSON"));
}

TEST(WrkParse, NamesAMissingField) {
  const std::string text = std::string(wrk::kBeginMarker) +
                           "\n{\"requests\":1,\"duration_us\":1000000,\"bytes\":10,"
                           "\"errors\":{\"connect\":0,\"read\":0,\"write\":0,\"status\":0,"
                           "\"timeout\":0},\"latency_us\":{\"p50\":1,\"p90\":1,\"p95\":1}}\n" +
                           std::string(wrk::kEndMarker) + "\n";
  EXPECT_THAT(generator_error([&] { wrk::parse_output(text); }),
              HasSubstr("'latency_us.p99' is missing"));
}

// --- loadgen: command line and recorded reports ---

TEST(LoadgenCommandLine, ClosedLoopPassesMillisecondsAndAsksForJson) {
  EXPECT_THAT(loadgen::command_line(closed_spec(), "/b/loadgen"),
              ElementsAre("/b/loadgen", "http://127.0.0.1:8080/json", "-c", "8", "-t", "2", "-d",
                          "3000ms", "--timeout", "2500ms", "--json"));
}

TEST(LoadgenCommandLine, OpenLoopPassesTheRate) {
  LoadSpec spec = closed_spec();
  spec.rate = 10000;
  EXPECT_THAT(loadgen::command_line(spec, "loadgen"),
              ElementsAre("loadgen", "http://127.0.0.1:8080/json", "-c", "8", "-t", "2", "-d",
                          "3000ms", "--timeout", "2500ms", "--rate", "10000", "--json"));
}

TEST(LoadgenCommandLine, RejectsANonPositiveRate) {
  LoadSpec spec = closed_spec();
  spec.rate = 0;
  EXPECT_THAT(generator_error([&] { loadgen::command_line(spec, "loadgen"); }),
              HasSubstr("rate must be positive"));
}

TEST(LoadgenParse, ReadsAClosedLoopRun) {
  const LoadResult r = loadgen::parse_output(fixture("loadgen_closed.stdout"));
  EXPECT_EQ(r.requests, 111813u);
  EXPECT_DOUBLE_EQ(r.duration_s, 1.0);
  EXPECT_DOUBLE_EQ(r.rps, 111813.0);
  EXPECT_DOUBLE_EQ(r.latency_us.p50, 15.063);
  EXPECT_DOUBLE_EQ(r.latency_us.p90, 18.335);
  EXPECT_DOUBLE_EQ(r.latency_us.p95, 23.711);
  EXPECT_DOUBLE_EQ(r.latency_us.p99, 37.791);
  EXPECT_DOUBLE_EQ(r.latency_us.p999, 446.207);
  EXPECT_DOUBLE_EQ(r.latency_us.max, 16559.392);
  EXPECT_DOUBLE_EQ(r.latency_us.mean, 17.806);
  EXPECT_DOUBLE_EQ(r.extra.at("latency_p9999_us"), 3846.143);
  EXPECT_EQ(r.errors.size(), 7u);
  EXPECT_EQ(r.total_errors(), 0u);
  EXPECT_EQ(r.extra.count("offered_rate"), 0u);  // null: closed loop
}

TEST(LoadgenParse, ReadsAnOpenLoopRunWithServerErrors) {
  const LoadResult r = loadgen::parse_output(fixture("loadgen_open_503.stdout"));
  EXPECT_EQ(r.requests, 2000u);
  EXPECT_EQ(r.errors.at("status_5xx"), 2000u);
  EXPECT_EQ(r.errors.at("status_4xx"), 0u);
  EXPECT_DOUBLE_EQ(r.extra.at("offered_rate"), 2000);
  EXPECT_DOUBLE_EQ(r.extra.at("late_sends"), 118);
}

TEST(LoadgenParse, ReadsTimeoutsReconnectsAndUnsentRequests) {
  const LoadResult r = loadgen::parse_output(fixture("loadgen_open_timeouts.stdout"));
  EXPECT_EQ(r.requests, 0u);
  EXPECT_EQ(r.errors.at("timeout"), 8u);
  EXPECT_DOUBLE_EQ(r.extra.at("reconnects"), 4);
  EXPECT_DOUBLE_EQ(r.extra.at("unsent"), 92);
}

TEST(LoadgenParse, NamesAFieldOfTheWrongType) {
  std::string text = fixture("loadgen_closed.stdout");
  text.replace(text.find("\"rps\":111813.0"), 14, "\"rps\":\"fast\"");
  EXPECT_THAT(generator_error([&] { loadgen::parse_output(text); }),
              HasSubstr("field 'rps' is not a number"));
}

TEST(LoadgenParse, SaysWhenThereIsNoJson) {
  EXPECT_THAT(generator_error([] { loadgen::parse_output("Closed loop for 1.00s\n"); }),
              HasSubstr("no JSON object"));
}

// --- make_generator and the processes ---

TEST(MakeGenerator, KnowsWrkAndLoadgenAndWhichCanHoldARate) {
  EXPECT_EQ(make_generator("wrk", "wrk")->name(), "wrk");
  EXPECT_FALSE(make_generator("wrk", "wrk")->supports_open_loop());
  EXPECT_EQ(make_generator("loadgen", "loadgen")->name(), "loadgen");
  EXPECT_TRUE(make_generator("loadgen", "loadgen")->supports_open_loop());
}

TEST(MakeGenerator, NamesAnUnknownGenerator) {
  EXPECT_THAT(generator_error([] { make_generator("ab", "ab"); }), HasSubstr("'ab'"));
}

TEST(GeneratorVersion, IsWrksFirstLineWithoutTheCopyright) {
  const std::string version = make_generator("wrk", "wrk")->version();
  EXPECT_THAT(version, StartsWith("wrk "));
  EXPECT_THAT(version, Not(HasSubstr("Copyright")));
}

TEST(GeneratorVersion, OfAMissingProgramIsUnknownRatherThanAnError) {
  EXPECT_EQ(make_generator("loadgen", "/nonexistent/loadgen")->version(), "unknown");
}

TEST(GeneratorStart, NamesAProgramThatCannotRunAndHowToGetIt) {
  TempDir logs;
  auto generator = make_generator("wrk", "/nonexistent/wrk");
  const std::string message =
      generator_error([&] { generator->start(closed_spec(), logs.path()); });
  EXPECT_THAT(message, HasSubstr("/nonexistent/wrk"));
  EXPECT_THAT(message, HasSubstr("apt-get install wrk"));
}

// A running gen_http_server; stop() returns how many requests it answered.
class CountingServer {
 public:
  CountingServer() {
    ProcessSpec spec;
    spec.argv = {helper("gen_http_server"), "0", "30"};
    process_.emplace(Process::spawn(spec));
    const auto line = process_->wait_for_stdout_line("listening on ", 10s);
    if (!line)
      throw std::runtime_error("gen_http_server did not start: " + process_->stderr_text());
    port_ = line->substr(line->rfind(':') + 1);
  }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + port_ + path; }
  std::uint64_t stop() {
    process_->terminate(5s);
    const std::string out = process_->stdout_text();
    return std::stoull(out.substr(out.find("requests ") + 9));
  }

 private:
  std::optional<Process> process_;
  std::string port_;
};

std::string cpus_allowed(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("Cpus_allowed_list:", 0) == 0) return line.substr(line.find_last_of(" \t") + 1);
  }
  return "?";
}

TEST(WrkRun, OneSecondAgainstALocalServerMatchesTheServersCount) {
  CountingServer server;
  TempDir logs;
  LoadSpec spec;
  spec.url = server.url("/");
  spec.connections = 2;
  spec.threads = 1;
  spec.duration = 1000ms;
  spec.cpus = {0};
  auto running = make_generator("wrk", "wrk")->start(spec, logs.path());
  EXPECT_EQ(cpus_allowed(running->pid()), "0");
  const LoadResult r = running->wait();
  const std::uint64_t answered = server.stop();

  EXPECT_GT(r.requests, 0u);
  EXPECT_EQ(r.total_errors(), 0u);
  EXPECT_NEAR(r.duration_s, 1.0, 0.3);
  // The server also answered what was in flight when wrk stopped: at most one per connection.
  EXPECT_GE(answered, r.requests);
  EXPECT_LE(answered - r.requests, 4u);
  EXPECT_GT(r.latency_us.p50, 0);
  EXPECT_LE(r.latency_us.p50, r.latency_us.p99);
  EXPECT_LE(r.latency_us.p99, r.latency_us.max);
  EXPECT_TRUE(std::filesystem::exists(logs.path() / "wrk-report.lua"));
  EXPECT_TRUE(std::filesystem::exists(logs.path() / "wrk.stderr"));
  std::ifstream saved(logs.path() / "wrk.stdout");
  std::ostringstream saved_text;
  saved_text << saved.rdbuf();
  EXPECT_EQ(saved_text.str(), r.raw_output);
}

TEST(WrkRun, FailsWithWrksOwnMessageWhenNothingListens) {
  // A bound socket that does not listen: connecting to its port is refused.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  socklen_t length = sizeof address;
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  TempDir logs;
  LoadSpec spec;
  spec.url = "http://127.0.0.1:" + std::to_string(ntohs(address.sin_port)) + "/";
  spec.connections = 1;
  spec.duration = 1000ms;
  auto running = make_generator("wrk", "wrk")->start(spec, logs.path());
  EXPECT_THAT(generator_error([&] { running->wait(); }), HasSubstr("unable to connect"));
  close(fd);
}

TEST(LoadgenRun, AReportWithNonZeroExitIsStillRead) {
  // loadgen exits 1 when errors pass its threshold; the report carries them by kind.
  TempDir logs;
  LoadSpec spec = closed_spec();
  spec.url = "http://127.0.0.1:9/exit-1";
  const LoadResult r =
      make_generator("loadgen", helper("gen_fake_loadgen"))->start(spec, logs.path())->wait();
  EXPECT_EQ(r.errors.at("connect"), 12u);
}

TEST(LoadgenRun, OutputThatIsNotAReportIsAnErrorWithTheOutputsStory) {
  TempDir logs;
  LoadSpec spec = closed_spec();
  spec.url = "http://127.0.0.1:9/usage";
  auto running = make_generator("loadgen", helper("gen_fake_loadgen"))->start(spec, logs.path());
  const std::string message = generator_error([&] { running->wait(); });
  EXPECT_THAT(message, HasSubstr("no JSON object found"));
  EXPECT_THAT(message, HasSubstr("exit status 2"));
  EXPECT_THAT(message, HasSubstr("--frobnicate: unknown option"));  // its stderr
}

TEST(LoadgenRun, AGeneratorThatHangsIsStoppedAtItsDeadline) {
  // Takes 10 s of real time: wait() allows duration + timeout + 10 s of slack for start-up on a
  // busy machine before it gives up.
  TempDir logs;
  LoadSpec spec = closed_spec();
  spec.url = "http://127.0.0.1:9/hang";
  spec.duration = 1ms;
  spec.timeout = 1ms;
  auto running = make_generator("loadgen", helper("gen_fake_loadgen"))->start(spec, logs.path());
  const pid_t pid = running->pid();
  EXPECT_THAT(generator_error([&] { running->wait(); }),
              HasSubstr("did not finish within 10002 ms and was stopped"));
  EXPECT_FALSE(std::filesystem::exists("/proc/" + std::to_string(pid)));  // killed and reaped
}

TEST(LoadgenRun, OneSecondOpenLoopAgainstALocalServer) {
  const std::filesystem::path program = std::filesystem::path(HELLOBENCH_BIN_DIR) / "loadgen";
  if (!std::filesystem::exists(program)) GTEST_SKIP() << program << " is not built";
  CountingServer server;
  TempDir logs;
  LoadSpec spec;
  spec.url = server.url("/");
  spec.connections = 2;
  spec.duration = 1000ms;
  spec.rate = 1000;
  spec.cpus = {0};
  auto generator = make_generator("loadgen", program);
  EXPECT_THAT(generator->version(), StartsWith("loadgen "));
  auto running = generator->start(spec, logs.path());
  EXPECT_EQ(cpus_allowed(running->pid()), "0");
  const LoadResult r = running->wait();
  const std::uint64_t answered = server.stop();
  EXPECT_NEAR(static_cast<double>(r.requests), 1000, 20);  // 1000/s for 1 s
  EXPECT_EQ(r.total_errors(), 0u);
  EXPECT_DOUBLE_EQ(r.extra.at("offered_rate"), 1000);
  EXPECT_GE(answered, r.requests);
  EXPECT_LE(answered - r.requests, 4u);
}

}  // namespace
}  // namespace hellobench
