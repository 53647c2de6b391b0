// Faults, each injected into a run of the real `hellobench` program (its binary from the build's
// bin folder, started as a child process), with test servers and a fake load generator from
// test/helpers, so that the outcome is known in advance:
//   - servers that cannot be measured: one that prints its ready line and never answers
//     (verify_server --break mute), one whose port is already taken; both reported, the others
//     measured;
//   - a server killed (SIGKILL) in the middle of its window: that trial invalid, the server's
//     later trials and the other server's measured;
//   - a load generator that hangs (gen_fake_loadgen .../hang): stopped at its deadline (window
//     + timeout + 10 s), the trial invalid with the reason, nothing left running;
//   - a claim whose ratio would divide by 0 (microbenchmark allocations of 0): inconclusive,
//     saying so, never a division;
//   - a results folder that cannot be written (not a folder; over a file-size limit from the
//     start; over it part-way): named before any load, or, part-way, reported with what was kept;
//   - SIGINT and SIGTERM during a trial, and SIGKILL of hellobench: every child gone.
// Every run takes tens of seconds (verify, then real windows): the faults share runs where they
// can.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace hellobench {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

const fs::path kHelpers = HELLOBENCH_TEST_HELPER_DIR;
const fs::path kBin = HELLOBENCH_BIN_DIR;

std::string read(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos;
       at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

struct TempDir {
  fs::path path;
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "hb-faults-XXXXXX").string();
    path = ::mkdtemp(pattern.data());
  }
  ~TempDir() { fs::remove_all(path); }
};

// --- processes, read from /proc ------------------------------------------------------------------

std::string cmdline_of(pid_t pid) {
  std::string text = read("/proc/" + std::to_string(pid) + "/cmdline");
  for (char& c : text) {
    if (c == '\0') c = ' ';
  }
  return text;
}

pid_t parent_of(pid_t pid) {
  std::istringstream stat(read("/proc/" + std::to_string(pid) + "/stat"));
  std::string skip;
  pid_t ppid = 0;
  stat >> skip;  // pid
  // comm is in parentheses and may hold spaces: skip to the last ')'.
  std::string rest((std::istreambuf_iterator<char>(stat)), {});
  const auto close = rest.rfind(')');
  std::istringstream after(rest.substr(close + 1));
  std::string state;
  after >> state >> ppid;
  return ppid;
}

// The processes whose command line or environment holds `marker`: the generators carry it in
// their URL, the servers in HB_FAULT_MARKER. A zombie has an empty cmdline and environ, so
// whatever matches is still running.
std::vector<pid_t> processes_whose_cmdline_has(const std::string& marker) {
  std::vector<pid_t> found;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = std::stoi(name);
    if (pid == ::getpid()) continue;
    if (cmdline_of(pid).find(marker) != std::string::npos ||
        read("/proc/" + name + "/environ").find("HB_FAULT_MARKER=" + marker) !=
            std::string::npos) {
      found.push_back(pid);
    }
  }
  return found;
}

std::vector<pid_t> children_of(pid_t parent) {
  std::vector<pid_t> found;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = std::stoi(name);
    if (parent_of(pid) == parent && !cmdline_of(pid).empty()) found.push_back(pid);
  }
  return found;
}

// Polls `found` every 20 ms for up to `limit`, while `parent` runs; the first non-empty
// answer, or empty.
std::vector<pid_t> wait_for(pid_t parent, const std::function<std::vector<pid_t>()>& found,
                            std::chrono::milliseconds limit) {
  const auto until = Clock::now() + limit;
  while (Clock::now() < until && ::kill(parent, 0) == 0) {
    if (auto pids = found(); !pids.empty()) return pids;
    std::this_thread::sleep_for(20ms);
  }
  return {};
}

// --- one run of the real hellobench --------------------------------------------------------------

struct RunResult {
  int exit_code = -1;  // 128 + N when killed by signal N
  std::string out;
  std::string err;
  std::vector<fs::path> run_dirs;
  json results;  // of the only run folder, when it has a results.json
};

