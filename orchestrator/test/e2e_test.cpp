// End to end: `hellobench run --profile smoke` against the real servers from the build's bin
// folder, with real wrk (and loadgen when built), checking results.json field by field.
// Takes about a minute: the smoke profile's trials run in real time.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "cli.hpp"
#include "trial/environment.hpp"

namespace hellobench {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::AnyOf;
using ::testing::HasSubstr;

const fs::path kBin = HELLOBENCH_BIN_DIR;
const fs::path kSource = HELLOBENCH_SOURCE_DIR;

std::string read(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The one smoke run every check below reads.
std::string skip_reason_;
fs::path out_root_;
std::vector<fs::path> run_dirs_;
int exit_code_ = -1;
std::string terminal_;
json results_;

void run_smoke_profile() {
  for (const char* server : {"cpp-server", "go-server", "rust-server"}) {
    if (!fs::exists(kBin / server)) {
      skip_reason_ = std::string(server) + " is not built in " + kBin.string() +
                     " (build it with `make servers`)";
      return;
    }
  }
  if (!find_program("wrk")) {
    skip_reason_ = "wrk is not installed (apt-get install wrk)";
    return;
  }
  out_root_ = fs::temp_directory_path() / ("hb-e2e-" + std::to_string(::getpid()));
  fs::remove_all(out_root_);
  std::FILE* out = std::tmpfile();
  exit_code_ =
      run_cli({"run", "--profile", "smoke", "--config", (kSource / "hellobench.toml").string(),
               "--bin-dir", kBin.string(), "--out", out_root_.string()},
              out, stderr);
  std::fflush(out);
  std::rewind(out);
  char buffer[4096];
  std::size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, out)) > 0) terminal_.append(buffer, n);
  std::fclose(out);
  for (const auto& entry : fs::directory_iterator(out_root_)) run_dirs_.push_back(entry.path());
  if (run_dirs_.size() == 1) results_ = json::parse(read(run_dirs_[0] / "results.json"));
}

std::vector<const json*> trials_of(const std::string& scenario) {
  std::vector<const json*> out;
  for (const json& t : results_["trials"]) {
    if (t.at("scenario") == scenario) out.push_back(&t);
  }
  return out;
}

class SmokeRun : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { run_smoke_profile(); }
  static void TearDownTestSuite() {
    if (!out_root_.empty()) fs::remove_all(out_root_);
  }
  void SetUp() override {
    if (!skip_reason_.empty()) GTEST_SKIP() << skip_reason_;
    ASSERT_EQ(run_dirs_.size(), 1u) << "expected exactly one run folder under " << out_root_;
  }
};

void SmokeRun_ExitsZeroAndPrintsTheSummaryTable() {
  // Exit 1 only for invalid fixed-rate trials (a rate not held on a busy machine), never for
  // anything else; and then the results list them. The closed-loop and sweep trials must all be
  // valid (SmokeRun_ClosedLoopTrialsHaveEveryFigure, SmokeRun_LiveDataShowsInEveryServersMemory).
  bool any_invalid = false;
  for (const json& t : results_["trials"]) any_invalid = any_invalid || !t["valid"].get<bool>();
  if (any_invalid) {
    EXPECT_EQ(exit_code_, 1);
    ASSERT_EQ(results_["failures"].size(), 1u) << results_["failures"].dump();
    EXPECT_THAT(results_["failures"][0].get<std::string>(), HasSubstr("invalid trials"));
  } else {
    EXPECT_EQ(exit_code_, 0) << results_["failures"].dump();
  }
  EXPECT_THAT(terminal_, HasSubstr("hello /: loadgen closed loop, 64 connections"));
  EXPECT_THAT(terminal_, HasSubstr("hello-wrk /: wrk closed loop, 64 connections"));
  EXPECT_THAT(terminal_, HasSubstr("sweep smoke-live-data (users-2k over live_mb)"));
  EXPECT_THAT(terminal_, HasSubstr("results: " + (run_dirs_[0] / "results.json").string()));
}

void SmokeRun_WritesResultsAndSummaryIntoANewTimestampedFolder() {
  EXPECT_THAT(run_dirs_[0].filename().string(), ::testing::MatchesRegex("20[0-9-]+T[0-9-]+Z"));
  EXPECT_EQ(results_["schema"], "hellobench/1");
  EXPECT_TRUE(results_["complete"].get<bool>());
  for (const char* field :
       {"environment", "builds", "verify", "trials", "summary", "claims", "rules_bent"}) {
    EXPECT_TRUE(results_.contains(field)) << field;
  }
  EXPECT_THAT(read(run_dirs_[0] / "summary.md"), HasSubstr("# hellobench run: smoke profile"));
}

