// The loadgen program as the orchestrator runs it: a separate process, its JSON on stdout,
// its exit code, its time bound.
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "loadgen/engine.hpp"
#include "responders.hpp"

namespace loadgen {
namespace {

using namespace std::chrono_literals;
using test::Behaviour;
using test::Responder;

struct Finished {
  int exit_code = -1;
  std::string out;
  std::string err;
  std::chrono::steady_clock::duration elapsed{};
};

std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Runs loadgen with `args` (no shell), its stdout and stderr in files, and waits for it.
Finished run_loadgen(const std::vector<std::string>& args) {
  char dir_template[] = "/tmp/loadgen-cli-test-XXXXXX";
  const std::filesystem::path dir = mkdtemp(dir_template);
  const auto out_path = dir / "out", err_path = dir / "err";
  std::vector<std::string> argv_strings = {LOADGEN_PROGRAM};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);

  const auto started = std::chrono::steady_clock::now();
  const pid_t pid = fork();
  if (pid == 0) {
    const int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(out, STDOUT_FILENO);
    dup2(err, STDERR_FILENO);
    execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  Finished finished;
  finished.elapsed = std::chrono::steady_clock::now() - started;
  finished.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  finished.out = slurp(out_path);
  finished.err = slurp(err_path);
  std::filesystem::remove_all(dir);
  return finished;
}

TEST(LoadgenCli, JsonCarriesTheContractFields) {
  Responder responder(Behaviour{});
  const Finished f = run_loadgen(
      {responder.url(), "-c", "2", "-t", "1", "-d", "300ms", "--timeout", "1s", "--json"});
  ASSERT_EQ(f.exit_code, 0) << f.err;
  const auto json = nlohmann::json::parse(f.out);
  for (const char* key : {"requests", "duration_s", "rps", "connections", "offered_rate",
                          "latency_us", "errors", "reconnects", "late_sends"})
    EXPECT_TRUE(json.contains(key)) << key;
  for (const char* key : {"p50", "p90", "p95", "p99", "p999", "p9999", "max", "mean", "stddev"})
    EXPECT_TRUE(json["latency_us"][key].is_number()) << key;
  // The histograms travel with the report (README, "Histograms that travel").
  EXPECT_EQ(json["latency_histogram"]["encoding"], "hdrhistogram-v2-compressed-base64");
  EXPECT_EQ(json["latency_histogram"]["count"], json["requests"]);
  EXPECT_TRUE(json["late_by_histogram"].is_object());
  EXPECT_TRUE(json["overhead_histogram"].is_null());
  for (const char* key :
       {"connect", "read", "write", "timeout", "parse", "status_4xx", "status_5xx"})
    EXPECT_EQ(json["errors"][key], 0) << key;
  EXPECT_TRUE(json["offered_rate"].is_null());
  EXPECT_EQ(json["connections"], 2);
  EXPECT_GT(json["requests"].get<std::uint64_t>(), 0u);
  EXPECT_DOUBLE_EQ(json["duration_s"].get<double>(), 0.3);
  EXPECT_LE(json["latency_us"]["p50"].get<double>(), json["latency_us"]["p99"].get<double>());
}

TEST(LoadgenCli, OpenLoopJsonReportsTheOfferedRate) {
  Responder responder(Behaviour{});
  const Finished f =
      run_loadgen({responder.url(), "-c", "2", "-d", "500ms", "--rate", "1k", "--json"});
  ASSERT_EQ(f.exit_code, 0) << f.err;
  const auto json = nlohmann::json::parse(f.out);
  EXPECT_EQ(json["offered_rate"], 1000.0);
  // Due every 1 ms for 500 ms: answered, or never sent if the machine stalled at the end.
  EXPECT_EQ(json["requests"].get<int>() + json["unsent"].get<int>(), 500);
}

TEST(LoadgenCli, ReadableReportByDefault) {
  Responder responder(Behaviour{});
  const Finished f = run_loadgen({responder.url(), "-c", "1", "-d", "200ms"});
  ASSERT_EQ(f.exit_code, 0) << f.err;
  EXPECT_NE(f.out.find("Requests/sec:"), std::string::npos) << f.out;
  EXPECT_NE(f.out.find("99.9%"), std::string::npos) << f.out;
  EXPECT_TRUE(f.err.empty()) << f.err;  // no progress line when stderr is not a terminal
}

TEST(LoadgenCli, EveryConnectionRefusedExitsOne) {
  const Finished f = run_loadgen({"http://127.0.0.1:" + std::to_string(test::unused_port()) + "/",
                                  "-c", "1", "-d", "200ms", "--json"});
  EXPECT_EQ(f.exit_code, 1);
  EXPECT_GT(nlohmann::json::parse(f.out)["errors"]["connect"].get<int>(), 0);
}

TEST(LoadgenCli, MaxErrorRateDecidesTheExitCode) {
  Responder responder(Behaviour{.status_line = "HTTP/1.1 500 Internal Server Error"});
  EXPECT_EQ(run_loadgen({responder.url(), "-c", "1", "-d", "200ms"}).exit_code, 0);
  EXPECT_EQ(
      run_loadgen({responder.url(), "-c", "1", "-d", "200ms", "--max-error-rate", "1%"}).exit_code,
      1);
  EXPECT_EQ(run_loadgen({responder.url(), "-c", "1", "-d", "200ms", "--max-error-rate", "100%"})
                .exit_code,
            0);
}

TEST(LoadgenCli, BadUsageExitsTwoNamingTheFlag) {
  const Finished f = run_loadgen({"http://127.0.0.1:1/", "-c", "0"});
  EXPECT_EQ(f.exit_code, 2);
  EXPECT_NE(f.err.find("--connections"), std::string::npos) << f.err;
  EXPECT_TRUE(f.out.empty());

  const Finished g = run_loadgen({"http://127.0.0.1:1/", "--rate", "lots"});
  EXPECT_EQ(g.exit_code, 2);
  EXPECT_NE(g.err.find("--rate"), std::string::npos) << g.err;
}

TEST(LoadgenCli, JsonRecordsTheSeedSpecsOverheadAndTargets) {
  Responder responder(Behaviour{});
  char dir_template[] = "/tmp/loadgen-cli-targets-XXXXXX";
  const std::filesystem::path dir = mkdtemp(dir_template);
  std::ofstream(dir / "mix.json") << R"({"requests":[
      {"name":"io","weight":3,"path":"/io?ms={wait}"},{"name":"user","path":"/users/{id}"}]})";
  const Finished f = run_loadgen({responder.url(), "-c", "4", "-t", "1", "-d", "300ms", "--targets",
                                  (dir / "mix.json").string(), "--wait", "uniform:1ms:3ms", "--id",
                                  "uniform:0:9", "--seed", "12", "--json"});
  std::filesystem::remove_all(dir);
  ASSERT_EQ(f.exit_code, 0) << f.err;
  const auto json = nlohmann::json::parse(f.out);
  EXPECT_EQ(json["seed"], 12);
  EXPECT_EQ(json["variables"],
            nlohmann::json::parse(R"({"wait":"uniform:1ms:3ms","id":"uniform:0:9"})"));
  EXPECT_EQ(json["targets_file"], (dir / "mix.json").string());
  // overhead_us: the latency percentiles' names, plus the requests it covers (those of "io").
  for (const char* key : {"p50", "p90", "p95", "p99", "p999", "p9999", "max", "mean", "stddev",
                          "requests", "clamped"})
    EXPECT_TRUE(json["overhead_us"][key].is_number()) << key;
  ASSERT_EQ(json["targets"].size(), 2u);
  const auto& io = json["targets"][0];
  const auto& user = json["targets"][1];
  EXPECT_EQ(io["name"], "io");
  EXPECT_EQ(io["weight"], 3.0);
  EXPECT_EQ(io["method"], "GET");
  EXPECT_EQ(io["path"], "/io?ms={wait}");
  EXPECT_EQ(json["overhead_us"]["requests"], io["requests"]);
  EXPECT_TRUE(io["overhead_us"].is_object());
  EXPECT_TRUE(user["overhead_us"].is_null());  // its path holds no {wait}
  EXPECT_EQ(io["requests"].get<int>() + user["requests"].get<int>(), json["requests"].get<int>());
  for (const char* key : {"read", "write", "timeout", "parse", "status_4xx", "status_5xx"})
    EXPECT_EQ(user["errors"][key], 0) << key;
  for (const char* key : {"p50", "p90", "p95", "p99", "p999", "max", "mean"})
    EXPECT_TRUE(user["latency_us"][key].is_number()) << key;
  // The io requests waited 1..3 ms each.
  EXPECT_GE(io["latency_us"]["p50"].get<double>(), 1000);
  EXPECT_LT(user["latency_us"]["p50"].get<double>(), 1000);
}

