// Figures::samples: which rows of a results document count for a metric, server and selection
// (trials by scenario, sweep, point and row fields; capacities with their search bracket; build
// samples; exact binary sizes; microbenchmark rows), how two servers' rounds pair, and what a
// reader is told when a figure is missing. Every document is built here by hand.
#include "analysis/figures.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace hellobench {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A valid, server-bound trial row; `fields` are merged on top.
json trial(const std::string& server, const std::string& scenario, int repetition,
           const json& fields) {
  json row = {{"server", server},   {"scenario", scenario}, {"repetition", repetition},
              {"valid", true},      {"bound", "server"},    {"mode", "open"}};
  row.update(fields);
  return row;
}

json document(const json& trials) {
  return {{"profile", {{"name", "quick"}}},
          {"servers", json::array({{{"name", "go"}}, {{"name", "rust"}}})},
          {"trials", trials},
          {"sweeps", json::array()},
          {"builds", json::array()}};
}

Selection select(const char* metric, const std::string& scenario = "") {
  Selection s;
  s.metric = find_metric(metric);
  EXPECT_NE(s.metric, nullptr) << metric;
  s.scenario = scenario;
  return s;
}

// --- trials ------------------------------------------------------------------------------------

TEST(FiguresSamples, TrialsOfOneServerAndScenarioWithTheirRepetitions) {
  const json doc = document(json::array({
      trial("go", "hello-10k", 1, {{"cpu_us_per_request", 30}}),
      trial("rust", "hello-10k", 1, {{"cpu_us_per_request", 20}}),
      trial("go", "hello-10k", 2, {{"cpu_us_per_request", 31}}),
      trial("go", "orders-10k", 1, {{"cpu_us_per_request", 90}}),  // another scenario
      trial("go", "hello-10k", 3, {{"cpu_us_per_request", 29}}),
  }));
  const Samples s = Figures(doc).samples(select("cpu_us_per_request", "hello-10k"), "go");
  EXPECT_THAT(s.values, ElementsAre(30, 31, 29));
  EXPECT_THAT(s.rounds, ElementsAre(1, 2, 3));
  EXPECT_EQ(s.invalid, 0);
  EXPECT_FALSE(s.exact);
}

TEST(FiguresSamples, InvalidTrialsAreCountedNeverUsed) {
  // Rule 7: an invalid trial (errors, unsent requests) is kept in the file, but its figures
  // describe a failed window. Its 900 must not appear.
  const json doc = document(json::array({
      trial("go", "hello-10k", 1, {{"rss_mean_kib", 100}}),
      trial("go", "hello-10k", 2, {{"rss_mean_kib", 900}, {"valid", false}}),
      trial("go", "hello-10k", 3, {{"rss_mean_kib", 102}}),
  }));
  const Samples s = Figures(doc).samples(select("rss_mean_kib", "hello-10k"), "go");
  // Scaled to MiB: 100 / 1024 and 102 / 1024.
  EXPECT_THAT(s.values, ElementsAre(100.0 / 1024, 102.0 / 1024));
  EXPECT_THAT(s.rounds, ElementsAre(1, 3));
  EXPECT_EQ(s.invalid, 1);
}

TEST(FiguresSamples, ValuesAreScaledToTheMetricsUnit) {
  // p95 is stored in microseconds and reported in milliseconds.
  const json doc = document(json::array({trial("go", "hello-10k", 1, {{"latency_us", {{"p95", 4500}}}})}));
  const Samples s = Figures(doc).samples(select("p95_us", "hello-10k"), "go");
  ASSERT_EQ(s.values.size(), 1u);
  EXPECT_NEAR(s.values[0], 4.5, 1e-12);
}