void SmokeRun_EnvironmentRecordsMachineToolchainsAndCpuSets() {
  const json& env = results_["environment"];
  EXPECT_FALSE(env.at("cpu_model").get<std::string>().empty());
  EXPECT_GE(env.at("cores").get<int>(), 1);
  EXPECT_THAT(env.at("kernel").get<std::string>(), HasSubstr("Linux"));
  for (const char* tool : {"g++", "go", "rustc", "wrk", "boost"}) {
    ASSERT_TRUE(env.at("toolchains")[tool].is_string()) << tool;
  }
  EXPECT_THAT(env.at("toolchains").at("go").get<std::string>(), HasSubstr("go version"));
  EXPECT_EQ(env.at("profile"), "smoke");
  const auto server = env.at("cpu_sets").at("server").get<std::vector<int>>();
  const auto generator = env.at("cpu_sets").at("generator").get<std::vector<int>>();
  ASSERT_FALSE(server.empty());
  ASSERT_FALSE(generator.empty());
  if (available_cpus().size() >= 2) {
    for (int cpu : server) EXPECT_EQ(std::count(generator.begin(), generator.end(), cpu), 0) << cpu;
  }
  EXPECT_EQ(env.at("server_threads").get<std::size_t>(), server.size());
}

void SmokeRun_SmokeTimesNoBuilds() { EXPECT_TRUE(results_["builds"].empty()); }

void SmokeRun_EveryServerPassedVerification() {
  for (const char* name : {"cpp", "go", "rust"}) {
    const json& v = results_["verify"]["servers"][name];
    EXPECT_TRUE(v.at("passed").get<bool>()) << name << ": " << v.dump();
    EXPECT_FALSE(v.at("checks").empty()) << name;
  }
}

void SmokeRun_ServersCarryBinarySizesAndTuning() {
  ASSERT_EQ(results_["servers"].size(), 3u);
  for (const json& s : results_["servers"]) {
    EXPECT_GT(s.at("binary").at("bytes").get<double>(), 0) << s.at("name");
    EXPECT_LE(s.at("binary").at("stripped_bytes").get<double>(),
              s.at("binary").at("bytes").get<double>());
    EXPECT_FALSE(s.at("tuning").get<std::string>().empty());
  }
}

void SmokeRun_ClosedLoopTrialsHaveEveryFigure() {
  for (const char* scenario : {"hello", "hello-wrk"}) {
    const auto trials = trials_of(scenario);
    ASSERT_EQ(trials.size(), 3u) << scenario;  // one per server, n = 1
    std::set<std::string> servers;
    for (const json* t : trials) {
      const json& row = *t;
      const std::string where = std::string(scenario) + "/" + row.at("server").get<std::string>();
      servers.insert(row.at("server").get<std::string>());
      EXPECT_TRUE(row.at("valid").get<bool>()) << where << ": " << row.at("invalid_reason");
      // hello: loadgen closed loop; hello-wrk: the same load from real wrk.
      EXPECT_EQ(row.at("generator"), std::string(scenario) == "hello" ? "loadgen" : "wrk");
      EXPECT_EQ(row.at("mode"), "closed");
      EXPECT_EQ(row.at("connections"), 64);
      EXPECT_TRUE(row.at("offered_rate").is_null());
      EXPECT_EQ(row.at("repetition"), 1);
      EXPECT_GT(row.at("rps").get<double>(), 0) << where;
      const json& l = row.at("latency_us");
      EXPECT_GT(l.at("p50").get<double>(), 0) << where;
      EXPECT_LE(l.at("p50").get<double>(), l.at("p90").get<double>()) << where;
      EXPECT_LE(l.at("p90").get<double>(), l.at("p95").get<double>()) << where;
      EXPECT_LE(l.at("p95").get<double>(), l.at("p99").get<double>()) << where;
      EXPECT_LE(l.at("p99").get<double>(), l.at("p999").get<double>()) << where;
      EXPECT_LE(l.at("p999").get<double>(), l.at("max").get<double>()) << where;
      EXPECT_EQ(row.at("errors_total"), 0) << where;
      // CPU from /proc ticks (10 ms): /io may use less than one tick, the others cannot.
      EXPECT_GE(row.at("cpu_seconds").get<double>(), 0) << where;
      if (std::string(scenario) != "io") {
        EXPECT_GT(row.at("cpu_seconds").get<double>(), 0) << where;
      }
      EXPECT_TRUE(std::isfinite(row.at("cpu_us_per_request").get<double>())) << where;
      EXPECT_THAT(row.at("cpu_source").get<std::string>(), AnyOf("task-clock", "proc-stat"));
      EXPECT_GT(row.at("rss_idle_kib").get<double>(), 0) << where;
      EXPECT_GT(row.at("rss_mean_kib").get<double>(), 0) << where;
      EXPECT_GE(row.at("rss_peak_kib").get<double>(), row.at("rss_mean_kib").get<double>())
          << where;
      EXPECT_GE(row.at("memory_samples").get<int>(), 10) << where;  // >= 10 Hz over 2 s
      EXPECT_GE(row.at("threads").get<int>(), 1) << where;
      EXPECT_THAT(row.at("bound").get<std::string>(), AnyOf("server", "loadgen")) << where;
      EXPECT_GE(row.at("server_cpu_share").get<double>(), 0) << where;
      EXPECT_GT(row.at("loadgen_cpu_share").get<double>(), 0) << where;
      EXPECT_GT(row.at("startup_ms").get<double>(), 0) << where;
      EXPECT_LT(row.at("startup_ms").get<double>(), 10000) << where;
      // The derived figures are what their parts say they are.
      const double requests = row.at("requests").get<double>();
      EXPECT_NEAR(row.at("cpu_us_per_request").get<double>(),
                  row.at("cpu_seconds").get<double>() * 1e6 / requests,
                  1e-6 * row.at("cpu_us_per_request").get<double>() + 1e-9)
          << where;
      EXPECT_NEAR(row.at("rps").get<double>(), requests / row.at("duration_s").get<double>(),
                  1e-6 * row.at("rps").get<double>())
          << where;
      EXPECT_EQ(row.at("server_exit_status"), 0) << where;
      EXPECT_NEAR(row.at("window_s").get<double>(), 2.0, 1.0) << where;
      EXPECT_EQ(row.at("bound_reason").get<std::string>().empty(), false) << where;
      EXPECT_THAT(read(run_dirs_[0] / row.at("log_dir").get<std::string>() / "server.stdout"),
                  HasSubstr("listening on"))
          << where;
    }
    EXPECT_EQ(servers, (std::set<std::string>{"cpp", "go", "rust"})) << scenario;
  }
}