TEST(LoadgenCli, WithoutPlaceholdersTheNewFieldsAreEmpty) {
  Responder responder(Behaviour{});
  const Finished f = run_loadgen({responder.url(), "-c", "1", "-d", "100ms", "--json"});
  ASSERT_EQ(f.exit_code, 0) << f.err;
  const auto json = nlohmann::json::parse(f.out);
  EXPECT_EQ(json["seed"], 1);
  EXPECT_EQ(json["variables"], nlohmann::json::object());
  EXPECT_TRUE(json["overhead_us"].is_null());
  EXPECT_TRUE(json["targets"].is_null());
  EXPECT_TRUE(json["targets_file"].is_null());
}

TEST(LoadgenCli, BadRequestDataExitsTwoNamingTheFlagAndWhere) {
  const Finished spec =
      run_loadgen({"http://127.0.0.1:1/io?ms={wait}", "--wait", "lognormal:median=20ms,p9=40ms"});
  EXPECT_EQ(spec.exit_code, 2);
  EXPECT_EQ(spec.err,
            "loadgen: --wait: at 'lognormal:median=20ms,p9=40ms' position 23: unknown parameter "
            "'p9' (expected median, p95)\n");
  EXPECT_TRUE(spec.out.empty());

  const Finished body = run_loadgen({"http://127.0.0.1:1/", "--body", "/no/such/body.json"});
  EXPECT_EQ(body.exit_code, 2);
  EXPECT_EQ(body.err,
            "loadgen: --body: cannot read '/no/such/body.json': No such file or directory\n");

  const Finished missing = run_loadgen({"http://127.0.0.1:1/", "--targets", "/no/such/mix.json"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("--targets: cannot read '/no/such/mix.json'"), std::string::npos);

  char dir_template[] = "/tmp/loadgen-cli-bad-XXXXXX";
  const std::filesystem::path dir = mkdtemp(dir_template);
  std::ofstream(dir / "mix.json") << "{\"requests\":[\n {\"name\":\"a\",\"path\":\"/\",}]}";
  const Finished malformed =
      run_loadgen({"http://127.0.0.1:1/", "--targets", (dir / "mix.json").string()});
  std::filesystem::remove_all(dir);
  EXPECT_EQ(malformed.exit_code, 2);
  // The '}' after a ',' (line 2 column 25) is where the JSON goes wrong: a key was expected.
  EXPECT_NE(malformed.err.find("--targets: '" + (dir / "mix.json").string() + "' line 2 column 25"),
            std::string::npos)
      << malformed.err;
}

TEST(LoadgenCli, MergeAddsTheReportsOfTwoProcesses) {
  Responder responder(Behaviour{});
  char dir_template[] = "/tmp/loadgen-cli-merge-XXXXXX";
  const std::filesystem::path dir = mkdtemp(dir_template);
  std::vector<nlohmann::json> parts;
  for (const char* name : {"a.json", "b.json"}) {
    const Finished f =
        run_loadgen({responder.url(), "-c", "2", "-t", "1", "-d", "200ms", "--json"});
    ASSERT_EQ(f.exit_code, 0) << f.err;
    std::ofstream(dir / name) << f.out;
    parts.push_back(nlohmann::json::parse(f.out));
  }
  const Finished merged =
      run_loadgen({"merge", (dir / "a.json").string(), (dir / "b.json").string()});
  const Finished missing = run_loadgen({"merge", (dir / "a.json").string(), "/no/such.json"});
  std::filesystem::remove_all(dir);
  ASSERT_EQ(merged.exit_code, 0) << merged.err;
  const auto json = nlohmann::json::parse(merged.out);
  EXPECT_EQ(json["requests"], parts[0]["requests"].get<int>() + parts[1]["requests"].get<int>());
  EXPECT_EQ(json["connections"], 4);
  EXPECT_EQ(json["merged_reports"], 2);
  EXPECT_EQ(json["latency_histogram"]["count"], json["requests"]);
  // The merged maximum is the larger of the two, exactly.
  EXPECT_EQ(json["latency_us"]["max"], std::max(parts[0]["latency_us"]["max"].get<double>(),
                                                parts[1]["latency_us"]["max"].get<double>()));

  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_EQ(missing.err, "loadgen merge: cannot read '/no/such.json': No such file or directory\n");
  EXPECT_TRUE(missing.out.empty());
  EXPECT_EQ(run_loadgen({"merge", "--help"}).exit_code, 0);
  EXPECT_EQ(run_loadgen({"merge"}).exit_code, 2);
}

double wall_clock_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

TEST(LoadgenCli, TheEngineIsRecorded) {
  Responder responder(Behaviour{});
  const Finished epoll =
      run_loadgen({responder.url(), "-c", "1", "-d", "100ms", "--engine", "epoll", "--json"});
  ASSERT_EQ(epoll.exit_code, 0) << epoll.err;
  EXPECT_EQ(nlohmann::json::parse(epoll.out)["engine"], "epoll");
  EXPECT_TRUE(nlohmann::json::parse(epoll.out)["engine_fallback"].is_null());
  // By default io_uring where it runs; else epoll, and the report says why not.
  const Finished chosen = run_loadgen({responder.url(), "-c", "1", "-d", "100ms", "--json"});
  ASSERT_EQ(chosen.exit_code, 0) << chosen.err;
  const auto json = nlohmann::json::parse(chosen.out);
  if (uring_unavailable_reason().empty()) {
    EXPECT_EQ(json["engine"], "uring");
    EXPECT_TRUE(json["engine_fallback"].is_null());
  } else {
    EXPECT_EQ(json["engine"], "epoll");
    EXPECT_TRUE(json["engine_fallback"].is_string());
  }
  EXPECT_EQ(run_loadgen({responder.url(), "--engine", "kqueue"}).exit_code, 2);
}

TEST(LoadgenCli, TheReportCarriesItsHostName) {
  Responder responder(Behaviour{});
  const Finished named =
      run_loadgen({responder.url(), "-c", "1", "-d", "100ms", "--host-name", "gen1", "--json"});
  ASSERT_EQ(named.exit_code, 0) << named.err;
  EXPECT_EQ(nlohmann::json::parse(named.out)["host"], "gen1");
  char name[256] = {};
  gethostname(name, sizeof name - 1);
  const Finished plain = run_loadgen({responder.url(), "-c", "1", "-d", "100ms", "--json"});
  EXPECT_EQ(nlohmann::json::parse(plain.out)["host"], name);
}

TEST(LoadgenCli, StartAtWaitsForTheMomentThenRunsItsWindow) {
  Responder responder(Behaviour{});
  const double at = wall_clock_now() + 0.6;
  const Finished f = run_loadgen({responder.url(), "-c", "1", "-d", "200ms", "--start-at",
                                  fmt::format("{:.6f}", at), "--json"});
  ASSERT_EQ(f.exit_code, 0) << f.err;
  // 0.6 s of waiting (less the start-up before it began waiting), then the 200 ms window.
  EXPECT_GE(f.elapsed, 700ms);
  EXPECT_LT(f.elapsed, 2s);
  const auto json = nlohmann::json::parse(f.out);
  EXPECT_DOUBLE_EQ(json["start_at"].get<double>(), std::stod(fmt::format("{:.6f}", at)));
  // A timer wakes tens of microseconds late on a quiet machine; 100 ms is the default bound.
  EXPECT_GE(json["start_late_ms"].get<double>(), 0);
  EXPECT_LT(json["start_late_ms"].get<double>(), 100);
  EXPECT_EQ(json["started_late"], false);
  EXPECT_GT(json["requests"].get<int>(), 0);
}

TEST(LoadgenCli, AStartTimeLongPastIsMarkedAndExitsFour) {
  Responder responder(Behaviour{});
  const Finished f = run_loadgen({responder.url(), "-c", "1", "-d", "100ms", "--start-at",
                                  fmt::format("{:.6f}", wall_clock_now() - 5), "--json"});
  EXPECT_EQ(f.exit_code, 4) << f.err;
  const auto json = nlohmann::json::parse(f.out);
  EXPECT_GE(json["start_late_ms"].get<double>(), 5000);
  EXPECT_LT(json["start_late_ms"].get<double>(), 7000);
  EXPECT_EQ(json["started_late"], true);
  // A bound the lateness is within: on time.
  EXPECT_EQ(run_loadgen({responder.url(), "-c", "1", "-d", "100ms", "--start-at",
                         fmt::format("{:.6f}", wall_clock_now() - 0.05), "--max-start-late", "10s"})
                .exit_code,
            0);
}

TEST(LoadgenCli, HelpExitsZero) {
  const Finished f = run_loadgen({"--help"});
  EXPECT_EQ(f.exit_code, 0);
  EXPECT_NE(f.out.find("--timeout"), std::string::npos);
}

TEST(LoadgenCli, AServerThatNeverAnswersEndsWithinDurationPlusTimeoutPlusOneSecond) {
  Responder responder(Behaviour{.never_answer = true});
  const Finished f =
      run_loadgen({responder.url(), "-c", "4", "-d", "1s", "--timeout", "500ms", "--json"});
  EXPECT_LT(f.elapsed, 1s + 500ms + 1s);
  EXPECT_EQ(f.exit_code, 0);  // by default only refused connections fail the run
  const auto json = nlohmann::json::parse(f.out);
  EXPECT_EQ(json["requests"], 0);
  EXPECT_EQ(json["errors"]["timeout"], 8);  // 2 per connection, as in the engine test
}

}  // namespace
}  // namespace loadgen
