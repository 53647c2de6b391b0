// `hellobench gate`: rules parsed strictly (exit 2 naming the rule, field and line), the
// stored-baseline mode on hand-made runs (a run against itself passes; a doctored one with
// throughput halved and CPU per request doubled fails, naming each failed rule), and the
// same-job judgement on a run holding baseline and candidate side by side.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "cli.hpp"
#include "config/config.hpp"
#include "core/errors.hpp"
#include "gate/judge.hpp"
#include "gate/rules.hpp"
#include "gate/same_job.hpp"

namespace hellobench {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

const fs::path kSource = HELLOBENCH_SOURCE_DIR;

const Config& config() {
  static const Config c = load_config(kSource / "hellobench.toml");
  return c;
}

struct Outcome {
  int code = -1;
  std::string out;
  std::string err;
};

std::string slurp(std::FILE* file) {
  std::fflush(file);
  std::rewind(file);
  std::string text;
  char buffer[4096];
  std::size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, file)) > 0) text.append(buffer, n);
  std::fclose(file);
  return text;
}

Outcome cli(std::vector<std::string> args) {
  args.insert(args.begin() + 1, {"--config", (kSource / "hellobench.toml").string()});
  std::FILE* out = std::tmpfile();
  std::FILE* err = std::tmpfile();
  Outcome o;
  o.code = run_cli(args, out, err);
  o.out = slurp(out);
  o.err = slurp(err);
  return o;
}

class TempDir {
 public:
  TempDir()
      : path_(fs::temp_directory_path() /
              ("hb-gate-test-" + std::to_string(::getpid()) + "-" + std::to_string(++n_))) {
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  fs::path write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ / name) << text;
    return path_ / name;
  }
  const fs::path& path() const { return path_; }

 private:
  static inline int n_ = 0;
  fs::path path_;
};

// A quick-profile-like run: three servers, hello and user (the shipped rules' scenarios),
// six rounds each, figures that
// drift by +-2.5% across rounds. `cpu_factor` and `rps_factor` scale every trial (doctoring).
json hand_made_run(double cpu_factor = 1, double rps_factor = 1) {
  json doc = {{"schema", "hellobench/1"},
              {"started_at", "2026-12-01T10:00:00Z"},
              {"environment",
               {{"git_commit", "c0ffee"}, {"cpu_model", "Test CPU"}, {"kernel", "Linux 6.1"}}},
              {"profile", {{"name", "quick"}}},
              {"servers", json::array()},
              {"trials", json::array()},
              {"builds", json::array()},
              {"verify", json::object()},
              {"summary", json::object()},
              {"claims", json::array()},
              {"rules_bent", json::array()}};
  const std::map<std::string, double> cpu = {{"cpp", 20}, {"go", 35}, {"rust", 18}};
  for (const auto& [server, base_cpu] : cpu) {
    doc["servers"].push_back(
        {{"name", server}, {"binary", {{"bytes", 2000000}, {"stripped_bytes", 1000000}}}});
    for (const char* scenario : {"hello", "user"}) {
      for (int rep = 1; rep <= 6; ++rep) {
        const double drift = 1 + 0.01 * (rep - 3.5);
        doc["trials"].push_back({{"server", server},
                                 {"scenario", scenario},
                                 {"repetition", rep},
                                 {"valid", true},
                                 {"bound", "server"},
                                 {"cpu_us_per_request", base_cpu * drift * cpu_factor},
                                 {"rps", 50000 * drift * rps_factor},
                                 {"latency_us", {{"p50", 300 * drift}, {"p99", 900 * drift}}},
                                 {"rss_mean_kib", 6000 * drift}});
      }
    }
  }
  return doc;
}

TEST(GateRules, TheShippedRulesParse) {
  const GateRules rules = load_gate_rules(kSource / "gate.toml", config());
  ASSERT_FALSE(rules.rules.empty());
  EXPECT_GE(rules.measure.repetitions, 6);  // a paired interval of >= 96.9%
  bool hard_cpu = false, soft_rps = false;
  for (const GateRule& r : rules.rules) {
    if (r.metric->name == std::string("cpu_us_per_request")) hard_cpu = r.hard;
    if (r.metric->name == std::string("rps")) soft_rps = !r.hard;
  }
  EXPECT_TRUE(hard_cpu);
  EXPECT_TRUE(soft_rps);
}

TEST(GateRules, StoredMarginsDefaultToTheFactorTimesTheSameJobMargin) {
  const GateRules rules = parse_gate_rules(R"([stored]
margin_factor = 3
[[rule]]
name = "cpu"
metric = "cpu_us_per_request"
scenario = "hello-10k"
allowed_pct = 10
severity = "hard"
)",
                                           "rules.toml", config());
  EXPECT_DOUBLE_EQ(rules.rules.at(0).stored_allowed_pct, 30);
}