void SmokeRun_DownstreamWaitsShowInLatencyAndNotInOverhead() {
  // io-wait draws each wait from 80-150 ms (the same seeded sequence for every server): the
  // median latency is at least the median wait, 115 ms, less the draw's noise (2 ms over
  // thousands of draws), and the stack's overhead is what remains, far below the wait.
  const auto trials = trials_of("io-wait");
  ASSERT_EQ(trials.size(), 3u);
  int valid = 0;
  for (const json* t : trials) {
    const std::string where = "io-wait/" + t->at("server").get<std::string>();
    if (!t->at("valid").get<bool>()) continue;
    ++valid;
    EXPECT_GE(t->at("latency_us").at("p50").get<double>(), 113000) << where;
    EXPECT_LE(t->at("latency_us").at("p50").get<double>(), 130000) << where;
    ASSERT_TRUE(t->contains("overhead_us")) << where;
    EXPECT_LT(t->at("overhead_us").at("p50").get<double>(), 10000) << where;
    EXPECT_GE(t->at("overhead_us").at("p50").get<double>(), 0) << where;
    EXPECT_NEAR(t->at("rps").get<double>(), 4000, 200) << where;
  }
  EXPECT_GE(valid, 2) << "at most one io-wait trial may miss its rate on a busy machine";
}

void SmokeRun_LiveDataShowsInEveryServersMemory() {
  // 25 MB of live records (25 * 1024 records of about 1 KiB, each owning its strings) against
  // 1 MB: every server's idle RSS grows by at least 24 MiB, and by at most three times that
  // (the allocator's and the runtime's overhead per record, measured at 1.3-1.45x).
  ASSERT_EQ(results_["sweeps"].size(), 1u);
  const json& sweep = results_["sweeps"][0];
  EXPECT_EQ(sweep.at("name"), "smoke-live-data");
  ASSERT_EQ(sweep.at("points").size(), 2u);
  for (const char* server : {"cpp", "go", "rust"}) {
    const json& small = sweep["points"][0]["servers"][server];
    const json& large = sweep["points"][1]["servers"][server];
    ASSERT_EQ(small.value("n", 0), 1) << server << sweep.dump();
    ASSERT_EQ(large.value("n", 0), 1) << server;
    const double growth_mib =
        (large.at("rss_idle_kib").get<double>() - small.at("rss_idle_kib").get<double>()) / 1024;
    EXPECT_GE(growth_mib, 24) << server;
    EXPECT_LE(growth_mib, 75) << server;
  }
  int sweep_rows = 0;
  for (const json& t : results_["trials"]) {
    if (t.value("sweep", "") != "smoke-live-data") continue;
    ++sweep_rows;
    EXPECT_TRUE(t.at("valid").get<bool>()) << t.at("server") << " " << t.at("invalid_reason");
    EXPECT_EQ(t.at("live_mb").get<double>(), t.at("point") == "1 MB" ? 1 : 25);
  }
  EXPECT_EQ(sweep_rows, 6);
}