TEST(FiguresSamples, ADerivedMetricIsComputedFromTheWholeRow) {
  // overhead_share = mean overhead / mean latency = 1150 / 115000 = 0.01; a row without
  // overhead_us (no --wait) has no value at all rather than a zero.
  const json doc = document(json::array({
      trial("go", "io-wait", 1,
            {{"latency_us", {{"mean", 115000}}}, {"overhead_us", {{"mean", 1150}}}}),
      trial("go", "io-wait", 2, {{"latency_us", {{"mean", 115000}}}}),
  }));
  const Samples s = Figures(doc).samples(select("overhead_share", "io-wait"), "go");
  EXPECT_THAT(s.values, ElementsAre(0.01));
  EXPECT_THAT(s.rounds, ElementsAre(1));
}

TEST(FiguresSamples, ASelectionWithoutASweepTakesOnlyTrialsOutsideSweeps) {
  // The regime sweep runs the same scenario at other rates: its rows are not the scenario's.
  const json doc = document(json::array({
      trial("go", "service-wait", 1, {{"cpu_us_per_request", 50}}),
      trial("go", "service-wait", 1,
            {{"cpu_us_per_request", 70}, {"sweep", "regime"}, {"point", "50% of rust"}}),
  }));
  const Samples s = Figures(doc).samples(select("cpu_us_per_request", "service-wait"), "go");
  EXPECT_THAT(s.values, ElementsAre(50));
}

TEST(FiguresSamples, ASweepPointSelectsOnlyThatPointsTrials) {
  const json doc = document(json::array({
      trial("go", "service-wait", 1,
            {{"cpu_us_per_request", 70}, {"sweep", "regime"}, {"point", "50% of rust"}}),
      trial("go", "service-wait", 1,
            {{"cpu_us_per_request", 60}, {"sweep", "regime"}, {"point", "rust-20pct-cpu"}}),
      trial("go", "service-wait", 2,
            {{"cpu_us_per_request", 61}, {"sweep", "regime"}, {"point", "rust-20pct-cpu"}}),
      trial("go", "users-2k", 1,
            {{"cpu_us_per_request", 10}, {"sweep", "live-data"}, {"point", "rust-20pct-cpu"}}),
  }));
  Selection sel = select("cpu_us_per_request");
  sel.sweep = "regime";
  sel.point = "rust-20pct-cpu";
  const Samples s = Figures(doc).samples(sel, "go");
  EXPECT_THAT(s.values, ElementsAre(60, 61));
  EXPECT_THAT(s.rounds, ElementsAre(1, 2));
}

TEST(FiguresSamples, WhereFiltersCompareRowFieldsAsText) {
  // live_mb is a number in the row (100.0) and a string in the filter ("100").
  const json doc = document(json::array({
      trial("go", "users-2k", 1, {{"rss_mean_kib", 1024}, {"live_mb", 1.0}}),
      trial("go", "users-2k", 1, {{"rss_mean_kib", 204800}, {"live_mb", 100.0}}),
  }));
  Selection sel = select("rss_mean_kib", "users-2k");
  sel.where = {{"live_mb", "100"}};
  EXPECT_THAT(Figures(doc).samples(sel, "go").values, ElementsAre(200));  // 204800 KiB = 200 MiB
}

TEST(FiguresSamples, LoadgenBoundTrialsAreLeftOutOfThroughputAndLatencyOnly) {
  // Round 2 was load-generator-bound: its p99 and rps describe the generator, but the server's
  // CPU per request and memory in that window are still the server's.
  const json doc = document(json::array({
      trial("go", "hello-10k", 1,
            {{"latency_us", {{"p99", 2000}}}, {"rps", 9990}, {"cpu_us_per_request", 30}}),
      trial("go", "hello-10k", 2,
            {{"latency_us", {{"p99", 80000}}}, {"rps", 7000}, {"cpu_us_per_request", 31},
             {"bound", "loadgen"}}),
  }));
  const Figures figures(doc);
  const Samples p99 = figures.samples(select("p99_us", "hello-10k"), "go");
  EXPECT_THAT(p99.values, ElementsAre(2.0));
  EXPECT_EQ(p99.left_out_loadgen_bound, 1);
  const Samples rps = figures.samples(select("rps", "hello-10k"), "go");
  EXPECT_THAT(rps.values, ElementsAre(9990));
  EXPECT_EQ(rps.left_out_loadgen_bound, 1);
  const Samples cpu = figures.samples(select("cpu_us_per_request", "hello-10k"), "go");
  EXPECT_THAT(cpu.values, ElementsAre(30, 31));
  EXPECT_EQ(cpu.left_out_loadgen_bound, 0);
}