void expect_config_error(const std::string& text, const std::string& where,
                         const std::string& what) {
  try {
    parse_gate_rules(text, "rules.toml", config());
    ADD_FAILURE() << "no error for:\n" << text;
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr(where));
    EXPECT_THAT(e.what(), HasSubstr(what));
  }
}

TEST(GateRules, AnUnknownMetricNamesTheRuleFieldAndLine) {
  expect_config_error(R"([[rule]]
name = "cpu"
metric = "cpu_per_req"
scenario = "hello-10k"
allowed_pct = 10
severity = "hard"
)",
                      "rules.toml:3:", "rule 'cpu'.metric: 'cpu_per_req' is not a metric");
}

TEST(GateRules, AnUnknownFieldIsAnError) {
  expect_config_error(R"([[rule]]
name = "cpu"
metric = "cpu_us_per_request"
scenario = "hello-10k"
allowed_pct = 10
severty = "hard"
)",
                      "rules.toml:6:", "rule 'cpu': unknown field 'severty'");
}

TEST(GateRules, ABadSeverityAnUnknownServerOrScenarioNameTheField) {
  const std::string head = "[[rule]]\nname = \"r\"\nmetric = \"rps\"\nallowed_pct = 10\n";
  expect_config_error(head + "scenario = \"hello\"\nseverity = \"fatal\"\n",
                      "rules.toml:6:", "rule 'r'.severity: 'fatal' is not 'hard' or 'soft'");
  expect_config_error(head + "scenario = \"helo\"\nseverity = \"soft\"\n",
                      "rules.toml:5:", "rule 'r'.scenario: unknown scenario 'helo'");
  expect_config_error(head + "scenario = \"hello\"\nseverity = \"soft\"\nservers = [\"java\"]\n",
                      "rules.toml:7:", "rule 'r'.servers: unknown server 'java'");
  expect_config_error(head + "severity = \"soft\"\n",
                      "rules.toml:1:", "rule 'r': missing field 'scenario'");
}

TEST(GateRules, BadSyntaxNamesTheLine) {
  expect_config_error("[[rule]]\nname = \"r\"\nallowed_pct = = 3\n",
                      "rules.toml:3:", "TOML syntax");
}

TEST(GateRules, ARuleOnAScenarioTheGateDoesNotMeasureIsAnError) {
  expect_config_error(R"([measure]
scenarios = ["hello-10k"]
[[rule]]
name = "rps"
metric = "rps"
scenario = "hello"
allowed_pct = 10
severity = "soft"
)",
                      "rules.toml:3:", "is not among [measure].scenarios");
}

TEST(GateCli, ABrokenRuleFileExitsTwoWithItsLine) {
  const TempDir dir;
  const fs::path run = dir.write("run.json", hand_made_run().dump());
  const fs::path rules = dir.write("broken.toml", R"(# a comment
[[rule]]
name = "cpu"
metric = "cpu_us_per_request"
scenario = "hello-10k"
allowed_pct = "ten"
severity = "hard"
)");
  const Outcome o = cli(
      {"gate", "--baseline", run.string(), "--candidate", run.string(), "--rules", rules.string()});
  EXPECT_EQ(o.code, kExitUsage);
  EXPECT_THAT(o.err, HasSubstr("broken.toml:6:"));
  EXPECT_THAT(o.err, HasSubstr("rule 'cpu'.allowed_pct: expected a number"));
}

TEST(GateCli, AMissingResultsFileExitsTwo) {
  const Outcome o = cli({"gate", "--baseline", "/nonexistent/a.json", "--candidate",
                         "/nonexistent/b.json", "--rules", (kSource / "gate.toml").string()});
  EXPECT_EQ(o.code, kExitUsage);
  EXPECT_THAT(o.err, HasSubstr("/nonexistent/a.json"));
}

TEST(GateCli, BothModesAtOnceIsBadUsage) {
  const Outcome o = cli({"gate", "--baseline", "a.json", "--baseline-ref", "main"});
  EXPECT_EQ(o.code, kExitUsage);
}

TEST(GateStored, ARunAgainstItselfPasses) {
  const TempDir dir;
  const fs::path run = dir.write("run.json", hand_made_run().dump());
  const Outcome o = cli({"gate", "--baseline", run.string(), "--candidate", run.string(), "--rules",
                         (kSource / "gate.toml").string()});
  EXPECT_EQ(o.code, kExitOk) << o.out << o.err;
  EXPECT_THAT(o.out, HasSubstr("gate: PASS"));
  EXPECT_THAT(o.out, Not(HasSubstr("FAILED")));
}