struct RunOptions {
  std::optional<rlim_t> file_size_limit;  // RLIMIT_FSIZE for hellobench and its children
  // Called with hellobench's pid while it runs, on a thread of its own.
  std::function<void(pid_t)> while_running;
};

RunResult run_hellobench(const std::vector<std::string>& args, const fs::path& dir,
                   const RunOptions& options = {}) {
  const fs::path program = kBin / "hellobench";
  RunResult run;
  const fs::path out_file = dir / "hellobench.stdout";
  const fs::path err_file = dir / "hellobench.stderr";
  const pid_t pid = ::fork();
  if (pid == 0) {
    std::freopen(out_file.c_str(), "w", stdout);
    std::freopen(err_file.c_str(), "w", stderr);
    if (options.file_size_limit) {
      const rlimit limit{*options.file_size_limit, *options.file_size_limit};
      ::setrlimit(RLIMIT_FSIZE, &limit);
    }
    std::vector<char*> argv{const_cast<char*>(program.c_str())};
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(program.c_str(), argv.data());
    ::_exit(127);
  }
  std::thread watcher;
  if (options.while_running) watcher = std::thread([&] { options.while_running(pid); });
  // A broken run must not hang the suite: 280 s, then SIGKILL (the test then fails).
  int status = 0;
  const auto until = Clock::now() + 280s;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (Clock::now() > until) ::kill(pid, SIGKILL);
    std::this_thread::sleep_for(50ms);
  }
  if (watcher.joinable()) watcher.join();
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  run.out = read(out_file);
  run.err = read(err_file);
  if (fs::is_directory(dir / "out")) {
    for (const auto& entry : fs::directory_iterator(dir / "out")) run.run_dirs.push_back(entry);
  }
  if (run.run_dirs.size() == 1 && fs::exists(run.run_dirs[0] / "results.json")) {
    run.results = json::parse(read(run.run_dirs[0] / "results.json"));
  }
  return run;
}

// Two good servers (the contract kept by verify_server), loadgen replaced by gen_fake_loadgen,
// a profile of one repetition, one-second windows, no warm-up and no builds. EXTRA_SERVERS and
// the scenario list are filled in by each test.
constexpr const char* kConfig = R"(
[generators]
loadgen = "HELPERS/gen_fake_loadgen"

[[server]]
name = "good"
language = "C++"
source_dir = "."
binary = "HELPERS/verify_server"
run = ["{binary}", "--port", "{port}", "--threads", "{threads}", "--bind", "{bind}", "--min-workers", "24"]
env = { HB_FAULT_MARKER = "MARKER" }
edit = { file = "user.txt", line = "x" }

[[server]]
name = "other"
language = "Go"
source_dir = "."
binary = "HELPERS/verify_server"
run = ["{binary}", "--port", "{port}", "--threads", "{threads}", "--bind", "{bind}", "--min-workers", "24"]
env = { HB_FAULT_MARKER = "MARKER" }
edit = { file = "user.txt", line = "x" }
EXTRA_SERVERS
[[scenario]]
name = "zero"
path = "/zero-latency"
generator = "loadgen"
connections = 2

[[scenario]]
name = "hang"
path = "/MARKER/hang"
generator = "loadgen"
connections = 2

[profile.faults]
repetitions = 1
warmup_s = 0
window_s = 1
scenarios = [SCENARIOS]

[[claim]]
id = "zero-allocs"
text = "C++ parses an order with no more allocations than Go"
unit = "ratio"
article = { cpp = 1, go = 1 }
[[claim.part]]
source = "microbenchmarks"
metric = "json_allocs_per_op"
where = { payload = "order-10", operation = "parse" }
estimator = "ratio"
a = "cpp"
b = "go"
side = "at_most"
threshold = 1
)";

constexpr const char* kMuteAndBusyServers = R"(
[[server]]
name = "mute"
language = "Rust"
source_dir = "."
binary = "HELPERS/verify_server"
run = ["{binary}", "--port", "{port}", "--threads", "{threads}", "--bind", "{bind}", "--min-workers", "24", "--break", "mute"]
env = { HB_FAULT_MARKER = "MARKER" }
edit = { file = "user.txt", line = "x" }