void SmokeRun_TrialsAreInterleavedServerByServer() {
  std::vector<std::string> order;
  for (const json& t : results_["trials"]) order.push_back(t["server"].get<std::string>());
  ASSERT_GE(order.size(), 3u);
  for (std::size_t i = 0; i < order.size(); ++i) EXPECT_EQ(order[i], order[i % 3]) << i;
  EXPECT_EQ(std::vector<std::string>(order.begin(), order.begin() + 3),
            (std::vector<std::string>{"cpp", "go", "rust"}));
}

void SmokeRun_FixedRateScenariosRunWithLoadgenOrAreSkippedWithTheReason() {
  int valid_fixed_rate = 0;
  for (const char* scenario : {"hello-10k", "orders-10k"}) {
    const auto trials = trials_of(scenario);
    if (fs::exists(kBin / "loadgen")) {
      ASSERT_EQ(trials.size(), 3u) << scenario;
      for (const json* t : trials) {
        EXPECT_EQ(t->at("generator"), "loadgen");
        EXPECT_EQ(t->at("mode"), "open");
        EXPECT_EQ(t->at("offered_rate"), 10000);
        // Valid, or invalid because the rate was not held (a busy machine), and nothing else.
        if (!t->at("valid").get<bool>()) {
          EXPECT_THAT(t->at("invalid_reason").get<std::string>(),
                      HasSubstr("the offered rate was not held"));
        } else {
          ++valid_fixed_rate;
          EXPECT_EQ(t->at("errors_total"), 0);
          EXPECT_NEAR(t->at("rps").get<double>(), 10000, 500) << t->at("server");
        }
        EXPECT_GE(t->at("server_cpus_other_share").get<double>(), 0);
        EXPECT_LE(t->at("server_cpus_other_share").get<double>(), 1);
      }
    } else {
      EXPECT_TRUE(trials.empty()) << scenario;
      bool skipped = false;
      for (const json& s : results_["skipped"]) {
        if (s.at("scenario") == scenario) {
          skipped = true;
          EXPECT_THAT(s.at("reason").get<std::string>(), HasSubstr("loadgen not built"));
        }
      }
      EXPECT_TRUE(skipped) << scenario;
    }
  }
  // A busy machine may miss the rate in some of the six trials, not in all: a regression that
  // invalidates every open-loop trial must not pass as a busy machine.
  if (fs::exists(kBin / "loadgen")) {
    EXPECT_GE(valid_fixed_rate, 1) << "every fixed-rate trial missed its offered rate";
  }
}

void SmokeRun_SummaryHasAGroupPerServerAndScenario() {
  int groups = 0;
  for (const json& g : results_["summary"]["groups"]) {
    ++groups;
    // A group whose only trial was invalid has no figures (invalid trials are left out).
    if (g.at("valid_trials") == 0) {
      EXPECT_TRUE(g.at("metrics").empty());
      continue;
    }
    const json& cpu = g.at("metrics").at("cpu_us_per_request");
    EXPECT_EQ(cpu.at("n"), 1) << g.at("scenario") << "/" << g.at("server");
    // n = 1: the interval is the point, and its coverage is 0 (a single value covers nothing).
    EXPECT_EQ(cpu.at("interval")[0], cpu.at("median"));
    EXPECT_EQ(cpu.at("coverage"), 0.0);
  }
  EXPECT_EQ(static_cast<std::size_t>(groups), results_["trials"].size());
  EXPECT_FALSE(results_["summary"]["comparisons"].empty());
}