TEST(GateStored, ADoctoredRunFailsNamingEachFailedRule) {
  const TempDir dir;
  const fs::path baseline = dir.write("baseline.json", hand_made_run().dump());
  // Throughput halved and CPU per request doubled, in every trial.
  const fs::path doctored = dir.write("doctored.json", hand_made_run(2.0, 0.5).dump());
  const Outcome o = cli({"gate", "--baseline", baseline.string(), "--candidate", doctored.string(),
                         "--rules", (kSource / "gate.toml").string()});
  EXPECT_EQ(o.code, kExitFailure) << o.out << o.err;
  for (const char* server : {"cpp", "go", "rust"}) {
    // CPU per request is hard: it fails. Throughput is soft: it warns, and says so.
    EXPECT_THAT(o.out, HasSubstr(fmt::format("FAILED: rule 'cpu-per-request' (hard), {} "
                                             "hello: CPU us/req +100%",
                                             server)));
    EXPECT_THAT(o.out, HasSubstr(fmt::format("warning: rule 'throughput' (soft), {} hello: "
                                             "req/s -50.0%",
                                             server)));
  }
  // cpu-per-request (hello) and cpu-per-request-user, for each of the three servers.
  EXPECT_THAT(o.out, HasSubstr("gate: FAIL: 6 hard rule figure(s) failed, 3 soft regression(s) "
                               "warned"));
}

TEST(GateStored, WithEveryRuleHardBothFailuresFail) {
  const TempDir dir;
  const fs::path rules = dir.write("hard.toml", R"([[rule]]
name = "cpu"
metric = "cpu_us_per_request"
scenario = "user"
allowed_pct = 10
severity = "hard"
[[rule]]
name = "rps"
metric = "rps"
scenario = "hello"
servers = ["go"]
allowed_pct = 10
severity = "hard"
)");
  const fs::path baseline = dir.write("baseline.json", hand_made_run().dump());
  const fs::path doctored = dir.write("doctored.json", hand_made_run(2.0, 0.5).dump());
  const Outcome o = cli({"gate", "--baseline", baseline.string(), "--candidate", doctored.string(),
                         "--rules", rules.string(), "--markdown"});
  EXPECT_EQ(o.code, kExitFailure);
  EXPECT_THAT(o.out, HasSubstr("**failed** `cpu` (hard), go user: CPU us/req +100%"));
  EXPECT_THAT(o.out, HasSubstr("**failed** `rps` (hard), go hello"));
  EXPECT_THAT(o.out, HasSubstr("| rps | go | hello | req/s | hard | -20% | -50.0% |"));
}

TEST(GateStored, DifferentEnvironmentsAreWarnedAbout) {
  const GateRules rules = load_gate_rules(kSource / "gate.toml", config());
  json other = hand_made_run();
  other["environment"]["cpu_model"] = "Other CPU";
  const json verdict = judge_stored(hand_made_run(), other, rules);
  ASSERT_EQ(verdict["warnings"].size(), 1u);
  EXPECT_THAT(verdict["warnings"][0].get<std::string>(), HasSubstr("cpu_model"));
  EXPECT_TRUE(verdict["passed"].get<bool>());
}

// Same-job: one run holding go@main and go, interleaved, six rounds. The candidate costs
// 1.5 times the baseline's CPU in every round, give or take the round's own noise.
json same_job_run(double factor) {
  json doc = {{"schema", "hellobench/1"},
              {"servers",
               {{{"name", "go@main"}, {"binary", {{"bytes", 2e6}, {"stripped_bytes", 1e6}}}},
                {{"name", "go"}, {"binary", {{"bytes", 2e6}, {"stripped_bytes", 1.01e6}}}}}},
              {"trials", json::array()}};
  const double base[] = {30, 31, 29, 30.5, 29.5, 30};
  const double noise[] = {1.00, 1.02, 0.99, 1.01, 0.98, 1.00};  // candidate/baseline per round
  for (int rep = 1; rep <= 6; ++rep) {
    for (const char* server : {"go@main", "go"}) {
      const bool candidate = std::string(server) == "go";
      const double cpu = base[rep - 1] * (candidate ? factor * noise[rep - 1] : 1);
      doc["trials"].push_back({{"server", server},
                               {"scenario", "hello-10k"},
                               {"repetition", rep},
                               {"valid", true},
                               {"bound", "server"},
                               {"cpu_us_per_request", cpu}});
    }
  }
  return doc;
}

GateRules cpu_and_size_rules() {
  return parse_gate_rules(R"([[rule]]
name = "cpu"
metric = "cpu_us_per_request"
scenario = "hello-10k"
allowed_pct = 10
severity = "hard"
[[rule]]
name = "size"
metric = "stripped_bytes"
allowed_pct = 5
severity = "hard"
)",
                          "rules.toml", config());
}