[[server]]
name = "busy"
language = "Java"
source_dir = "."
binary = "HELPERS/verify_server"
run = ["{binary}", "--port", "BUSY_PORT", "--threads", "{threads}", "--bind", "{bind}", "--min-workers", "24"]
env = { HB_FAULT_MARKER = "MARKER" }
edit = { file = "user.txt", line = "x" }
)";

// A listening socket on a free loopback port, held for the test's life: the port in use.
struct BusyPort {
  int fd = -1;
  int port = 0;
  BusyPort() {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    ::bind(fd, reinterpret_cast<sockaddr*>(&address), length);
    ::listen(fd, 1);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    port = ntohs(address.sin_port);
  }
  ~BusyPort() { ::close(fd); }
};

std::string marker_for(const std::string& test) {
  return "hbfault" + std::to_string(::getpid()) + test;
}

fs::path write_config(const fs::path& dir, const std::string& marker,
                      const std::string& extra_servers, const std::string& scenarios,
                      int busy_port = 0) {
  std::string text = replace_all(kConfig, "EXTRA_SERVERS", extra_servers);
  text = replace_all(text, "SCENARIOS", scenarios);
  text = replace_all(text, "HELPERS", kHelpers.string());
  text = replace_all(text, "MARKER", marker);
  text = replace_all(text, "BUSY_PORT", std::to_string(busy_port));
  const fs::path file = dir / "faults.toml";
  std::ofstream(file) << text;
  // The JSON microbenchmarks the claim reads: Go's parse allocating nothing makes the ratio
  // cpp/go divide by 0, which the estimator refuses (it throws).
  std::ofstream(dir / "microbench.json") << R"({"schema": "hellobench-microbench/1", "rows": [
    {"language": "cpp", "payload": "order-10", "operation": "parse", "ns_per_op": 900,
     "allocs_per_op": 12},
    {"language": "go", "payload": "order-10", "operation": "parse", "ns_per_op": 2100,
     "allocs_per_op": 0}]})";
  return file;
}

std::vector<std::string> run_args(const fs::path& dir) {
  return {"run",      "--config",  (dir / "faults.toml").string(),    "--profile",
          "faults",   "--out",     (dir / "out").string(),            "--bin-dir",
          kBin.string(), "--microbench", (dir / "microbench.json").string()};
}

bool prerequisites(std::string& why) {
  for (const fs::path& p : {kBin / "hellobench", kHelpers / "verify_server",
                            kHelpers / "gen_fake_loadgen"}) {
    if (!fs::exists(p)) {
      why = p.string() + " is not built";
      return false;
    }
  }
  return true;
}

const json* trial(const RunResult& run, const std::string& server, const std::string& scenario) {
  for (const json& t : run.results["trials"]) {
    if (t.at("server") == server && t.at("scenario") == scenario) return &t;
  }
  return nullptr;
}

std::string failures(const RunResult& run) { return run.results.value("failures", json::array()).dump(); }

// --- the shared faults run -----------------------------------------------------------------------

// One run with every server and scenario fault at once (about a minute): four servers, of which
// `mute` never answers and `busy` cannot bind its port; the `hang` scenario's generator never
// ends, and `good`'s server is killed while that generator runs; the `zero` scenario's figures
// are gen_fake_loadgen's; the claim's ratio would divide by 0. One ctest entry for the whole
// run (ctest starts every TEST in its own process): the checks below are its parts.
std::string skip_reason_;
TempDir* dir_ = nullptr;
BusyPort* busy_ = nullptr;
std::string marker_;
RunResult run_;
std::atomic<pid_t> killed_server_{0};
std::size_t left_running_ = 0;