TEST(FiguresSamples, MinusScenarioIsTheRoundByRoundMarginal) {
  // orders-10k minus hello-10k for the same round: 58 - 40 = 18 and 57 - 42 = 15. Round 3 has
  // no hello trial, so it has no marginal. The rows are out of order on purpose.
  const json doc = document(json::array({
      trial("go", "hello-10k", 2, {{"cpu_us_per_request", 42}}),
      trial("go", "orders-10k", 1, {{"cpu_us_per_request", 58}}),
      trial("go", "orders-10k", 3, {{"cpu_us_per_request", 60}}),
      trial("go", "hello-10k", 1, {{"cpu_us_per_request", 40}}),
      trial("go", "orders-10k", 2, {{"cpu_us_per_request", 57}}),
  }));
  Selection sel = select("cpu_us_per_request", "orders-10k");
  sel.minus_scenario = "hello-10k";
  const Samples s = Figures(doc).samples(sel, "go");
  EXPECT_THAT(s.values, ElementsAre(18, 15));
  EXPECT_THAT(s.rounds, ElementsAre(1, 2));
}

// --- capacity ----------------------------------------------------------------------------------

json with_capacity(const json& go_capacity) {
  json doc = document(json::array());
  doc["sweeps"] = json::array({{{"name", "service-capacity"},
                                {"scenario", "service"},
                                {"capacity", {{"go", go_capacity}}},
                                {"points", json::array()}}});
  return doc;
}

Selection capacity_of(const std::string& sweep) {
  Selection s = select("capacity_rps");
  s.sweep = sweep;
  return s;
}

TEST(FiguresSamples, CapacityIsTheRateHeldWithTheFirstFailedRateAsBracket) {
  const json doc = with_capacity({{"rate", 12000}, {"failed_rate", 15000}, {"probes", json::array()}});
  const Samples s = Figures(doc).samples(capacity_of("service-capacity"), "go");
  EXPECT_THAT(s.values, ElementsAre(12000));
  ASSERT_TRUE(s.bracket_high.has_value());
  EXPECT_EQ(*s.bracket_high, 15000);
}

TEST(FiguresSamples, ACapacitySearchThatNeverFailedHasNoBracket) {
  // The search ran out of probes while every rate held: no upper end is known.
  const json doc = with_capacity({{"rate", 40000}, {"failed_rate", nullptr}});
  const Samples s = Figures(doc).samples(capacity_of("service-capacity"), "go");
  EXPECT_THAT(s.values, ElementsAre(40000));
  EXPECT_FALSE(s.bracket_high.has_value());
}

TEST(FiguresSamples, ACapacitySearchThatFailedAtItsFirstProbeHeldNothingBelowThatRate) {
  // go failed at the first probe, 2500/s: its capacity is somewhere in [0, 2500). That is a
  // measurement (go held less than 2500/s), not a missing figure.
  const json doc = with_capacity({{"rate", nullptr}, {"failed_rate", 2500}});
  const Samples s = Figures(doc).samples(capacity_of("service-capacity"), "go");
  EXPECT_THAT(s.values, ElementsAre(0));
  ASSERT_TRUE(s.bracket_high.has_value());
  EXPECT_EQ(*s.bracket_high, 2500);
}