TEST(GateSameJob, TheChangeIsThePairedRatioPerRound) {
  const json verdict = judge_same_job(same_job_run(1.5), cpu_and_size_rules(), {"go"}, "main");
  const json& cpu = verdict["rows"][0];
  EXPECT_TRUE(cpu["paired"].get<bool>());
  // Per-round ratios 1.5 * {1.00, 1.02, 0.99, 1.01, 0.98, 1.00}: median 1.5, range [1.47, 1.53].
  EXPECT_NEAR(cpu["ratio"].get<double>(), 1.5, 1e-9);
  EXPECT_NEAR(cpu["low"].get<double>(), 1.47, 1e-9);
  EXPECT_NEAR(cpu["high"].get<double>(), 1.53, 1e-9);
  EXPECT_DOUBLE_EQ(cpu["coverage"].get<double>(), 0.96875);
  EXPECT_EQ(cpu["verdict"], kGateRegression);
  EXPECT_EQ(cpu["per_round"].size(), 6u);
  const json& size = verdict["rows"][1];
  EXPECT_EQ(size["method"], "exact");
  EXPECT_NEAR(size["ratio"].get<double>(), 1.01, 1e-12);
  EXPECT_EQ(size["verdict"], kGatePass);
  EXPECT_EQ(gate_exit_code(verdict), 1);
}

TEST(GateSameJob, AnUnchangedCandidatePasses) {
  const json verdict = judge_same_job(same_job_run(1.0), cpu_and_size_rules(), {"go"}, "main");
  EXPECT_EQ(verdict["rows"][0]["verdict"], kGatePass);
  EXPECT_EQ(gate_exit_code(verdict), 0);
}

TEST(GateSameJob, ARoundWithAnInvalidTrialIsLeftOutOfThePairs) {
  json doc = same_job_run(1.5);
  doc["trials"][2]["valid"] = false;  // round 2 of go@main: its rate was not held, say
  const json verdict = judge_same_job(doc, cpu_and_size_rules(), {"go"}, "main");
  const json& cpu = verdict["rows"][0];
  EXPECT_EQ(cpu["n"], 5);
  EXPECT_DOUBLE_EQ(cpu["coverage"].get<double>(), 0.9375);  // (X(1), X(5)) of 5 rounds
  // Rounds 1, 3, 4, 5, 6: ratios 1.5 * {1.00, 0.99, 1.01, 0.98, 1.00}, median 1.5.
  EXPECT_NEAR(cpu["ratio"].get<double>(), 1.5, 1e-9);
  EXPECT_NEAR(cpu["low"].get<double>(), 1.47, 1e-9);
  EXPECT_NEAR(cpu["high"].get<double>(), 1.515, 1e-9);
  EXPECT_EQ(cpu["verdict"], kGateRegression);
  EXPECT_THAT(cpu["reason"].get<std::string>(), HasSubstr("5 of 6 rounds paired"));
}

TEST(GateSameJob, AHardRuleThatCouldNotBeMeasuredFails) {
  json doc = same_job_run(1.0);
  for (json& t : doc["trials"]) t["valid"] = false;
  const json verdict = judge_same_job(doc, cpu_and_size_rules(), {"go"}, "main");
  EXPECT_EQ(verdict["rows"][0]["verdict"], kGateNotMeasured);
  EXPECT_EQ(gate_exit_code(verdict), 1);
}

TEST(GateJudge, BeyondTheMarginButReachingNoChangeIsOnlyUnclear) {
  const Metric& cpu = *find_metric("cpu_us_per_request");
  EXPECT_EQ(judge_change(cpu, 10, 1.2, 0.99, 1.4, 0.97, false).verdict, kGateUnclear);
  EXPECT_EQ(judge_change(cpu, 10, 1.2, 1.05, 1.4, 0.75, false).verdict, kGateUnclear);
  EXPECT_EQ(judge_change(cpu, 10, 1.2, 1.05, 1.4, 0.97, false).verdict, kGateRegression);
  EXPECT_EQ(judge_change(cpu, 10, 1.08, 1.05, 1.12, 0.97, false).verdict, kGatePass);
  const Metric& rps = *find_metric("rps");
  EXPECT_EQ(judge_change(rps, 10, 0.8, 0.7, 0.85, 0.97, false).verdict, kGateRegression);
  EXPECT_EQ(judge_change(rps, 10, 1.3, 1.2, 1.4, 0.97, false).verdict, kGatePass);
}

TEST(GateSameJob, RefLabelsAreSafeNames) {
  EXPECT_EQ(ref_label("main"), "main");
  EXPECT_EQ(ref_label("origin/main"), "origin-main");
  EXPECT_EQ(ref_label("HEAD~1"), "HEAD-1");
}

}  // namespace
}  // namespace hellobench