void SmokeRun_ClaimsAndBentRulesAreRecorded() {
  EXPECT_FALSE(results_["claims_note"].get<std::string>().empty());
  ASSERT_EQ(results_["claims"].size(), results_["claims_config"].size());
  std::set<std::string> ids;
  for (const json& claim : results_["claims"]) {
    const std::string id = claim.at("id").get<std::string>();
    ids.insert(id);
    // Never "error": every claim's computation ran.
    EXPECT_THAT(claim.at("verdict").get<std::string>(),
                AnyOf("holds", "does not hold", "inconclusive"))
        << id << ": " << claim.at("reason");
    EXPECT_FALSE(claim.at("reason").get<std::string>().empty()) << id;
    EXPECT_THAT(claim.at("sentence").get<std::string>(), HasSubstr("machine")) << id;
    EXPECT_FALSE(claim.at("regime").at("description").get<std::string>().empty()) << id;
    EXPECT_FALSE(claim.at("parts").empty()) << id;
  }
  for (const char* id : {"build-dev-loop", "build-ci", "memory", "cpu", "p95", "go-10k",
                         "io-bound", "json", "binary", "startup"}) {
    EXPECT_TRUE(ids.count(id)) << id;
  }
  // Smoke measures no sweep point of the regime, so the regime-bound claims say what to run;
  // the binary claim is exact, whatever the profile.
  for (const json& claim : results_["claims"]) {
    if (claim["id"] == "cpu") {
      EXPECT_EQ(claim["verdict"], "inconclusive");
      EXPECT_THAT(claim["reason"].get<std::string>(), HasSubstr("--profile"));
    }
    if (claim["id"] == "binary") {
      EXPECT_EQ(claim["measured"]["method"], "exact");
      EXPECT_GT(claim["measured"]["value"].get<double>(), 0);
    }
  }
  EXPECT_TRUE(results_["rules_bent"].is_array());
  if (available_cpus().size() == 2) {
    ASSERT_FALSE(results_["rules_bent"].empty());
    EXPECT_EQ(results_["rules_bent"][0]["rule"], 15);
  }
}

void SmokeRun_OrchestratorCpuStaysSmallDuringWindows() {
  // Rule 15: the orchestrator's own CPU over the measured windows is recorded (the issue's
  // budget is 1% of a core; checked loosely here, since a test is no benchmark).
  EXPECT_LT(results_["orchestrator"]["cpu_share_in_windows"].get<double>(), 0.05);
}

// One ctest entry for the whole run (ctest starts every TEST in its own process, so separate
// tests would each repeat the minute-long run); each check above is one behaviour.
TEST_F(SmokeRun, ProducesACompleteResultsFile) {
  {
    SCOPED_TRACE("ExitsZeroAndPrintsTheSummaryTable");
    SmokeRun_ExitsZeroAndPrintsTheSummaryTable();
  }
  {
    SCOPED_TRACE("WritesResultsAndSummaryIntoANewTimestampedFolder");
    SmokeRun_WritesResultsAndSummaryIntoANewTimestampedFolder();
  }
  {
    SCOPED_TRACE("EnvironmentRecordsMachineToolchainsAndCpuSets");
    SmokeRun_EnvironmentRecordsMachineToolchainsAndCpuSets();
  }
  {
    SCOPED_TRACE("SmokeTimesNoBuilds");
    SmokeRun_SmokeTimesNoBuilds();
  }
  {
    SCOPED_TRACE("EveryServerPassedVerification");
    SmokeRun_EveryServerPassedVerification();
  }
  {
    SCOPED_TRACE("ServersCarryBinarySizesAndTuning");
    SmokeRun_ServersCarryBinarySizesAndTuning();
  }
  {
    SCOPED_TRACE("ClosedLoopTrialsHaveEveryFigure");
    SmokeRun_ClosedLoopTrialsHaveEveryFigure();
  }
  {
    SCOPED_TRACE("DownstreamWaitsShowInLatencyAndNotInOverhead");
    SmokeRun_DownstreamWaitsShowInLatencyAndNotInOverhead();
  }
  {
    SCOPED_TRACE("LiveDataShowsInEveryServersMemory");
    SmokeRun_LiveDataShowsInEveryServersMemory();
  }
  {
    SCOPED_TRACE("TrialsAreInterleavedServerByServer");
    SmokeRun_TrialsAreInterleavedServerByServer();
  }
  {
    SCOPED_TRACE("FixedRateScenariosRunWithLoadgenOrAreSkippedWithTheReason");
    SmokeRun_FixedRateScenariosRunWithLoadgenOrAreSkippedWithTheReason();
  }
  {
    SCOPED_TRACE("SummaryHasAGroupPerServerAndScenario");
    SmokeRun_SummaryHasAGroupPerServerAndScenario();
  }
  {
    SCOPED_TRACE("ClaimsAndBentRulesAreRecorded");
    SmokeRun_ClaimsAndBentRulesAreRecorded();
  }
  {
    SCOPED_TRACE("OrchestratorCpuStaysSmallDuringWindows");
    SmokeRun_OrchestratorCpuStaysSmallDuringWindows();
  }
}

}  // namespace
}  // namespace hellobench
