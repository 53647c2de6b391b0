// Summaries from hand-made trials: which trials count, medians with order-statistic intervals
// and their stated coverage, outliers marked, paired ratios against the first server, a rank
// test described only where it can decide, groups per sweep point, and the terminal table.
// Every figure is worked out by hand in the comments.
//
// Order-statistic interval of a median of n values (analysis/stats.hpp): ranks (1, n) for
// n <= 8 with coverage 1 - 2^(1 - n) (n = 3: 0.75, n = 6: 0.96875); n = 9: ranks (2, 8),
// coverage 1 - 2 * (1 + 9) / 512 = 0.9609375.
#include "analysis/summary.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

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
           {{"p50", 1000}, {"p90", 2000}, {"p95", 2500}, {"p99", 4000}, {"p999", 9000},
            {"max", 12000}}},
          {"cpu_us_per_request", cpu_us_per_request},
          {"rss_peak_kib", 10240},
          {"rss_idle_kib", 4096},
          {"startup_ms", 5.0},
          {"server_cpus_other_share", server == "b" ? 0.5 : 0.0},
          {"bound", "server"}};
}

// A trial of the regime sweep (loadgen, open loop, 100 MB of live data).
json sweep_trial(const std::string& server, const std::string& point, int repetition,
                 double cpu_us_per_request, double p99_us) {
  json row = trial(server, "service-wait", repetition, 2000, cpu_us_per_request);
  row["path"] = "/users/{id}";
  row["generator"] = "loadgen";
  row["mode"] = "open";
  row["connections"] = 512;
  row["offered_rate"] = 2000;
  row["live_mb"] = 100.0;
  row["rss_mean_kib"] = 204800;
  row["latency_us"]["p99"] = p99_us;
  row["sweep"] = "regime";
  row["point"] = point;
  return row;
}

// hello: a's rps 100, 200, 300 (median 200); b's 400, 500, 600 (median 500) plus an invalid
// round 4 at 10,000 that must not count. Per-round ratios b/a: 4.0, 2.5, 2.0.
// json: six rounds. a's rps 1000 1010 990 1020 980 1030 and b's exactly twice that, so every
// round's ratio is 2 and every b is above every a. a's CPU per request 10 10 11 10 50 10
// (repetition 5 is an outlier: sorted 10 10 10 10 11 50, Q1 = 10, Q3 = 10.75, upper fence
// 10.75 + 1.5 * 0.75 = 11.875).
// The regime sweep: the headline point rust-20pct-cpu with three rounds, "50% of rust" with one;
// b's round 2 at the headline was load-generator-bound.
json hand_made_trials() {
  json trials = json::array();
  for (int rep = 1; rep <= 3; ++rep) {
    trials.push_back(trial("a", "hello", rep, 100.0 * rep, 5));
    trials.push_back(trial("b", "hello", rep, 300 + 100.0 * rep, 20));
  }
  trials.push_back(trial("b", "hello", 4, 10000, 1, /*valid=*/false));
  const double rps[] = {1000, 1010, 990, 1020, 980, 1030};
  const double cpu[] = {10, 10, 11, 10, 50, 10};
  for (int rep = 1; rep <= 6; ++rep) {
    trials.push_back(trial("a", "json", rep, rps[rep - 1], cpu[rep - 1]));
    trials.push_back(trial("b", "json", rep, 2 * rps[rep - 1], 20));
  }
  for (int rep = 1; rep <= 3; ++rep) {
    trials.push_back(sweep_trial("a", "rust-20pct-cpu", rep, 100, 40000));
    json b = sweep_trial("b", "rust-20pct-cpu", rep, 150 + rep, 50000);
    if (rep == 2) b["bound"] = "loadgen";
    trials.push_back(b);
  }
  trials.push_back(sweep_trial("a", "50% of rust", 1, 90, 30000));
  trials.push_back(sweep_trial("b", "50% of rust", 1, 140, 35000));
  return trials;
}

const json& group(const json& summary, const std::string& scenario, const std::string& server,
                  const std::string& point = "") {
  for (const json& g : summary["groups"]) {
    if (g["scenario"] == scenario && g["server"] == server && g.value("point", "") == point) {
      return g;
    }
  }
  throw std::runtime_error("no group " + scenario + "/" + server + "/" + point);
}