TEST(FiguresSamples, AGeneratorBoundCapacityIsAFloorWithoutAnUpperEnd) {
  // The search stopped because the generator side saturated: 12,000/s held, and the failure at
  // 15,000/s says nothing about the server. Only the floor is known.
  const json doc =
      with_capacity({{"rate", 12000}, {"failed_rate", 15000}, {"floor_only", true}});
  const Samples s = Figures(doc).samples(capacity_of("service-capacity"), "go");
  EXPECT_THAT(s.values, ElementsAre(12000));
  EXPECT_FALSE(s.bracket_high.has_value());
}

TEST(FiguresSamples, CapacityOfAnotherSweepOrServerIsNotTaken) {
  const json doc = with_capacity({{"rate", 12000}, {"failed_rate", 15000}});
  EXPECT_TRUE(Figures(doc).samples(capacity_of("hello-capacity"), "go").values.empty());
  EXPECT_TRUE(Figures(doc).samples(capacity_of("service-capacity"), "rust").values.empty());
}

// --- builds, binaries, microbenchmarks ---------------------------------------------------------

json with_builds() {
  json doc = document(json::array());
  doc["builds"] = json::array({
      {{"server", "go"}, {"kind", "incremental"}, {"build_profile", "debug"}, {"ok", true},
       {"samples_s", {1.5, 1.25, 1.75}}},
      {{"server", "go"}, {"kind", "clean"}, {"build_profile", "debug"}, {"ok", true},
       {"samples_s", {30.0}}},
      {{"server", "rust"}, {"kind", "incremental"}, {"build_profile", "debug"}, {"ok", false},
       {"samples_s", json::array()}, {"error", "cargo: exit 101"}},
  });
  return doc;
}

Selection incremental_debug() {
  Selection s = select("build_s");
  s.where = {{"kind", "incremental"}, {"build_profile", "debug"}};
  return s;
}

TEST(FiguresSamples, BuildSamplesComeFromTheRowTheWhereFiltersSelect) {
  // Each sample of the row is one round, numbered in order.
  const Samples s = Figures(with_builds()).samples(incremental_debug(), "go");
  EXPECT_THAT(s.values, ElementsAre(1.5, 1.25, 1.75));
  EXPECT_THAT(s.rounds, ElementsAre(1, 2, 3));
}

TEST(FiguresSamples, AFailedBuildCountsAsInvalid) {
  const Samples s = Figures(with_builds()).samples(incremental_debug(), "rust");
  EXPECT_TRUE(s.values.empty());
  EXPECT_EQ(s.invalid, 1);
}

TEST(FiguresSamples, BinarySizesAreExactAndScaledToMiB) {
  json doc = document(json::array());
  doc["servers"] = json::array(
      {{{"name", "go"}, {"binary", {{"bytes", 8388608}, {"stripped_bytes", 5242880}}}},
       {{"name", "rust"}, {"binary", nullptr}}});
  const Figures figures(doc);
  const Samples go = figures.samples(select("stripped_bytes"), "go");
  EXPECT_THAT(go.values, ElementsAre(5.0));  // 5,242,880 bytes = 5 MiB
  EXPECT_TRUE(go.exact);
  EXPECT_THAT(figures.samples(select("binary_bytes"), "go").values, ElementsAre(8.0));
  EXPECT_TRUE(figures.samples(select("stripped_bytes"), "rust").values.empty());
}

