// The loadgen program as the orchestrator runs it: a separate process, its JSON on stdout,
// its exit code, its time bound.
#include <fcntl.h>
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