void run_every_fault() {
  if (!prerequisites(skip_reason_)) return;
  dir_ = new TempDir;
  busy_ = new BusyPort;
  marker_ = marker_for("run");
  write_config(dir_->path, marker_, kMuteAndBusyServers, R"("hang", "zero")", busy_->port);
  RunOptions options;
  options.while_running = [](pid_t hellobench) {
    // The first hanging generator is good's (servers run in config order): kill good's server
    // while it runs.
    const auto generators = wait_for(
        hellobench, [] { return processes_whose_cmdline_has("/" + marker_ + "/hang"); }, 120s);
    if (generators.empty()) return;
    for (pid_t child : children_of(hellobench)) {
      if (cmdline_of(child).find("verify_server") != std::string::npos) {
        killed_server_ = child;
        ::kill(child, SIGKILL);
      }
    }
  };
  run_ = run_hellobench(run_args(dir_->path), dir_->path, options);
  left_running_ = processes_whose_cmdline_has(marker_).size();
}

void FaultsRun_ExitsOneListingEveryFailure() {
  EXPECT_EQ(run_.exit_code, 1) << run_.err;
  EXPECT_TRUE(run_.results["complete"].get<bool>());
  const std::string listed = failures(run_);
  EXPECT_THAT(listed, HasSubstr("verify mute: failed; not benchmarked"));
  EXPECT_THAT(listed, HasSubstr("verify busy: failed; not benchmarked"));
  EXPECT_THAT(listed, HasSubstr("2 invalid trials"));  // both hang trials
  EXPECT_THAT(listed, HasSubstr("1 server failures during trials"));  // good's, killed
  EXPECT_THAT(listed, Not(HasSubstr("claim(s) could not be evaluated")));
}

void FaultsRun_AServerThatNeverAnswersIsReportedAndNotMeasured() {
  const json& mute = run_.results["verify"]["servers"]["mute"];
  EXPECT_FALSE(mute["passed"].get<bool>());
  bool ready_answers_failed = false;
  for (const json& check : mute["checks"]) {
    if (check["name"] == "ready-answers") {
      ready_answers_failed = !check["passed"].get<bool>();
      EXPECT_THAT(check["detail"].get<std::string>(), HasSubstr("GET /"));
    }
  }
  EXPECT_TRUE(ready_answers_failed) << mute.dump(1);
  EXPECT_EQ(trial(run_, "mute", "zero"), nullptr);
  EXPECT_EQ(trial(run_, "mute", "hang"), nullptr);
}

void FaultsRun_AServerWhosePortIsInUseIsReportedAndNotMeasured() {
  const json& busy = run_.results["verify"]["servers"]["busy"];
  EXPECT_FALSE(busy["passed"].get<bool>());
  // Its own words reach the results: verify_server says it cannot listen on the port.
  EXPECT_THAT(busy.dump(), HasSubstr("cannot listen on 127.0.0.1:" + std::to_string(busy_->port)));
  EXPECT_EQ(trial(run_, "busy", "zero"), nullptr);
}

void FaultsRun_TheOtherServersAreMeasured() {
  EXPECT_TRUE(run_.results["verify"]["servers"]["good"]["passed"].get<bool>());
  EXPECT_TRUE(run_.results["verify"]["servers"]["other"]["passed"].get<bool>());
  for (const char* server : {"good", "other"}) {
    const json* zero = trial(run_, server, "zero");
    ASSERT_NE(zero, nullptr) << server;
    EXPECT_TRUE(zero->at("valid").get<bool>()) << zero->dump(1);
    EXPECT_EQ(zero->at("requests"), 1000) << server;  // gen_fake_loadgen's report
  }
}

void FaultsRun_AServerKilledInItsWindowMakesThatTrialInvalidAndTheRunGoesOn() {
  ASSERT_NE(killed_server_.load(), 0) << "the test never found good's server to kill";
  const json* hang = trial(run_, "good", "hang");
  ASSERT_NE(hang, nullptr);
  EXPECT_FALSE(hang->at("valid").get<bool>());
  EXPECT_THAT(hang->at("invalid_reason").get<std::string>(),
              HasSubstr("server exited during the trial"));
  // good's next trial, on a fresh server, is measured.
  EXPECT_TRUE(trial(run_, "good", "zero")->at("valid").get<bool>());
}