TEST(FiguresSamples, MicrobenchmarkRowsByLanguagePayloadAndOperation) {
  json doc = document(json::array());
  doc["microbenchmarks"] = {
      {"rows", json::array({
                   {{"language", "go"}, {"payload", "order-10"}, {"operation", "parse"},
                    {"ns_per_op", 2400}, {"allocs_per_op", 31}},
                   {{"language", "go"}, {"payload", "order-10"}, {"operation", "serialise"},
                    {"ns_per_op", 900}, {"allocs_per_op", 2}},
                   {{"language", "go"}, {"payload", "order-100"}, {"operation", "parse"},
                    {"ns_per_op", 21000}, {"allocs_per_op", 250}},
                   {{"language", "rust"}, {"payload", "order-10"}, {"operation", "parse"},
                    {"ns_per_op", 1200}, {"allocs_per_op", 12}},
               })}};
  Selection sel = select("json_ns_per_op");
  sel.where = {{"payload", "order-10"}, {"operation", "parse"}};
  const Figures figures(doc);
  EXPECT_THAT(figures.samples(sel, "go").values, ElementsAre(2400));
  EXPECT_THAT(figures.samples(sel, "rust").values, ElementsAre(1200));
  sel.metric = find_metric("json_allocs_per_op");
  EXPECT_THAT(figures.samples(sel, "go").values, ElementsAre(31));
}

// --- pairing -----------------------------------------------------------------------------------

TEST(FiguresPairing, RoundsPairByRepetitionNotByRowOrder) {
  // go's rows are written 3, 1, 2. Paired by repetition the per-round ratios are
  // 22/10 = 2.2, 24/12 = 2.0, 21/10 = 2.1 (median 2.1); paired by row order they would be
  // 21/10, 22/12, 24/10.
  const json doc = document(json::array({
      trial("go", "hello-10k", 3, {{"cpu_us_per_request", 21}}),
      trial("go", "hello-10k", 1, {{"cpu_us_per_request", 22}}),
      trial("go", "hello-10k", 2, {{"cpu_us_per_request", 24}}),
      trial("rust", "hello-10k", 1, {{"cpu_us_per_request", 10}}),
      trial("rust", "hello-10k", 2, {{"cpu_us_per_request", 12}}),
      trial("rust", "hello-10k", 3, {{"cpu_us_per_request", 10}}),
  }));
  const Estimate e = Figures(doc).ratio(select("cpu_us_per_request", "hello-10k"), "go", "rust");
  ASSERT_TRUE(e.measured);
  EXPECT_TRUE(e.paired);
  EXPECT_EQ(e.n, 3u);
  EXPECT_NEAR(e.value, 2.1, 1e-12);
  EXPECT_NEAR(e.low, 2.0, 1e-12);   // n = 3: the range of the ratios, 75% coverage
  EXPECT_NEAR(e.high, 2.2, 1e-12);
  EXPECT_DOUBLE_EQ(e.coverage, 0.75);
}

TEST(FiguresPairing, ARoundMissingOnOneSideIsLeftOutOfThePairs) {
  // rust's round 2 was invalid: go has rounds 1, 2, 3 and rust 1, 3. Rounds 1 and 3 pair:
  // ratios 22/10 = 2.2 and 21/10 = 2.1, median 2.15, interval their range, coverage
  // 1 - 2 * 0.5^2 = 0.5; go's round 2 is left out.
  const json doc = document(json::array({
      trial("go", "hello-10k", 1, {{"cpu_us_per_request", 22}}),
      trial("go", "hello-10k", 2, {{"cpu_us_per_request", 24}}),
      trial("go", "hello-10k", 3, {{"cpu_us_per_request", 21}}),
      trial("rust", "hello-10k", 1, {{"cpu_us_per_request", 10}}),
      trial("rust", "hello-10k", 2, {{"cpu_us_per_request", 11}, {"valid", false}}),
      trial("rust", "hello-10k", 3, {{"cpu_us_per_request", 10}}),
  }));
  const Estimate e = Figures(doc).ratio(select("cpu_us_per_request", "hello-10k"), "go", "rust");
  ASSERT_TRUE(e.measured);
  EXPECT_TRUE(e.paired);
  EXPECT_EQ(e.n, 2u);
  EXPECT_EQ(e.rounds_left_out, 1);
  EXPECT_NEAR(e.value, 2.15, 1e-12);
  EXPECT_NEAR(e.low, 2.1, 1e-12);
  EXPECT_NEAR(e.high, 2.2, 1e-12);
  EXPECT_DOUBLE_EQ(e.coverage, 0.5);
}

