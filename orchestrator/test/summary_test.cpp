// Summaries from hand-made trials: which trials count, medians and ratios worked out by hand,
// outliers marked, and the terminal table and Markdown report built from them.
#include "analysis/summary.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

#include "output/report.hpp"

namespace hellobench {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

json trial(const std::string& server, const std::string& scenario, int repetition, double rps,
           double cpu_us_per_request, bool valid = true) {
  return {{"server", server},
          {"scenario", scenario},
          {"path", scenario == "hello" ? "/" : "/json"},
          {"generator", "wrk"},
          {"mode", "closed"},
          {"connections", 64},
          {"offered_rate", nullptr},
          {"repetition", repetition},
          {"valid", valid},
          {"rps", rps},
          {"latency_us",
           {{"p50", 1000},
            {"p90", 2000},
            {"p95", 2500},
            {"p99", 4000},
            {"p999", 9000},
            {"max", 12000}}},
          {"cpu_us_per_request", cpu_us_per_request},
          {"rss_peak_kib", 10240},
          {"rss_idle_kib", 4096},
          {"startup_ms", 5.0},
          {"server_cpus_other_share", server == "b" ? 0.5 : 0.0},
          {"bound", "server"}};
}

// hello: a has rps 100, 200, 300 (median 200); b has 400, 500, 600 (median 500) plus one
// invalid trial at 10,000 that must not count. json: five repetitions each, a's CPU per
// request 10, 10, 11, 10, 50 (Tukey fences 8.5..12.5, so repetition 5 is an outlier).
json hand_made_trials() {
  json trials = json::array();
  for (int rep = 1; rep <= 3; ++rep) {
    trials.push_back(trial("a", "hello", rep, 100.0 * rep, 5));
    trials.push_back(trial("b", "hello", rep, 300 + 100.0 * rep, 20));
  }
  trials.push_back(trial("b", "hello", 4, 10000, 1, /*valid=*/false));
  const double cpu[] = {10, 10, 11, 10, 50};
  for (int rep = 1; rep <= 5; ++rep) {
    trials.push_back(trial("a", "json", rep, 1000, cpu[rep - 1]));
    trials.push_back(trial("b", "json", rep, 1000, 20));
  }
  return trials;
}

const json& group(const json& summary, const std::string& scenario, const std::string& server) {
  for (const json& g : summary["groups"]) {
    if (g["scenario"] == scenario && g["server"] == server) return g;
  }
  throw std::runtime_error("no group " + scenario + "/" + server);
}

TEST(Summary, MedianOfValidTrialsOnly) {
  const json summary = summarize_trials(hand_made_trials(), {"a", "b"});
  const json& a = group(summary, "hello", "a")["metrics"]["rps"];
  EXPECT_EQ(a["n"], 3);
  EXPECT_DOUBLE_EQ(a["median"].get<double>(), 200);
  const json& b = group(summary, "hello", "b");
  EXPECT_EQ(b["trials"], 4);
  EXPECT_EQ(b["valid_trials"], 3);
  EXPECT_DOUBLE_EQ(b["metrics"]["rps"]["median"].get<double>(), 500);  // 10,000 left out
  EXPECT_THAT(b["metrics"]["rps"]["samples"], ElementsAre(400, 500, 600));
}

TEST(Summary, IntervalContainsTheMedianWithinTheSampleRange) {
  const json summary = summarize_trials(hand_made_trials(), {"a", "b"});
  const json& rps = group(summary, "hello", "a")["metrics"]["rps"];
  EXPECT_GE(rps["ci95"][0].get<double>(), 100);
  EXPECT_LE(rps["ci95"][0].get<double>(), 200);
  EXPECT_GE(rps["ci95"][1].get<double>(), 200);
  EXPECT_LE(rps["ci95"][1].get<double>(), 300);
}

TEST(Summary, OutliersAreMarkedByRepetitionAndKept) {
  const json summary = summarize_trials(hand_made_trials(), {"a", "b"});
  const json& cpu = group(summary, "json", "a")["metrics"]["cpu_us_per_request"];
  EXPECT_THAT(cpu["outlier_repetitions"], ElementsAre(5));
  EXPECT_EQ(cpu["n"], 5);
  EXPECT_DOUBLE_EQ(cpu["max"].get<double>(), 50);
  EXPECT_DOUBLE_EQ(cpu["median"].get<double>(), 10);
}

TEST(Summary, RatiosAreAgainstTheFirstServerWithARankTest) {
  const json summary = summarize_trials(hand_made_trials(), {"a", "b"});
  const json* rps = nullptr;
  for (const json& c : summary["comparisons"]) {
    if (c["scenario"] == "hello" && c["metric"] == "rps") rps = &c;
  }
  ASSERT_NE(rps, nullptr);
  EXPECT_EQ((*rps)["server"], "b");
  EXPECT_EQ((*rps)["baseline"], "a");
  EXPECT_DOUBLE_EQ((*rps)["ratio"].get<double>(), 2.5);  // 500 / 200
  // Three against three, fully separated: exact two-sided p = 2 / C(6,3) = 0.1.
  EXPECT_NEAR((*rps)["p_value"].get<double>(), 0.1, 1e-9);
  EXPECT_FALSE((*rps)["significant"].get<bool>());
}

TEST(Summary, StartupAndIdleMemoryArePooledPerServer) {
  const json summary = summarize_trials(hand_made_trials(), {"a", "b"});
  // a: 3 hello + 5 json trials; b: 4 hello (the invalid one too: it started) + 5 json.
  EXPECT_EQ(summary["servers"]["a"]["startup_ms"]["n"], 8);
  EXPECT_EQ(summary["servers"]["b"]["startup_ms"]["n"], 9);
  EXPECT_DOUBLE_EQ(summary["servers"]["b"]["rss_idle_kib"]["median"].get<double>(), 4096);
}

TEST(FormatNumber, ThreeSignificantFiguresWithSiSuffixes) {
  EXPECT_EQ(format_number(52100), "52.1k");
  EXPECT_EQ(format_number(999), "999");
  EXPECT_EQ(format_number(12.345), "12.3");
  EXPECT_EQ(format_number(1.5), "1.50");
  EXPECT_EQ(format_number(0.25), "0.250");
  EXPECT_EQ(format_number(2.5e6), "2.50M");
  EXPECT_EQ(format_interval(52100, 51000, 53200), "52.1k [51.0-53.2k]");
  EXPECT_EQ(format_interval(3, 3, 3), "3.00");
}

json hand_made_results() {
  json results = {
      {"schema", "hellobench/1"},
      {"environment",
       {{"profile", "quick"},
        {"cpu_model", "Test CPU"},
        {"cores", 2},
        {"cpu_sets", {{"server", {1}}, {"generator", {0}}, {"orchestrator", {0}}}}}},
      {"servers",
       json::array({{{"name", "a"}, {"binary", {{"bytes", 2097152}, {"stripped_bytes", 1048576}}}},
                    {{"name", "b"}, {"binary", nullptr}}})},
      {"builds", json::array({{{"server", "a"},
                               {"kind", "incremental"},
                               {"build_profile", "debug"},
                               {"ok", true},
                               {"median_s", 1.25},
                               {"samples_s", {1.25}}},
                              {{"server", "b"},
                               {"kind", "clean"},
                               {"build_profile", "debug"},
                               {"ok", false},
                               {"median_s", nullptr},
                               {"error", "boom"}}})},
      {"verify", json::object()},
      {"trials", hand_made_trials()},
      {"skipped", json::array({{{"scenario", "hello-10k"}, {"reason", "loadgen not built"}}})},
      {"claims", json::array()},
      {"rules_bent", json::array()}};
  results["summary"] = summarize_trials(results["trials"], {"a", "b"});
  return results;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

TEST(TerminalSummary, FitsInOneHundredColumns) {
  for (const std::string& line : lines_of(render_terminal_summary(hand_made_results()))) {
    EXPECT_LE(line.size(), 100u) << line;
    EXPECT_THAT(line, Not(::testing::EndsWith(" "))) << line;
  }
}

TEST(TerminalSummary, ShowsMediansIntervalsRatiosAndNotes) {
  const std::string table = render_terminal_summary(hand_made_results());
  EXPECT_THAT(table, HasSubstr("hello /: wrk closed loop, 64 connections"));
  EXPECT_THAT(table, HasSubstr("req/s"));
  // a's row starts with its median rps and interval; b's ratio row with 2.50x.
  bool a_row = false, ratio_row = false;
  for (const std::string& line : lines_of(table)) {
    if (line.rfind("a         200 [", 0) == 0) a_row = true;
    if (line.rfind(" /a       2.50x [", 0) == 0) ratio_row = true;
  }
  EXPECT_TRUE(a_row) << table;
  EXPECT_TRUE(ratio_row) << table;
  EXPECT_THAT(table, HasSubstr("b: 1 of 4 trials invalid (left out)"));
  EXPECT_THAT(table, HasSubstr("hello-10k: skipped (loadgen not built)"));
  // b's windows shared the server CPU with other work half the time: said, once per scenario.
  EXPECT_THAT(table, HasSubstr("note: other load on the server CPU: b 50% of the window (noisy)"));
  EXPECT_THAT(table, HasSubstr("2.00 (1.00)"));  // a's binary MiB, stripped in brackets
  EXPECT_THAT(table, HasSubstr("1.25 s"));       // a's incremental build
  EXPECT_THAT(table, HasSubstr("FAILED"));       // b's clean build
}

TEST(MarkdownReport, HasAScenarioTableAndListsInvalidTrials) {
  const std::string md = render_markdown(hand_made_results());
  EXPECT_THAT(md, HasSubstr("# hellobench run: quick profile"));
  EXPECT_THAT(md, HasSubstr("### hello (`/`, wrk, closed loop, 64 connections)"));
  EXPECT_THAT(md, HasSubstr("| a | 3/3 | 200 [")) << md;
  EXPECT_THAT(md, HasSubstr("| b | 3/4 | 500 ["));
  EXPECT_THAT(
      md, ::testing::ContainsRegex("\\| b \\| 3/4 \\|.*\\| 0 \\| 50.0 \\|\n"));  // 50% other load
  EXPECT_THAT(md, HasSubstr("- b hello r4:"));
  EXPECT_THAT(md, HasSubstr("| hello | rps b/a | 2.500x |"));
  EXPECT_THAT(md, HasSubstr("no significant difference"));
}

}  // namespace
}  // namespace hellobench