void FaultsRun_AHangingGeneratorIsStoppedAtItsDeadlineAndTheTrialIsInvalid() {
  const json* hang = trial(run_, "other", "hang");
  ASSERT_NE(hang, nullptr);
  EXPECT_FALSE(hang->at("valid").get<bool>());
  // The deadline: the 1 s window + the 2 s request timeout + 10 s of slack.
  EXPECT_THAT(hang->at("invalid_reason").get<std::string>(),
              HasSubstr("did not finish within 13000 ms and was stopped"));
  // The window ended at the deadline, not at the generator's own 60 s.
  EXPECT_LT(hang->at("window_s").get<double>(), 20.0);
  EXPECT_EQ(left_running_, 0u) << "a generator or server of the run outlived it";
}

void FaultsRun_AClaimWhoseRatioWouldDivideByZeroSaysSoAndIsNotJudged() {
  // The figures refuse the ratio before any estimator sees a 0 (analysis/figures.cpp): the claim
  // is inconclusive and names the zero. (Turning an estimator's throw into verdict "error" is
  // ClaimsAsData.AClaimWhoseComputationThrowsReportsAnErrorNotAVerdict; no results a run can
  // produce reach it.)
  ASSERT_EQ(run_.results["claims"].size(), 1u);
  const json& claim = run_.results["claims"][0];
  EXPECT_EQ(claim["verdict"], "inconclusive") << claim.dump(1);
  EXPECT_THAT(claim["reason"].get<std::string>(),
              HasSubstr("json_allocs_per_op of go is 0 in a sample: no ratio"));
}

TEST(FaultsRun, EveryFaultIsReportedAndTheOtherServersAreMeasured) {
  run_every_fault();
  if (!skip_reason_.empty()) GTEST_SKIP() << skip_reason_;
  ASSERT_EQ(run_.run_dirs.size(), 1u) << run_.err;
  ASSERT_TRUE(run_.results.is_object()) << run_.err;
  {
    SCOPED_TRACE("ExitsOneListingEveryFailure");
    FaultsRun_ExitsOneListingEveryFailure();
  }
  {
    SCOPED_TRACE("AServerThatNeverAnswersIsReportedAndNotMeasured");
    FaultsRun_AServerThatNeverAnswersIsReportedAndNotMeasured();
  }
  {
    SCOPED_TRACE("AServerWhosePortIsInUseIsReportedAndNotMeasured");
    FaultsRun_AServerWhosePortIsInUseIsReportedAndNotMeasured();
  }
  {
    SCOPED_TRACE("TheOtherServersAreMeasured");
    FaultsRun_TheOtherServersAreMeasured();
  }
  {
    SCOPED_TRACE("AServerKilledInItsWindowMakesThatTrialInvalidAndTheRunGoesOn");
    FaultsRun_AServerKilledInItsWindowMakesThatTrialInvalidAndTheRunGoesOn();
  }
  {
    SCOPED_TRACE("AHangingGeneratorIsStoppedAtItsDeadlineAndTheTrialIsInvalid");
    FaultsRun_AHangingGeneratorIsStoppedAtItsDeadlineAndTheTrialIsInvalid();
  }
  {
    SCOPED_TRACE("AClaimWhoseRatioWouldDivideByZeroSaysSoAndIsNotJudged");
    FaultsRun_AClaimWhoseRatioWouldDivideByZeroSaysSoAndIsNotJudged();
  }
  delete busy_;
  delete dir_;
}

// --- the results folder ----------------------------------------------------------------------------

TEST(FaultsResultsFolder, AnOutPathThatIsNotAFolderIsNamedBeforeAnything) {
  std::string why;
  if (!prerequisites(why)) GTEST_SKIP() << why;
  TempDir dir;
  write_config(dir.path, marker_for("notdir"), "", R"("zero")");
  std::ofstream(dir.path / "out") << "a file where the results folder should be\n";
  const RunResult run = run_hellobench(run_args(dir.path), dir.path);
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr("--out " + (dir.path / "out").string() +
                                 ": cannot create the folder"));
  EXPECT_EQ(read(dir.path / "hellobench.stdout").find("verify"), std::string::npos);
}