TEST(FiguresPairing, EachRoundPairsOnce) {
  // go has two rows of round 1 (a malformed document, e.g. two runs pasted together) and rust
  // rounds 1 and 2. Pairing both go rows with rust's round 1 would leave rust's round 2 out
  // and still look complete; the rounds do not pair up, so the comparison is unpaired.
  const json doc = document(json::array({
      trial("go", "hello-10k", 1, {{"cpu_us_per_request", 22}}),
      trial("go", "hello-10k", 1, {{"cpu_us_per_request", 24}}),
      trial("rust", "hello-10k", 1, {{"cpu_us_per_request", 10}}),
      trial("rust", "hello-10k", 2, {{"cpu_us_per_request", 12}}),
  }));
  const Estimate e = Figures(doc).ratio(select("cpu_us_per_request", "hello-10k"), "go", "rust");
  ASSERT_TRUE(e.measured);
  EXPECT_FALSE(e.paired);
}

// --- why_missing -------------------------------------------------------------------------------

TEST(FiguresWhyMissing, AScenarioTheProfileDidNotRunNamesTheFlagThatRunsIt) {
  const json doc = document(json::array());
  EXPECT_EQ(Figures(doc).why_missing(select("cpu_us_per_request", "io-wait"), "go"),
            "scenario io-wait was not run in the quick profile (run --profile full or "
            "--scenarios io-wait)");
}

TEST(FiguresWhyMissing, ASweepPointNotRunNamesTheSweep) {
  Selection sel = select("rss_mean_kib");
  sel.sweep = "regime";
  sel.point = "rust-20pct-cpu";
  EXPECT_EQ(Figures(document(json::array())).why_missing(sel, "go"),
            "sweep regime, point rust-20pct-cpu was not run in the quick profile (run --profile "
            "full, or a profile whose sweeps list 'regime')");
}

TEST(FiguresWhyMissing, ASkippedSweepPointSaysWhy) {
  // The sweep ran, but its headline point could not be placed: the reason is in the point.
  json doc = document(json::array());
  doc["sweeps"] = json::array(
      {{{"name", "regime"},
        {"capacity", json::object()},
        {"points", json::array({{{"label", "rust-20pct-cpu"},
                                 {"skipped", "rust held no rate at 20% CPU"}}})}}});
  Selection sel = select("rss_mean_kib");
  sel.sweep = "regime";
  sel.point = "rust-20pct-cpu";
  EXPECT_EQ(Figures(doc).why_missing(sel, "go"),
            "sweep regime, point rust-20pct-cpu was skipped: rust held no rate at 20% CPU");
}

TEST(FiguresWhyMissing, EveryTrialLoadgenBoundSaysTheFigureDescribesTheGenerator) {
  const json doc = document(json::array(
      {trial("go", "hello-10k", 1, {{"latency_us", {{"p99", 9000}}}, {"bound", "loadgen"}})}));
  EXPECT_EQ(Figures(doc).why_missing(select("p99_us", "hello-10k"), "go"),
            "hello-10k: every valid trial of go was load-generator-bound (1), so its p99_us "
            "describes the generator");
}

TEST(FiguresWhyMissing, EveryTrialInvalidSaysSo) {
  const json doc = document(json::array(
      {trial("go", "hello-10k", 1, {{"cpu_us_per_request", 30}, {"valid", false}}),
       trial("go", "hello-10k", 2, {{"cpu_us_per_request", 30}, {"valid", false}})}));
  EXPECT_EQ(Figures(doc).why_missing(select("cpu_us_per_request", "hello-10k"), "go"),
            "hello-10k: every trial of go was invalid (2)");
}