const json& comparison(const json& summary, const std::string& scenario,
                       const std::string& metric, const std::string& point = "") {
  for (const json& c : summary["comparisons"]) {
    if (c["scenario"] == scenario && c["metric"] == metric && c.value("point", "") == point) {
      return c;
    }
  }
  throw std::runtime_error("no comparison " + scenario + "/" + metric);
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

TEST(Summary, IntervalsAreOrderStatisticsWithTheirCoverageStated) {
  const json summary = summarize_trials(hand_made_trials(), {"a", "b"});
  // n = 3: the range [100, 300], which covers the median 75% of the time, and says so.
  const json& hello = group(summary, "hello", "a")["metrics"]["rps"];
  EXPECT_THAT(hello["interval"], ElementsAre(100, 300));
  EXPECT_DOUBLE_EQ(hello["coverage"].get<double>(), 0.75);
  EXPECT_EQ(hello["method"], "order-statistic");
  // n = 6: sorted 980 990 1000 1010 1020 1030, median 1005, ranks (1, 6), 96.875%.
  const json& json_rps = group(summary, "json", "a")["metrics"]["rps"];
  EXPECT_DOUBLE_EQ(json_rps["median"].get<double>(), 1005);
  EXPECT_THAT(json_rps["interval"], ElementsAre(980, 1030));
  EXPECT_DOUBLE_EQ(json_rps["coverage"].get<double>(), 0.96875);
  // n = 1: a single value, and no pretence of an interval.
  const json& single = group(summary, "service-wait", "a", "50% of rust")["metrics"]["cpu_us_per_request"];
  EXPECT_EQ(single["n"], 1);
  EXPECT_EQ(single["method"], "single sample");
  EXPECT_DOUBLE_EQ(single["coverage"].get<double>(), 0);
}

TEST(Summary, OutliersAreMarkedByRepetitionAndKept) {
  const json summary = summarize_trials(hand_made_trials(), {"a", "b"});
  const json& cpu = group(summary, "json", "a")["metrics"]["cpu_us_per_request"];
  EXPECT_THAT(cpu["outlier_repetitions"], ElementsAre(5));
  EXPECT_EQ(cpu["n"], 6);
  EXPECT_DOUBLE_EQ(cpu["max"].get<double>(), 50);
  EXPECT_DOUBLE_EQ(cpu["median"].get<double>(), 10);
}

TEST(Summary, RatiosAreMediansOfPairedPerRoundRatiosAgainstTheFirstServer) {
  const json summary = summarize_trials(hand_made_trials(), {"a", "b"});
  // hello rps b/a per round: 400/100 = 4.0, 500/200 = 2.5, 600/300 = 2.0 -> median 2.5,
  // interval [2.0, 4.0] at 75%.
  const json& rps = comparison(summary, "hello", "rps");
  EXPECT_EQ(rps["server"], "b");
  EXPECT_EQ(rps["baseline"], "a");
  EXPECT_TRUE(rps["paired"].get<bool>());
  EXPECT_EQ(rps["method"], "order-statistic, paired ratio");
  EXPECT_DOUBLE_EQ(rps["ratio"].get<double>(), 2.5);
  EXPECT_THAT(rps["interval"], ElementsAre(2.0, 4.0));
  EXPECT_DOUBLE_EQ(rps["coverage"].get<double>(), 0.75);
  EXPECT_THAT(rps["n"], ElementsAre(3, 3));
}

TEST(Summary, ARankTestThatCannotDecideSaysSoInsteadOfFindingNoDifference) {
  // Three against three: the smallest two-sided p a rank test can give is 2 / C(6, 3) = 0.1.
  const json summary = summarize_trials(hand_made_trials(), {"a", "b"});
  const json& rps = comparison(summary, "hello", "rps");
  EXPECT_EQ(rps["rank_test"], "rank test not run: with 3 and 3 samples its smallest p-value is 0.1");
  EXPECT_FALSE(rps["rank_test_possible"].get<bool>());
  EXPECT_FALSE(rps["significant"].get<bool>());
  EXPECT_THAT(rps["rank_test"].get<std::string>(), Not(HasSubstr("no significant difference")));
}

TEST(Summary, ARankTestThatCanDecideIsReported) {
  // json rps, six against six, every b above every a and no ties: U = 36 (b's rank sum
  // 7 + ... + 12 = 57, minus 6 * 7 / 2), exact two-sided p = 2 / C(12, 6) = 2 / 924 = 0.0022.
  const json summary = summarize_trials(hand_made_trials(), {"a", "b"});
  const json& rps = comparison(summary, "json", "rps");
  EXPECT_EQ(rps["rank_test"], "Mann-Whitney U = 36, p = 0.0022 (exact): significant at 0.05");
  EXPECT_TRUE(rps["rank_test_possible"].get<bool>());
  EXPECT_TRUE(rps["significant"].get<bool>());
  // Every round's ratio is 2: the interval is [2, 2] at 96.875%.
  EXPECT_DOUBLE_EQ(rps["ratio"].get<double>(), 2.0);
  EXPECT_THAT(rps["interval"], ElementsAre(2.0, 2.0));
  EXPECT_DOUBLE_EQ(rps["coverage"].get<double>(), 0.96875);
}

TEST(Summary, SweepPointsAreTheirOwnGroups) {
  const json summary = summarize_trials(hand_made_trials(), {"a", "b"});
  const json& headline = group(summary, "service-wait", "a", "rust-20pct-cpu");
  EXPECT_EQ(headline["sweep"], "regime");
  EXPECT_EQ(headline["trials"], 3);
  EXPECT_EQ(headline["metrics"]["cpu_us_per_request"]["n"], 3);
  const json& half = group(summary, "service-wait", "b", "50% of rust");
  EXPECT_EQ(half["trials"], 1);
  EXPECT_DOUBLE_EQ(half["metrics"]["cpu_us_per_request"]["median"].get<double>(), 140);
  // The comparison at the headline point pairs its three rounds: b/a CPU per request
  // 151/100, 152/100, 153/100 -> median 1.52.
  const json& cpu = comparison(summary, "service-wait", "cpu_us_per_request", "rust-20pct-cpu");
  EXPECT_EQ(cpu["sweep"], "regime");
  EXPECT_NEAR(cpu["ratio"].get<double>(), 1.52, 1e-12);
}

TEST(Summary, LoadgenBoundTrialsAreCountedAndLeftOutOfLatencyOnly) {
  // b's round 2 at the headline point was generator-bound: its p99 is left out (n = 2), its CPU
  // per request kept (n = 3).
  const json summary = summarize_trials(hand_made_trials(), {"a", "b"});
  const json& b = group(summary, "service-wait", "b", "rust-20pct-cpu");
  EXPECT_EQ(b["loadgen_bound_trials"], 1);
  EXPECT_EQ(b["metrics"]["p99_us"]["n"], 2);
  EXPECT_EQ(b["metrics"]["cpu_us_per_request"]["n"], 3);
}

TEST(Summary, StartupAndIdleMemoryArePooledPerServerOverTrialsWithoutLiveData) {
  const json summary = summarize_trials(hand_made_trials(), {"a", "b"});
  // a: 3 hello + 6 json trials; b: 4 hello (the invalid one too: it started) + 6 json. The
  // sweep's trials built 100 MB of live data first, which changes both figures: not pooled.
  EXPECT_EQ(summary["servers"]["a"]["startup_ms"]["n"], 9);
  EXPECT_EQ(summary["servers"]["b"]["startup_ms"]["n"], 10);
  EXPECT_DOUBLE_EQ(summary["servers"]["b"]["rss_idle_kib"]["median"].get<double>(), 4096);
  EXPECT_DOUBLE_EQ(summary["servers"]["a"]["startup_ms"]["coverage"].get<double>(), 0.9609375);
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

// --- the terminal table ----------------------------------------------------------------------------

json hand_made_results() {
  json results = {
      {"schema", "hellobench/1"},
      {"environment",
       {{"profile", "quick"},
        {"cpu_model", "Intel(R) Xeon(R) Platinum 8370C CPU @ 2.80GHz"},
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
      {"sweeps",
       json::array(
           {{{"name", "regime"},
             {"scenario", "service-wait"},
             {"vary", "rate"},
             {"description",
              "the service with waits, up to capacity; the headline is the rate where rust uses "
              "20% of its core"},
             {"capacity",
              {{"a", {{"rate", 4000}, {"failed_rate", 5000}, {"p99_bound_ms", 250}}},
               {"b", {{"rate", 2000}, {"failed_rate", 3000}, {"p99_bound_ms", 250},
                      {"floor_only", true}}}}},
             {"points",
              json::array(
                  {{{"label", "rust-20pct-cpu"},
                    {"headline", true},
                    {"rate", 800},
                    {"servers",
                     {{"a", {{"achieved_rate", 800}, {"cpu_share", 0.2}, {"cpu_us_per_request", 100},
                             {"rss_mean_kib", 204800}, {"p99_us", 40000}, {"n", 3}}},
                      {"b", {{"achieved_rate", 799}, {"cpu_share", 0.3}, {"cpu_us_per_request", 152},
                             {"rss_mean_kib", 204800}, {"p99_us", 50000}, {"n", 3}}}}}},
                   {{"label", "50% of rust"},
                    {"headline", false},
                    {"rate", 2000},
                    {"servers",
                     {{"a", {{"achieved_rate", 2000}, {"cpu_share", 0.45}, {"cpu_us_per_request", 90},
                             {"rss_mean_kib", 204800}, {"p99_us", 30000}, {"n", 1}}},
                      {"b", {{"achieved_rate", 2000}, {"cpu_share", 0.7}, {"cpu_us_per_request", 140},
                             {"rss_mean_kib", 204800}, {"p99_us", 35000}, {"n", 1}}}}}},
                   {{"label", "80% of rust"}, {"skipped", "no capacity measured for 'rust'"}}})}}})},
      {"skipped", json::array({{{"scenario", "hello-10k"}, {"reason", "loadgen not built"}}})},
      {"claims",
       json::array(
           {{{"id", "memory"},
             {"verdict", "holds"},
             {"unit", "ratio"},
             {"side", "at_most"},
             {"threshold", 1.15},
             {"measured",
              {{"measured", true}, {"value", 1.07}, {"interval", {1.02, 1.12}}, {"coverage", 0.96875},
               {"n", 6}, {"method", "order-statistic, paired ratio"}}},
             {"regime",
              {{"label", "100 MB of live records under the service mix with waits, at the rate "
                         "where rust uses 20% of its core"}}},
             {"sentence",
              "On one core of this 2-CPU machine (Test CPU), 100 MB of live records under the "
              "service mix with waits, at the rate where rust uses 20% of its core: go/rust RSS "
              "mean MiB was 1.07x (96.9% interval 1.02 to 1.12, n = 6); the article's at most "
              "1.15x holds there."}},
            {{"id", "go-10k"},
             {"verdict", "inconclusive"},
             {"unit", "req/s"},
             {"side", "at_least"},
             {"threshold", 10000},
             {"measured",
              {{"measured", true}, {"estimator", "held_rate"}, {"value", 9000},
               {"interval", {9000, 12000}}, {"coverage", 0}, {"n", 1},
               {"method", "search bracket: held .. first failed"}}},
             {"regime", {{"label", "the service mix on one core"}}},
             {"sentence", "In the quick profile hellobench did not measure \"go-10k\" in its "
                          "regime; the verdict is inconclusive."}}})},
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

bool has_line_starting(const std::string& text, const std::string& start) {
  for (const std::string& line : lines_of(text)) {
    if (line.rfind(start, 0) == 0) return true;
  }
  return false;
}

TEST(TerminalSummary, FitsInOneHundredColumns) {
  // With a long CPU model, a sweep description, notes about generator-bound trials and claim
  // sentences of several hundred characters: every line is wrapped or laid out within 100.
  for (const std::string& line : lines_of(render_terminal_summary(hand_made_results()))) {
    EXPECT_LE(line.size(), 100u) << line;
    EXPECT_THAT(line, Not(::testing::EndsWith(" "))) << line;
  }
}

TEST(TerminalSummary, StatesTheCoverageOfItsIntervalsByN) {
  // The table shows groups of n = 1 (sweep points), 2 (b's p99 at the headline), 3 and 6.
  const std::string table = render_terminal_summary(hand_made_results());
  EXPECT_THAT(table, HasSubstr("median [order-statistic interval]; ratios vs a: median of "
                               "per-round ratios [interval]"));
  EXPECT_THAT(table, HasSubstr("interval coverage by n: n = 1: a single value, no interval; "
                               "n = 2: 50.0%; n = 3: 75.0%; n = 6: 96.9%"));
}

TEST(TerminalSummary, ShowsMediansIntervalsRatiosAndNotes) {
  const std::string table = render_terminal_summary(hand_made_results());
  EXPECT_THAT(table, HasSubstr("hello /: wrk closed loop, 64 connections"));
  // a's hello row starts with its median rps and interval; b's ratio row with 2.50x [2.00-4.00]
  // and no mark, since three against three cannot reach significance.
  EXPECT_TRUE(has_line_starting(table, "a         200 [100-300]")) << table;
  EXPECT_TRUE(has_line_starting(table, " /a       2.50x [2.00-4.00] ")) << table;
  // json: every round's ratio is 2, and six against six could and did decide: marked '*'.
  EXPECT_TRUE(has_line_starting(table, " /a       2.00x [2.00-2.00]* ")) << table;
  EXPECT_THAT(table, HasSubstr("b: 1 of 4 trials invalid (left out)"));
  EXPECT_THAT(table, HasSubstr("hello-10k: skipped (loadgen not built)"));
  // b's windows shared the server CPU with other work half the time: said, once per scenario.
  EXPECT_THAT(table, HasSubstr("note: other load on the server CPU: b 50% of the window (noisy)"));
  EXPECT_THAT(table, HasSubstr("2.00 (1.00)"));  // a's binary MiB, stripped in brackets
  EXPECT_THAT(table, HasSubstr("1.25 s"));       // a's incremental build
  EXPECT_THAT(table, HasSubstr("FAILED"));       // b's clean build
}

TEST(TerminalSummary, ShowsEachSweepWithItsCapacityItsPointsAndItsHeadlineGroup) {
  const std::string table = render_terminal_summary(hand_made_results());
  EXPECT_THAT(table, HasSubstr("\nsweep regime (service-wait over rate): the service with waits"));
  EXPECT_THAT(table, HasSubstr("  capacity (req/s with p99 <= 250 ms): a 4000, b 2000 (floor: "
                               "generator-bound)\n"));
  // One row per point and server: rate, CPU share, CPU per request, RSS MiB, p99 ms.
  EXPECT_THAT(table, HasSubstr("  rust-20pct-cpu    a       800      20.0%   100         200       40.0\n"));
  EXPECT_THAT(table, HasSubstr("                    b       799      30.0%   152         200       50.0\n"));
  EXPECT_THAT(table, HasSubstr("  80% of rust       skipped: no capacity measured for 'rust'\n"));
  // The headline point gets a full group table (the others are one row per server).
  EXPECT_THAT(table, HasSubstr("regime @ rust-20pct-cpu /users/{id}: loadgen open loop at 2000 "
                               "req/s, 512 connections"));
  EXPECT_THAT(table, Not(HasSubstr("regime @ 50% of rust")));
  // b's generator-bound round at the headline point is noted.
  EXPECT_THAT(table, HasSubstr("note: b: the generator side was the bottleneck in 1 of 3 trials"));
}

TEST(TerminalSummary, EndsWithTheClaimsTableAndTheirSentences) {
  const std::string table = render_terminal_summary(hand_made_results());
  EXPECT_TRUE(has_line_starting(table, "claim          verdict        measured [interval] "
                                       "(coverage, n) article     regime"))
      << table;
  EXPECT_TRUE(has_line_starting(table, "memory         holds          1.07x [1.02-1.12] (97%, 6)"
                                       "        <= 1.15     100 MB of live records"))
      << table;
  // A capacity is a search bracket (held 9000/s, failed at 12,000/s), not an interval with a
  // coverage: no "(0%, 1)".
  EXPECT_TRUE(has_line_starting(table, "go-10k         inconclusive   held 9000, failed 12.0k       "
                                       "    >= 10.0k    the service mix on one c"))
      << table;
  // The sentences, each starting on its own line with the claim's id, wrapped at the last space
  // within 100 columns: the first line is 98 characters (" with" would make it 103), the
  // second, indented by four, 98 as well (" interval" would make it 107).
  EXPECT_THAT(table, HasSubstr("\nmemory: On one core of this 2-CPU machine (Test CPU), 100 MB of "
                               "live records under the service mix\n"
                               "    with waits, at the rate where rust uses 20% of its core: "
                               "go/rust RSS mean MiB was 1.07x (96.9%\n"
                               "    interval 1.02 to 1.12, n = 6); the article's at most 1.15x "
                               "holds there.\n"));
  EXPECT_TRUE(has_line_starting(table, "go-10k: In the quick profile hellobench did not measure"))
      << table;
}

}  // namespace
}  // namespace hellobench