TEST(FaultsResultsFolder, AFolderThatTakesNoFileIsNamedBeforeAnyLoad) {
  // RLIMIT_FSIZE of 1 KiB: the folder is created, but the first results.json (several KiB) does
  // not fit, as on a full disk.
  std::string why;
  if (!prerequisites(why)) GTEST_SKIP() << why;
  TempDir dir;
  write_config(dir.path, marker_for("full"), "", R"("zero")");
  RunOptions options;
  std::atomic<bool> servers_started{false};
  options.file_size_limit = 1024;
  options.while_running = [&](pid_t hellobench) {
    const auto until = Clock::now() + 60s;
    while (Clock::now() < until && ::kill(hellobench, 0) == 0) {
      for (pid_t child : children_of(hellobench)) {
        // The server itself (run with --port), not strip or ldd looking at its binary.
        const std::string cmd = cmdline_of(child);
        if (cmd.find("verify_server") != std::string::npos &&
            cmd.find(" --port ") != std::string::npos) {
          servers_started = true;
        }
      }
      std::this_thread::sleep_for(20ms);
    }
  };
  const RunResult run = run_hellobench(run_args(dir.path), dir.path, options);
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_THAT(run.err, HasSubstr("--out " + (dir.path / "out").string() +
                                 ": the results folder cannot be written"));
  EXPECT_THAT(run.err, HasSubstr("File too large"));
  EXPECT_THAT(run.err, HasSubstr("nothing was measured"));
  EXPECT_FALSE(servers_started) << "a server was started before the folder was found unwritable";
}

TEST(FaultsResultsFolder, AWriteThatFailsPartWayIsReportedWithWhatWasKept) {
  // RLIMIT_FSIZE between the size of the first results.json and that of the results with the
  // verify checks: the start is saved, the save after verify fails.
  std::string why;
  if (!prerequisites(why)) GTEST_SKIP() << why;
  TempDir dir;
  write_config(dir.path, marker_for("partway"), "", R"("zero")");
  RunOptions options;
  options.file_size_limit = 12 * 1024;
  const RunResult run = run_hellobench(run_args(dir.path), dir.path, options);
  EXPECT_EQ(run.exit_code, 1) << run.err;
  ASSERT_EQ(run.run_dirs.size(), 1u);
  const fs::path kept = run.run_dirs[0] / "results.json";
  EXPECT_THAT(run.err, HasSubstr("writing the results failed at verify"));
  EXPECT_THAT(run.err, HasSubstr("File too large"));
  EXPECT_THAT(run.err, HasSubstr("kept: " + kept.string() + " as of the start"));
  // What was kept is whole: the start's results.json, every field it had then.
  ASSERT_TRUE(run.results.is_object()) << read(kept);
  EXPECT_EQ(run.results["schema"], "hellobench/1");
  EXPECT_EQ(run.results.value("complete", true), false);
  EXPECT_LE(fs::file_size(kept), 12u * 1024);
}

// --- signals -------------------------------------------------------------------------------------------

// Starts a run whose trial hangs (gen_fake_loadgen .../hang), waits for its generator, then
// `stop`s hellobench. Returns the run, and whether any child of the run (server or generator)
// was left `grace` after hellobench ended.
struct Stopped {
  RunResult run;
  std::vector<pid_t> children_seen;
  std::vector<pid_t> left;
  bool generator_seen = false;
};

Stopped stop_during_a_trial(const std::string& name, int signal_number,
                            std::chrono::milliseconds grace) {
  Stopped outcome;
  TempDir dir;
  const std::string marker = marker_for(name);
  write_config(dir.path, marker, "", R"("hang")");
  RunOptions options;
  options.while_running = [&](pid_t hellobench) {
    outcome.generator_seen =
        !wait_for(hellobench, [&] { return processes_whose_cmdline_has("/" + marker + "/hang"); }, 120s)
             .empty();
    if (!outcome.generator_seen) return;
    outcome.children_seen = children_of(hellobench);
    ::kill(hellobench, signal_number);
  };
  outcome.run = run_hellobench(run_args(dir.path), dir.path, options);
  std::this_thread::sleep_for(grace);
  for (pid_t child : outcome.children_seen) {
    if (::kill(child, 0) == 0 && !cmdline_of(child).empty()) outcome.left.push_back(child);
  }
  for (pid_t p : processes_whose_cmdline_has(marker)) outcome.left.push_back(p);
  return outcome;
}