TEST(FiguresWhyMissing, TrialsThatRanWithoutTheFigureDoNotSayTheScenarioWasNotRun) {
  // io-wait ran, but its rows carry no overhead_us (a generator without --wait support): the
  // reader must not be told to run a scenario that did run.
  const json doc = document(json::array(
      {trial("go", "io-wait", 1, {{"latency_us", {{"mean", 115000}}}})}));
  const std::string why = Figures(doc).why_missing(select("overhead_share", "io-wait"), "go");
  EXPECT_EQ(why, "io-wait: the 1 valid trial(s) of go carry no overhead_share");
}

TEST(FiguresWhyMissing, AServerNotInTheRunIsNamed) {
  const json doc = document(json::array({trial("go", "hello-10k", 1, {{"rps", 1}})}));
  EXPECT_EQ(Figures(doc).why_missing(select("rps", "hello-10k"), "java"),
            "server 'java' is not in this run");
}

TEST(FiguresWhyMissing, CapacityNotRunNamesTheSweepAndProfile) {
  EXPECT_EQ(Figures(document(json::array())).why_missing(capacity_of("service-capacity"), "go"),
            "no capacity of go from sweep service-capacity in the quick profile (run --profile "
            "full)");
}

TEST(FiguresWhyMissing, ACapacitySearchThatCouldNotRunGivesItsError) {
  const json doc = with_capacity(
      {{"rate", nullptr}, {"error", "server 'go' has no option for live_mb (its [server.options])"}});
  EXPECT_EQ(Figures(doc).why_missing(capacity_of("service-capacity"), "go"),
            "the capacity search of go in sweep service-capacity failed: server 'go' has no "
            "option for live_mb (its [server.options])");
}

TEST(FiguresWhyMissing, ACapacitySearchStoppedByTheGeneratorBeforeAnyHeldRateSaysSo) {
  // The first probe failed while the generator side was saturated: nothing is known.
  const json doc = with_capacity({{"rate", nullptr}, {"failed_rate", 2500}, {"floor_only", true}});
  EXPECT_TRUE(Figures(doc).samples(capacity_of("service-capacity"), "go").values.empty());
  EXPECT_EQ(Figures(doc).why_missing(capacity_of("service-capacity"), "go"),
            "the capacity search of go in sweep service-capacity held no rate before the "
            "generator side became the bottleneck");
}

TEST(FiguresWhyMissing, AMarginalNamesTheScenarioItLacks) {
  // orders-10k ran, hello-10k (the base of the marginal) did not.
  const json doc = document(json::array({trial("go", "orders-10k", 1, {{"cpu_us_per_request", 58}})}));
  Selection sel = select("cpu_us_per_request", "orders-10k");
  sel.minus_scenario = "hello-10k";
  EXPECT_EQ(Figures(doc).why_missing(sel, "go"),
            "scenario hello-10k was not run in the quick profile (run --profile full or "
            "--scenarios hello-10k)");
}

TEST(FiguresWhyMissing, ABuildNotRunNamesTheBuildCommand) {
  Selection sel = select("build_s");
  sel.where = {{"kind", "ci"}, {"build_profile", "release"}};
  EXPECT_EQ(Figures(with_builds()).why_missing(sel, "go"),
            "no build_profile=release kind=ci build of go in the quick profile (run `hellobench "
            "build`, or --profile full)");
}

TEST(FiguresWhyMissing, AFailedBuildSaysItFailed) {
  EXPECT_EQ(Figures(with_builds()).why_missing(incremental_debug(), "rust"),
            "the build_s build of rust failed");
}

TEST(FiguresWhyMissing, MicrobenchmarksNameTheMakeTargetAndTheFlag) {
  Selection sel = select("json_ns_per_op");
  sel.where = {{"payload", "order-10"}, {"operation", "parse"}};
  EXPECT_EQ(Figures(document(json::array())).why_missing(sel, "go"),
            "no JSON microbenchmark rows for go (run `make microbench`, then `hellobench run "
            "--microbench FILE`)");
}

}  // namespace
}  // namespace hellobench