TEST(FaultsSignals, CtrlCDuringATrialStopsEveryChild) {
  std::string why;
  if (!prerequisites(why)) GTEST_SKIP() << why;
  const Stopped s = stop_during_a_trial("sigint", SIGINT, 0ms);
  ASSERT_TRUE(s.generator_seen) << s.run.err;
  EXPECT_GE(s.children_seen.size(), 2u);  // the server and the generator at least
  EXPECT_EQ(s.run.exit_code, 128 + SIGINT);
  EXPECT_THAT(s.run.err, HasSubstr("interrupted; stopped every child process"));
  EXPECT_TRUE(s.left.empty()) << s.left.size() << " children outlived hellobench";
}

TEST(FaultsSignals, SigtermDuringATrialStopsEveryChild) {
  std::string why;
  if (!prerequisites(why)) GTEST_SKIP() << why;
  const Stopped s = stop_during_a_trial("sigterm", SIGTERM, 0ms);
  ASSERT_TRUE(s.generator_seen) << s.run.err;
  EXPECT_GE(s.children_seen.size(), 2u);
  EXPECT_EQ(s.run.exit_code, 128 + SIGTERM);
  EXPECT_TRUE(s.left.empty()) << s.left.size() << " children outlived hellobench";
}

TEST(FaultsSignals, NothingIsLeftThreeSecondsAfterHellobenchIsKilled) {
  std::string why;
  if (!prerequisites(why)) GTEST_SKIP() << why;
  const Stopped s = stop_during_a_trial("sigkill", SIGKILL, 3000ms);
  ASSERT_TRUE(s.generator_seen) << s.run.err;
  EXPECT_GE(s.children_seen.size(), 2u);
  EXPECT_EQ(s.run.exit_code, 128 + SIGKILL);
  EXPECT_TRUE(s.left.empty()) << s.left.size() << " children outlived hellobench by 3 s";
}

}  // namespace
}  // namespace hellobench

namespace hellobench {
namespace {

// --- a sweep point above a server's capacity ----------------------------------------------------

// A server whose capacity is known: /io?ms=10 over one connection can complete at most 100
// requests/s. The capacity search (probes of 1 s from 10 req/s, doubling, p99 under 100 ms) holds
// 10, 20, 40 (and 80 on a quiet machine) and fails at 160 at the latest (unsent requests). The
// point at 8x its capacity cannot be held either: that is a finding about the server, recorded
// as over_capacity, not a failure of the run (exit 0, no failures); the point at a quarter of its
// capacity is an ordinary valid trial.
// The sweep run of the known-capacity server, its capacity search starting at START req/s.
RunResult run_known_capacity_sweep(const fs::path& dir, int start) {
  std::string text = R"(
[generators]
loadgen = "BIN/loadgen"

[[server]]
name = "slow"
language = "C++"
source_dir = "."
binary = "HELPERS/verify_server"
run = ["{binary}", "--port", "{port}", "--threads", "{threads}", "--bind", "{bind}", "--min-workers", "24"]
edit = { file = "user.txt", line = "x" }

[[scenario]]
name = "one-at-a-time"
path = "/io?ms=10"
generator = "loadgen"
mode = "open"
connections = 1
rate = 10
timeout_s = 2

[[sweep]]
name = "known-capacity"
scenario = "one-at-a-time"
capacity = { p99_ms = 100, start_rate = START, growth = 2, refinements = 0, probe_s = 1 }
points = [
  { label = "quarter", fraction = 0.25, of = "slow" },
  { label = "eight times", fraction = 8, of = "slow" },
]

[profile.sweep]
repetitions = 1
sweep_repetitions = 1
warmup_s = 0
window_s = 1
scenarios = []
sweeps = ["known-capacity"]
)";
  text = replace_all(text, "HELPERS", kHelpers.string());
  text = replace_all(text, "BIN", kBin.string());
  text = replace_all(text, "START", std::to_string(start));
  std::ofstream(dir / "sweep.toml") << text;
  return run_hellobench({"run", "--config", (dir / "sweep.toml").string(), "--profile", "sweep",
                         "--out", (dir / "out").string(), "--bin-dir", kBin.string()},
                        dir);
}

// Both tests need the helper server, hellobench and the real loadgen.
class SweepOverCapacity : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!prerequisites(why)) GTEST_SKIP() << why;
    if (!fs::exists(kBin / "loadgen")) GTEST_SKIP() << "loadgen is not built";
  }
  TempDir dir;
};

TEST_F(SweepOverCapacity, APointAboveTheServersCapacityIsRecordedAndIsNotARunFailure) {
  const RunResult run = run_known_capacity_sweep(dir.path, 10);
  ASSERT_TRUE(run.results.is_object()) << run.err;
  EXPECT_EQ(run.exit_code, 0) << run.err << failures(run);
  EXPECT_EQ(run.results["failures"], json::array()) << failures(run);
  const json& capacity = run.results["sweeps"][0]["capacity"]["slow"];
  ASSERT_TRUE(capacity["rate"].is_number()) << capacity.dump();
  const double held = capacity["rate"].get<double>();
  EXPECT_TRUE(held == 40 || held == 80) << capacity.dump();
  EXPECT_EQ(capacity["failed_rate"], 2 * held) << capacity.dump();
  int seen = 0;
  for (const json& t : run.results["trials"]) {
    if (t.value("point", "") == "quarter") {
      ++seen;
      EXPECT_EQ(t["offered_rate"], held / 4);
      EXPECT_TRUE(t["valid"].get<bool>()) << t["invalid_reason"];
      EXPECT_FALSE(t.value("over_capacity", false));
    } else if (t.value("point", "") == "eight times") {
      ++seen;
      EXPECT_EQ(t["offered_rate"], 8 * held);
      EXPECT_FALSE(t["valid"].get<bool>());
      EXPECT_TRUE(t.value("over_capacity", false)) << t.dump();
      EXPECT_THAT(t["invalid_reason"].get<std::string>(),
                  HasSubstr(fmt::format("over its capacity: its search failed at {} req/s",
                                        2 * held)));
    }
  }
  EXPECT_EQ(seen, 2);
  EXPECT_THAT(run.out, HasSubstr("-  (over its capacity)"));
}

// A start rate above the capacity: every failed rate is probed twice (one noisy second does not
// decide), and the search walks down the ladder (400, 200, 100: not held) to a rate it holds.
TEST_F(SweepOverCapacity, ASearchStartingAboveTheCapacityWalksDownToIt) {
  const RunResult run = run_known_capacity_sweep(dir.path, 400);
  ASSERT_TRUE(run.results.is_object()) << run.err;
  EXPECT_EQ(run.exit_code, 0) << run.err << failures(run);
  const json& capacity = run.results["sweeps"][0]["capacity"]["slow"];
  ASSERT_TRUE(capacity["rate"].is_number()) << capacity.dump();
  const double held = capacity["rate"].get<double>();
  EXPECT_TRUE(held == 25 || held == 50) << capacity.dump();
  EXPECT_EQ(capacity["failed_rate"], 2 * held) << capacity.dump();
  std::map<double, int> probes_at;
  for (const json& p : capacity["probes"]) {
    ++probes_at[p["rate"].get<double>()];
    if (!p["held"].get<bool>()) EXPECT_GT(p["rate"].get<double>(), held) << p.dump();
  }
  for (double r : {400.0, 200.0, 100.0}) EXPECT_EQ(probes_at[r], 2) << r << capacity.dump();
}

}  // namespace
}  // namespace hellobench
