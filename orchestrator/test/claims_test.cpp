// Claim verdicts from hand-made results documents: the rule on each estimator (value, ratio,
// difference, held_rate), the roles of parts (regime decides, floor is judged beside it,
// context is shown), curves along a sweep, the quotable sentence, claims as data (a new claim
// and a fourth server need no code), names checked at load with FILE:LINE, and a broken
// computation reported as an error. Every figure is worked out by hand in the comments.
//
// Interval facts used throughout (analysis/stats.hpp): the order-statistic interval of a median
// of n values takes ranks (1, n) for n <= 8, with coverage 1 - 2^(1 - n): n = 3 -> 0.75,
// n = 5 -> 0.9375, n = 6 -> 0.96875. A part decides only with coverage >= 0.90.
#include "analysis/claims.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "config/config.hpp"
#include "core/errors.hpp"

namespace hellobench {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// --- hand-made results documents ---------------------------------------------------------------

json document(const std::vector<std::string>& servers = {"go", "rust"}) {
  json names = json::array();
  for (const std::string& s : servers) names.push_back({{"name", s}});
  return {{"environment",
           {{"cpu_model", "Test CPU"},
            {"cores", 2},
            {"cpu_sets", {{"server", {1}}, {"generator", {0}}}}}},
          {"profile", {{"name", "quick"}}},
          {"servers", names},
          {"trials", json::array()},
          {"sweeps", json::array()},
          {"builds", json::array()}};
}

// A value at a JSON pointer: at("/latency_us/p95", 4000) = {"latency_us": {"p95": 4000}}.
json at(const std::string& pointer, double value) {
  json out = json::object();
  out[json::json_pointer(pointer)] = value;
  return out;
}

json trial(const std::string& server, const std::string& scenario, int repetition,
           const json& fields) {
  json row = {{"server", server}, {"scenario", scenario}, {"repetition", repetition},
              {"valid", true},    {"bound", "server"},    {"mode", "open"}};
  row.update(fields);
  return row;
}

// Round i (1-based) of each server, interleaved as a run writes them: a[0] b[0] a[1] b[1] ...
void add_rounds(json& doc, const std::string& scenario, const std::string& pointer,
                const std::string& a, const std::vector<double>& a_values, const std::string& b,
                const std::vector<double>& b_values, const json& extra = json::object()) {
  for (std::size_t i = 0; i < std::max(a_values.size(), b_values.size()); ++i) {
    const int round = static_cast<int>(i) + 1;
    if (i < a_values.size()) {
      json f = at(pointer, a_values[i]);
      f.update(extra);
      doc["trials"].push_back(trial(a, scenario, round, f));
    }
    if (i < b_values.size()) {
      json f = at(pointer, b_values[i]);
      f.update(extra);
      doc["trials"].push_back(trial(b, scenario, round, f));
    }
  }
}

// rust's mean RSS per round, KiB: the machine drifts from round to round, and go drifts with it.
const std::vector<double> kRust = {1000, 1200, 900, 1100, 1000, 800};
// go = rust * r per round, for three sets of per-round ratios r:
//   holds:      r = 1.05 1.10 1.02 1.08 1.12 1.06  sorted 1.02 1.05 1.06 1.08 1.10 1.12
//               median (1.06 + 1.08) / 2 = 1.07, interval [1.02, 1.12], wholly <= 1.15
//   fails:      r = 1.20 1.25 1.18 1.30 1.22 1.16  sorted 1.16 1.18 1.20 1.22 1.25 1.30
//               median 1.21, interval [1.16, 1.30], wholly > 1.15
//   straddles:  r = 1.05 1.10 1.20 1.12 1.18 1.08  sorted 1.05 1.08 1.10 1.12 1.18 1.20
//               median 1.11, interval [1.05, 1.20], which contains 1.15
const std::vector<double> kGoHolds = {1050, 1320, 918, 1188, 1120, 848};
const std::vector<double> kGoFails = {1200, 1500, 1062, 1430, 1220, 928};
const std::vector<double> kGoStraddles = {1050, 1320, 1080, 1232, 1180, 864};

// One scenario per outcome, each six paired rounds of rss_mean_kib.
json memory_document() {
  json doc = document();
  add_rounds(doc, "holds", "/rss_mean_kib", "go", kGoHolds, "rust", kRust);
  add_rounds(doc, "fails", "/rss_mean_kib", "go", kGoFails, "rust", kRust);
  add_rounds(doc, "straddles", "/rss_mean_kib", "go", kGoStraddles, "rust", kRust);
  // Only the first three rounds of "holds".
  add_rounds(doc, "three-rounds", "/rss_mean_kib", "go", {1050, 1320, 918}, "rust",
             {1000, 1200, 900});
  return doc;
}

// --- claims built in code ----------------------------------------------------------------------

ClaimPart part(const std::string& metric, const std::string& estimator, const std::string& a,
               const std::string& b = "") {
  ClaimPart p;
  p.metric = metric;
  p.estimator = estimator;
  p.a = a;
  p.b = b;
  return p;
}

ClaimPart judged(ClaimPart p, const std::string& side, double threshold) {
  p.side = side;
  p.threshold = threshold;
  return p;
}

ClaimPart on(ClaimPart p, const std::string& scenario) {
  p.scenario = scenario;
  return p;
}

ClaimPart with_role(ClaimPart p, const std::string& role) {
  p.role = role;
  return p;
}

// The go/rust mean-RSS ratio at most 1.15 (the article's memory figure) on one scenario.
ClaimPart memory_ratio(const std::string& scenario) {
  return on(judged(part("rss_mean_kib", "ratio", "go", "rust"), "at_most", 1.15), scenario);
}

ClaimConfig claim(const std::string& id, std::vector<ClaimPart> parts) {
  ClaimConfig c;
  c.id = id;
  c.text = "the article's " + id;
  c.parts = std::move(parts);
  return c;
}

json evaluate_one(const json& doc, const ClaimConfig& c) {
  const json out = evaluate_claims(doc, {c});
  EXPECT_EQ(out.size(), 1u);
  return out.at(0);
}

// The verdict of a claim with one regime part.
json evaluate_part(const json& doc, const ClaimPart& p) {
  return evaluate_one(doc, claim("c", {p}));
}

// --- the rule on a ratio with six paired rounds ------------------------------------------------

TEST(ClaimRatio, HoldsWhenTheWholeIntervalOfPerRoundRatiosIsOnTheArticlesSide) {
  const json c = evaluate_part(memory_document(), memory_ratio("holds"));
  EXPECT_EQ(c["verdict"], "holds");
  const json& m = c["measured"];
  EXPECT_EQ(m["estimator"], "ratio");
  EXPECT_TRUE(m["paired"].get<bool>());
  EXPECT_EQ(m["n"], 6);
  EXPECT_NEAR(m["value"].get<double>(), 1.07, 1e-12);
  EXPECT_NEAR(m["interval"][0].get<double>(), 1.02, 1e-12);
  EXPECT_NEAR(m["interval"][1].get<double>(), 1.12, 1e-12);
  EXPECT_DOUBLE_EQ(m["coverage"].get<double>(), 0.96875);  // ranks (1, 6): 1 - 2 / 64
  EXPECT_TRUE(m["coverage_reached"].get<bool>());
  EXPECT_EQ(m["method"], "order-statistic, paired ratio");
  // The medians per server (MiB) are shown beside the ratio: go's sorted KiB are
  // 848 918 1050 1120 1188 1320 (median 1085), rust's 800 900 1000 1000 1100 1200 (1000). Their
  // quotient, 1.085, is not the paired estimate 1.07.
  EXPECT_NEAR(m["medians"]["go"].get<double>(), 1085.0 / 1024, 1e-12);
  EXPECT_NEAR(m["medians"]["rust"].get<double>(), 1000.0 / 1024, 1e-12);
  EXPECT_EQ(c["reason"],
            "go/rust RSS mean MiB = 1.07x [1.02, 1.12] (96.9% interval, order-statistic, paired "
            "ratio, n = 6) is wholly at most 1.15x");
}

TEST(ClaimRatio, DoesNotHoldWhenTheWholeIntervalIsOnTheOtherSide) {
  const json c = evaluate_part(memory_document(), memory_ratio("fails"));
  EXPECT_EQ(c["verdict"], "does not hold");
  EXPECT_NEAR(c["measured"]["value"].get<double>(), 1.21, 1e-12);
  EXPECT_NEAR(c["measured"]["interval"][0].get<double>(), 1.16, 1e-12);
  EXPECT_NEAR(c["measured"]["interval"][1].get<double>(), 1.30, 1e-12);
  EXPECT_EQ(c["reason"],
            "go/rust RSS mean MiB = 1.21x [1.16, 1.3] (96.9% interval, order-statistic, paired "
            "ratio, n = 6) is wholly above 1.15x");
}

TEST(ClaimRatio, InconclusiveWhenTheIntervalStraddlesTheThreshold) {
  const json c = evaluate_part(memory_document(), memory_ratio("straddles"));
  EXPECT_EQ(c["verdict"], "inconclusive");
  EXPECT_NEAR(c["measured"]["value"].get<double>(), 1.11, 1e-12);
  EXPECT_EQ(c["reason"],
            "go/rust RSS mean MiB = 1.11x [1.05, 1.2] (96.9% interval, order-statistic, paired "
            "ratio, n = 6) straddles 1.15x");
}

TEST(ClaimRatio, ThreeRoundsCoverOnlySeventyFivePercentAndCannotDecide) {
  // Ratios 1.05, 1.10, 1.02: the interval [1.02, 1.10] is the range, wholly under 1.15, but a
  // range of three covers the median only 1 - 2 / 8 = 75% of the time.
  const json c = evaluate_part(memory_document(), memory_ratio("three-rounds"));
  EXPECT_EQ(c["verdict"], "inconclusive");
  EXPECT_EQ(c["measured"]["n"], 3);
  EXPECT_DOUBLE_EQ(c["measured"]["coverage"].get<double>(), 0.75);
  EXPECT_FALSE(c["measured"]["coverage_reached"].get<bool>());
  EXPECT_NEAR(c["measured"]["interval"][0].get<double>(), 1.02, 1e-12);
  EXPECT_NEAR(c["measured"]["interval"][1].get<double>(), 1.10, 1e-12);
  EXPECT_THAT(c["reason"].get<std::string>(),
              HasSubstr("(75% interval, order-statistic, paired ratio, n = 3): an interval with "
                        "75% coverage cannot decide; 95% needs at least 6 paired rounds"));
}

TEST(ClaimRatio, ARoundWithoutAPartnerIsLeftOutOfThePairs) {
  // rust's round 6 was invalid, so rounds 1-5 pair and go's round 6 is left out:
  //   go    1050 1100 1080 1020 1060
  //   rust   980 1000 1020  990 1010
  //   ratio 1.0714 1.1 1.0588 1.0303 1.0495, sorted 1.0303 1.0495 1.0588 1.0714 1.1
  // median 1.0588 (1080/1020), interval the range (n = 5: coverage 1 - 2 * 0.5^5 = 0.9375),
  // wholly at or below 1.15: holds.
  json doc = document();
  add_rounds(doc, "hello-10k", "/rss_mean_kib", "go", {1050, 1100, 1080, 1020, 1060, 1090},
             "rust", {980, 1000, 1020, 990, 1010, 5000});
  doc["trials"].back()["valid"] = false;  // rust, round 6
  const json c = evaluate_part(doc, memory_ratio("hello-10k"));
  const json& m = c["measured"];
  EXPECT_TRUE(m["paired"].get<bool>());
  EXPECT_EQ(m["rounds_left_out"], 1);
  EXPECT_EQ(m["method"], "order-statistic, paired ratio");
  EXPECT_EQ(m["n"], 5);
  EXPECT_NEAR(m["value"].get<double>(), 1080.0 / 1020, 1e-12);
  EXPECT_NEAR(m["interval"][0].get<double>(), 1020.0 / 990, 1e-12);
  EXPECT_NEAR(m["interval"][1].get<double>(), 1.1, 1e-12);
  EXPECT_DOUBLE_EQ(m["coverage"].get<double>(), 0.9375);
  EXPECT_EQ(c["verdict"], "holds");
}

// --- other estimators ----------------------------------------------------------------------------

TEST(ClaimExact, FileSizesAreExactSoOneValueDecides) {
  // go's stripped binary 4 MiB, rust's 2 MiB: go/rust = 2 exactly, above 1.
  json doc = document();
  doc["servers"] = json::array({{{"name", "go"}, {"binary", {{"stripped_bytes", 4194304}}}},
                                {{"name", "rust"}, {"binary", {{"stripped_bytes", 2097152}}}}});
  ClaimPart p = judged(part("stripped_bytes", "ratio", "go", "rust"), "at_most", 1);
  p.source = "binaries";
  const json c = evaluate_part(doc, p);
  EXPECT_EQ(c["verdict"], "does not hold");
  EXPECT_EQ(c["measured"]["method"], "exact");
  EXPECT_DOUBLE_EQ(c["measured"]["value"].get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(c["measured"]["coverage"].get<double>(), 1.0);
  EXPECT_EQ(c["measured"]["n"], 1);
  EXPECT_EQ(c["reason"], "go/rust stripped MiB = 2x [2, 2] (exact) is wholly above 1x");
}

// A document whose service-capacity sweep searched go's capacity.
json capacity_document(const json& go) {
  json doc = document();
  doc["sweeps"] = json::array({{{"name", "service-capacity"},
                                {"scenario", "service"},
                                {"capacity", {{"go", go}}},
                                {"points", json::array()}}});
  return doc;
}

ClaimPart capacity_part(const std::string& side, double threshold) {
  ClaimPart p = judged(part("capacity_rps", "held_rate", "go"), side, threshold);
  p.source = "capacity";
  p.sweep = "service-capacity";
  return p;
}

TEST(ClaimHeldRate, HoldsWhenTheRateHeldIsAtLeastTheFigure) {
  // Held 12,000/s, failed at 15,000/s: the capacity is in [12k, 15k), all of it >= 10k.
  const json c = evaluate_part(capacity_document({{"rate", 12000}, {"failed_rate", 15000}}),
                               capacity_part("at_least", 10000));
  EXPECT_EQ(c["verdict"], "holds");
  EXPECT_EQ(c["measured"]["estimator"], "held_rate");
  EXPECT_DOUBLE_EQ(c["measured"]["interval"][0].get<double>(), 12000);
  EXPECT_DOUBLE_EQ(c["measured"]["interval"][1].get<double>(), 15000);
  EXPECT_EQ(c["measured"]["method"], "search bracket: held .. first failed");
  EXPECT_EQ(c["reason"], "go capacity req/s held 12k (wanted at least 10k req/s)");
}

TEST(ClaimHeldRate, DoesNotHoldWhenARateBelowTheFigureFailed) {
  // Held 6000/s, failed at 8000/s: the capacity is below 8000, so below 10k.
  const json c = evaluate_part(capacity_document({{"rate", 6000}, {"failed_rate", 8000}}),
                               capacity_part("at_least", 10000));
  EXPECT_EQ(c["verdict"], "does not hold");
  EXPECT_EQ(c["reason"],
            "go capacity req/s: the search held 6000 and failed at 8000 (wanted at least 10k "
            "req/s)");
}

TEST(ClaimHeldRate, AFailureAtExactlyTheFigureDoesNotHold) {
  // Failed at 10,000/s itself: the capacity is below 10,000, which is not "at least 10,000".
  const json c = evaluate_part(capacity_document({{"rate", 8000}, {"failed_rate", 10000}}),
                               capacity_part("at_least", 10000));
  EXPECT_EQ(c["verdict"], "does not hold");
}

TEST(ClaimHeldRate, InconclusiveWhenTheSearchBracketContainsTheFigure) {
  // Held 9000/s, failed at 12,000/s: the capacity may be either side of 10k.
  const json c = evaluate_part(capacity_document({{"rate", 9000}, {"failed_rate", 12000}}),
                               capacity_part("at_least", 10000));
  EXPECT_EQ(c["verdict"], "inconclusive");
  EXPECT_EQ(c["reason"],
            "go capacity req/s: the search held 9000 and failed at 12k, which brackets 10k");
}

TEST(ClaimHeldRate, AFailureAtTheFirstProbeDoesNotHold) {
  // The first probe, 2500/s, failed: go held nothing below it, far from 10k.
  const json c = evaluate_part(capacity_document({{"rate", nullptr}, {"failed_rate", 2500}}),
                               capacity_part("at_least", 10000));
  EXPECT_EQ(c["verdict"], "does not hold");
}

TEST(ClaimHeldRate, AGeneratorBoundSearchIsOnlyAFloor) {
  // Held 8000/s; the failure at 9000/s came with the generator side saturated, so it says
  // nothing about go: the capacity is at least 8000, which does not decide "at least 10k".
  const json c = evaluate_part(
      capacity_document({{"rate", 8000}, {"failed_rate", 9000}, {"floor_only", true}}),
      capacity_part("at_least", 10000));
  EXPECT_EQ(c["verdict"], "inconclusive");
  EXPECT_EQ(c["reason"],
            "go capacity req/s: the search held 8000, and no rate above it is known to fail, so "
            "at least 10k req/s is not decided");
}

TEST(ClaimHeldRate, AtMostIsJudgedOnTheOtherEndOfTheBracket) {
  // "at most 10k": held 6000 and failed at 8000 puts the capacity below 8000 -> holds; held
  // 12,000 puts it above 10k -> does not hold. (Holding 6000 alone would prove nothing.)
  EXPECT_EQ(evaluate_part(capacity_document({{"rate", 6000}, {"failed_rate", 8000}}),
                          capacity_part("at_most", 10000))["verdict"],
            "holds");
  EXPECT_EQ(evaluate_part(capacity_document({{"rate", 12000}, {"failed_rate", 15000}}),
                          capacity_part("at_most", 10000))["verdict"],
            "does not hold");
  EXPECT_EQ(evaluate_part(capacity_document({{"rate", 6000}, {"failed_rate", 12000}}),
                          capacity_part("at_most", 10000))["verdict"],
            "inconclusive");
}

TEST(ClaimDifference, P95DifferenceIsInMillisecondsRoundByRound) {
  // rust's p95 (us) per round and go's = rust + d, d = 1.0 2.0 1.5 2.5 0.5 1.2 ms.
  // Sorted d: 0.5 1.0 1.2 1.5 2.0 2.5; median (1.2 + 1.5) / 2 = 1.35 ms, interval [0.5, 2.5],
  // wholly at most the article's 3 ms.
  json doc = document();
  add_rounds(doc, "service-wait", "/latency_us/p95", "go",
             {46000, 48000, 45500, 48000, 47500, 45700}, "rust",
             {45000, 46000, 44000, 45500, 47000, 44500});
  const json c = evaluate_part(
      doc, on(judged(part("p95_us", "difference", "go", "rust"), "at_most", 3), "service-wait"));
  EXPECT_EQ(c["verdict"], "holds");
  EXPECT_EQ(c["measured"]["estimator"], "difference");
  EXPECT_EQ(c["measured"]["method"], "order-statistic, paired difference");
  EXPECT_NEAR(c["measured"]["value"].get<double>(), 1.35, 1e-9);
  EXPECT_NEAR(c["measured"]["interval"][0].get<double>(), 0.5, 1e-9);
  EXPECT_NEAR(c["measured"]["interval"][1].get<double>(), 2.5, 1e-9);
  EXPECT_EQ(c["comparison"], "go - rust");
  EXPECT_EQ(c["unit"], "ms");
  EXPECT_THAT(c["reason"].get<std::string>(),
              StartsWith("go - rust p95 ms = 1.35 ms [0.5, 2.5] (96.9% interval"));
  EXPECT_THAT(c["reason"].get<std::string>(), HasSubstr("is wholly at most 3 ms"));
}

TEST(ClaimValue, OneServersMedianAgainstTheFigure) {
  // go's share of latency spent in the stack, overhead mean / latency mean per round:
  // 1150, 1380, 920, 1035, 1265, 1725 over 115,000 us = 0.010 0.012 0.008 0.009 0.011 0.015.
  // Sorted 0.008 0.009 0.010 0.011 0.012 0.015: median 0.0105, interval [0.008, 0.015], wholly
  // at most the article's 2%.
  json doc = document();
  const double overhead[] = {1150, 1380, 920, 1035, 1265, 1725};
  for (int r = 1; r <= 6; ++r) {
    doc["trials"].push_back(trial("go", "io-wait", r,
                                  {{"latency_us", {{"mean", 115000}}},
                                   {"overhead_us", {{"mean", overhead[r - 1]}}}}));
  }
  const json c = evaluate_part(
      doc, on(judged(part("overhead_share", "value", "go"), "at_most", 0.02), "io-wait"));
  EXPECT_EQ(c["verdict"], "holds");
  EXPECT_EQ(c["measured"]["estimator"], "value");
  EXPECT_EQ(c["measured"]["method"], "order-statistic");
  EXPECT_NEAR(c["measured"]["value"].get<double>(), 0.0105, 1e-12);
  EXPECT_NEAR(c["measured"]["interval"][0].get<double>(), 0.008, 1e-12);
  EXPECT_NEAR(c["measured"]["interval"][1].get<double>(), 0.015, 1e-12);
  EXPECT_DOUBLE_EQ(c["measured"]["coverage"].get<double>(), 0.96875);
  EXPECT_EQ(c["comparison"], "go");
}

TEST(ClaimTrials, LoadgenBoundTrialsAreLeftOutOfLatencyButNotOfCpuPerRequest) {
  // Round 3 of go was load-generator-bound: its p95 of 90 ms describes the generator.
  //   p95 (ms) without it: 4.0 4.2 3.9 4.1 4.3 -> median 4.1, n = 5, range [3.9, 4.3] (93.75%),
  //   wholly at most 5 ms -> holds.
  //   CPU us/req keeps it: 30 31 45 29 30 32 -> sorted 29 30 30 31 32 45, median 30.5, n = 6,
  //   interval [29, 45], which straddles 40. Without round 3 it would be [29, 32] and hold.
  json doc = document();
  const double p95[] = {4000, 4200, 90000, 3900, 4100, 4300};
  const double cpu[] = {30, 31, 45, 29, 30, 32};
  for (int r = 1; r <= 6; ++r) {
    json row = trial("go", "hello-10k", r,
                     {{"latency_us", {{"p95", p95[r - 1]}}}, {"cpu_us_per_request", cpu[r - 1]}});
    if (r == 3) row["bound"] = "loadgen";
    doc["trials"].push_back(row);
  }
  const json c = evaluate_one(
      doc, claim("c", {on(judged(part("p95_us", "value", "go"), "at_most", 5), "hello-10k"),
                       on(judged(part("cpu_us_per_request", "value", "go"), "at_most", 40),
                          "hello-10k")}));
  const json& latency = c["parts"][0];
  EXPECT_EQ(latency["verdict"], "holds");
  EXPECT_EQ(latency["measured"]["n"], 5);
  EXPECT_EQ(latency["measured"]["left_out_loadgen_bound"], 1);
  EXPECT_NEAR(latency["measured"]["value"].get<double>(), 4.1, 1e-9);
  const json& cpu_part = c["parts"][1];
  EXPECT_EQ(cpu_part["verdict"], "inconclusive");
  EXPECT_EQ(cpu_part["measured"]["n"], 6);
  EXPECT_FALSE(cpu_part["measured"].contains("left_out_loadgen_bound"));
  EXPECT_DOUBLE_EQ(cpu_part["measured"]["value"].get<double>(), 30.5);
  EXPECT_DOUBLE_EQ(cpu_part["measured"]["interval"][1].get<double>(), 45);
}

TEST(ClaimTrials, MinusScenarioJudgesTheMarginalCostRoundByRound) {
  // CPU us/req per round, and the marginal orders-10k - hello-10k:
  //   go   hello 40 42 38 40 41 39, orders 58 57 54 59 58 53 -> marginal 18 15 16 19 17 14
  //   rust hello 10 11  9 10 10 10, orders 20 21 19 20 20 20 -> marginal 10 10 10 10 10 10
  // Per-round ratios 1.8 1.5 1.6 1.9 1.7 1.4, sorted 1.4 1.5 1.6 1.7 1.8 1.9: median 1.65,
  // interval [1.4, 1.9], wholly at most 2 -> holds. (The plain orders-10k ratio, about 2.8,
  // would not.)
  json doc = document();
  add_rounds(doc, "hello-10k", "/cpu_us_per_request", "go", {40, 42, 38, 40, 41, 39}, "rust",
             {10, 11, 9, 10, 10, 10});
  add_rounds(doc, "orders-10k", "/cpu_us_per_request", "go", {58, 57, 54, 59, 58, 53}, "rust",
             {20, 21, 19, 20, 20, 20});
  ClaimPart p = on(judged(part("cpu_us_per_request", "ratio", "go", "rust"), "at_most", 2),
                   "orders-10k");
  p.minus_scenario = "hello-10k";
  const json c = evaluate_part(doc, p);
  EXPECT_EQ(c["verdict"], "holds");
  EXPECT_TRUE(c["measured"]["paired"].get<bool>());
  EXPECT_NEAR(c["measured"]["value"].get<double>(), 1.65, 1e-12);
  EXPECT_NEAR(c["measured"]["interval"][0].get<double>(), 1.4, 1e-12);
  EXPECT_NEAR(c["measured"]["interval"][1].get<double>(), 1.9, 1e-12);
  EXPECT_EQ(c["parts"][0]["minus_scenario"], "hello-10k");
  // The plain ratio on orders-10k, for contrast: 58/20 ... all above 2.
  EXPECT_EQ(evaluate_part(doc, on(judged(part("cpu_us_per_request", "ratio", "go", "rust"),
                                         "at_most", 2),
                                  "orders-10k"))["verdict"],
            "does not hold");
}

TEST(ClaimTrials, AScenarioTheRunDidNotMeasureIsInconclusiveSayingWhatToRun) {
  const json c = evaluate_part(memory_document(), memory_ratio("io-wait"));
  EXPECT_EQ(c["verdict"], "inconclusive");
  EXPECT_EQ(c["measured"]["measured"], false);
  EXPECT_EQ(c["reason"],
            "go/rust RSS mean MiB: not measured: scenario io-wait was not run in the quick "
            "profile (run --profile full or --scenarios io-wait)");
}

// --- roles and the claim's verdict ---------------------------------------------------------------

TEST(ClaimRoles, AFloorPartIsJudgedButDoesNotDecide) {
  // The regime part holds; the floor part (the hello route) does not: the claim holds, and the
  // floor's own verdict is kept beside it.
  const json c = evaluate_one(memory_document(),
                              claim("memory", {memory_ratio("holds"),
                                               with_role(memory_ratio("fails"), "floor")}));
  EXPECT_EQ(c["verdict"], "holds");
  EXPECT_EQ(c["parts"][1]["role"], "floor");
  EXPECT_EQ(c["parts"][1]["verdict"], "does not hold");
}

TEST(ClaimRoles, AContextPartIsShownNeverJudged) {
  // The context part has a threshold and its figure is wholly above it, yet it gets no verdict.
  const json c = evaluate_one(memory_document(),
                              claim("memory", {memory_ratio("holds"),
                                               with_role(memory_ratio("fails"), "context")}));
  EXPECT_EQ(c["verdict"], "holds");
  const json& context = c["parts"][1];
  EXPECT_TRUE(context["verdict"].is_null());
  EXPECT_EQ(context["reason"], "shown, not judged");
  EXPECT_NEAR(context["measured"]["value"].get<double>(), 1.21, 1e-12);  // still measured
}

TEST(ClaimRoles, AnyRegimePartThatDoesNotHoldMakesTheClaimNotHold) {
  const json c = evaluate_one(
      memory_document(),
      claim("memory", {memory_ratio("holds"), memory_ratio("straddles"), memory_ratio("fails")}));
  EXPECT_EQ(c["verdict"], "does not hold");
}

TEST(ClaimRoles, TheClaimHoldsOnlyWhenEveryRegimePartHolds) {
  EXPECT_EQ(evaluate_one(memory_document(),
                         claim("memory", {memory_ratio("holds"), memory_ratio("holds")}))["verdict"],
            "holds");
  EXPECT_EQ(evaluate_one(memory_document(), claim("memory", {memory_ratio("holds"),
                                                             memory_ratio("straddles")}))["verdict"],
            "inconclusive");
}

TEST(ClaimRoles, WithoutAJudgedRegimePartTheClaimIsInconclusive) {
  const json c = evaluate_one(memory_document(),
                              claim("memory", {with_role(memory_ratio("holds"), "floor")}));
  EXPECT_EQ(c["verdict"], "inconclusive");
  EXPECT_EQ(c["reason"], "no judged part in the article's regime");
}

// --- curves --------------------------------------------------------------------------------------

TEST(ClaimCurve, APartOnASweepWithoutAPointIsJudgedAtEveryPointAndSaysWhereItChanges) {
  // go/rust mean RSS at each live-data point, one round each (sweep_repetitions = 1):
  //   1 MB: 30720 / 10240 = 3.0   25 MB: 102400 / 51200 = 2.0   50 MB: skipped (no trials)
  //   100 MB: 225280 / 204800 = 1.1   200 MB: 430080 / 409600 = 1.05
  // Against "at most 1.15" the point estimates are off, off, -, on, on: one change, between
  // 25 MB (the last point with an estimate) and 100 MB. One round per point cannot decide, so
  // each point is inconclusive, and the curve itself decides nothing.
  json doc = document();
  json points = json::array();
  const std::vector<std::pair<std::string, std::pair<double, double>>> curve = {
      {"1 MB", {30720, 10240}}, {"25 MB", {102400, 51200}}, {"50 MB", {0, 0}},
      {"100 MB", {225280, 204800}}, {"200 MB", {430080, 409600}}};
  for (const auto& [label, kib] : curve) {
    json point = {{"label", label}};
    if (kib.first == 0) {
      point["skipped"] = "the point was not reached";
    } else {
      for (const auto& [server, value] : {std::pair{"go", kib.first}, std::pair{"rust", kib.second}}) {
        json row = trial(server, "users-2k", 1, {{"rss_mean_kib", value}});
        row["sweep"] = "live-data";
        row["point"] = label;
        doc["trials"].push_back(row);
      }
    }
    points.push_back(point);
  }
  doc["sweeps"] = json::array({{{"name", "live-data"}, {"scenario", "users-2k"}, {"points", points}}});
  ClaimPart p = with_role(judged(part("rss_mean_kib", "ratio", "go", "rust"), "at_most", 1.15),
                          "context");
  p.sweep = "live-data";
  const json c = evaluate_one(doc, claim("memory", {memory_ratio("x"), p}));
  const json& curve_part = c["parts"][1];
  ASSERT_EQ(curve_part["points"].size(), 5u);
  EXPECT_EQ(curve_part["points"][0]["point"], "1 MB");
  EXPECT_NEAR(curve_part["points"][0]["measured"]["value"].get<double>(), 3.0, 1e-12);
  EXPECT_EQ(curve_part["points"][0]["leaning"], "off");
  EXPECT_EQ(curve_part["points"][0]["verdict"], "inconclusive");  // n = 1: coverage 0
  EXPECT_EQ(curve_part["points"][2]["measured"]["measured"], false);
  EXPECT_TRUE(curve_part["points"][2]["leaning"].is_null());
  EXPECT_NEAR(curve_part["points"][3]["measured"]["value"].get<double>(), 1.1, 1e-12);
  EXPECT_EQ(curve_part["points"][3]["leaning"], "on");
  EXPECT_NEAR(curve_part["points"][4]["measured"]["value"].get<double>(), 1.05, 1e-12);
  ASSERT_EQ(curve_part["changes"].size(), 1u);
  EXPECT_EQ(curve_part["changes"][0]["before"], "25 MB");
  EXPECT_EQ(curve_part["changes"][0]["at"], "100 MB");
  EXPECT_EQ(curve_part["changes"][0]["to"], "on the article's side");
  EXPECT_TRUE(curve_part["verdict"].is_null());
  EXPECT_EQ(curve_part["reason"], "the point estimates cross the threshold 1 time(s)");
}

TEST(ClaimCurve, ASweepTheProfileDidNotRunIsInconclusiveWithTheReason) {
  ClaimPart p = judged(part("rss_mean_kib", "ratio", "go", "rust"), "at_most", 1.15);
  p.sweep = "live-data";
  const json c = evaluate_part(document(), p);
  EXPECT_EQ(c["parts"][0]["verdict"], "inconclusive");
  EXPECT_EQ(c["parts"][0]["reason"],
            "sweep live-data was not run in the quick profile (run --profile full)");
}

// --- the sentence ----------------------------------------------------------------------------------

TEST(ClaimSentence, NamesTheMachineTheRegimeTheNumbersAndTheVerdict) {
  ClaimPart regime = memory_ratio("holds");
  regime.label = "100 MB live at rust's 20%-CPU rate";
  // The floor: go/rust = 2 exactly in each round (2048 / 1024 KiB).
  json doc = memory_document();
  add_rounds(doc, "hello-10k", "/rss_mean_kib", "go", std::vector<double>(6, 2048), "rust",
             std::vector<double>(6, 1024));
  const json c = evaluate_one(
      doc, claim("memory", {regime, with_role(memory_ratio("hello-10k"), "floor")}));
  EXPECT_EQ(c["sentence"],
            "On one core of this 2-CPU machine (Test CPU), 100 MB live at rust's 20%-CPU rate: "
            "go/rust RSS mean MiB was 1.07x (96.9% interval 1.02 to 1.12, n = 6); the article's "
            "at most 1.15x holds there. On the hello routes (each stack's floor) the same figure "
            "is 2x.");
  EXPECT_EQ(c["scope"], "go/rust servers, this machine, the quick profile");
  EXPECT_EQ(c["regime"]["label"], "100 MB live at rust's 20%-CPU rate");
  EXPECT_EQ(c["regime"]["parameters"]["scenario"], "holds");
}

TEST(ClaimSentence, QuotesThePartThatDecidedTheVerdict) {
  // The first regime part holds (1.07x) and the second does not (1.21x): the claim does not
  // hold, and the sentence and the headline figures quote 1.21x, not a figure that holds.
  const json c = evaluate_one(memory_document(),
                              claim("memory", {memory_ratio("holds"), memory_ratio("fails")}));
  EXPECT_EQ(c["verdict"], "does not hold");
  EXPECT_NEAR(c["measured"]["value"].get<double>(), 1.21, 1e-12);
  EXPECT_THAT(c["sentence"].get<std::string>(),
              HasSubstr("go/rust RSS mean MiB was 1.21x (96.9% interval 1.16 to 1.3, n = 6); the "
                        "article's at most 1.15x does not hold there."));
}

TEST(ClaimSentence, WithoutCpuSetsTheScopeIsThisMachine) {
  json doc = memory_document();
  doc["environment"].erase("cpu_sets");
  const json c = evaluate_part(doc, memory_ratio("straddles"));
  EXPECT_THAT(c["sentence"].get<std::string>(), StartsWith("On this machine, in the claim's regime: "));
  EXPECT_THAT(c["sentence"].get<std::string>(), HasSubstr("is not decided there."));
}

// --- claims as data: config text, validation, round trip, errors -----------------------------------

// A config whose first lines are a claim (so that its line numbers are easy to count), then two
// servers (three with `java`), three scenarios, a sweep and a profile.
std::string config_text(const std::string& claim_toml, bool java = false) {
  std::string servers;
  for (const char* name : {"go", "rust", "java"}) {
    if (std::string(name) == "java" && !java) continue;
    servers += fmt::format(
        "[[server]]\nname = \"{}\"\nlanguage = \"{}\"\nsource_dir = \"{}\"\nbinary = \"b\"\n"
        "run = [\"b\"]\n[server.edit]\nfile = \"f\"\nline = \"l\"\n",
        name, name, name);
  }
  return claim_toml + servers + R"(
[[scenario]]
name = "hello-10k"
path = "/"
generator = "loadgen"
mode = "open"
rate = 10000
[[scenario]]
name = "orders-10k"
path = "/orders"
method = "POST"
generator = "loadgen"
mode = "open"
rate = 10000
[[scenario]]
name = "service-wait"
path = "/users/{id}"
generator = "loadgen"
mode = "open"
rate = 2000
[[sweep]]
name = "regime"
scenario = "service-wait"
capacity = { p99_ms = 250 }
points = [{ label = "rust-20pct-cpu", cpu_share = 0.2, of = "rust", headline = true }]
[profile.quick]
repetitions = 6
warmup_s = 1
window_s = 2
scenarios = ["hello-10k", "orders-10k"]
sweeps = ["regime"]
)";
}

// Lines 1-3 are the claim's header; its first part starts on line 4.
std::string claim_with_part(const std::string& part_body, const std::string& id = "made-up") {
  return "[[claim]]\nid = \"" + id + "\"\ntext = \"a figure\"\n[[claim.part]]\n" + part_body;
}

// The ConfigError validate_claims throws on a config text ("" if none).
std::string validation_error(const std::string& text) {
  try {
    validate_claims(parse_config(text, "/cfg/claims.toml"));
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

const char* kGoodPart =
    "scenario = \"hello-10k\"\nmetric = \"rss_mean_kib\"\nestimator = \"ratio\"\n"
    "a = \"go\"\nb = \"rust\"\nside = \"at_most\"\nthreshold = 1.15\n";

TEST(ClaimsAsData, AGoodClaimValidates) {
  EXPECT_EQ(validation_error(config_text(claim_with_part(kGoodPart))), "");
}

TEST(ClaimsAsData, AClaimAddedInAConfigWithAFourthServerGetsAVerdictWithNoCodeChange) {
  // A made-up claim about a fourth server, java: its CPU per request at most 1.5 times go's.
  //   go   30 40 20 20 50 30, java = go * r with r = 1.2 1.3 1.25 1.35 1.1 1.4
  //   java 36 52 25 27 55 42; sorted r 1.1 1.2 1.25 1.3 1.35 1.4: median 1.275,
  //   interval [1.1, 1.4] (96.9%), wholly at most 1.5 -> holds.
  const std::string text = config_text(claim_with_part("scenario = \"hello-10k\"\n"
                                                       "metric = \"cpu_us_per_request\"\n"
                                                       "a = \"java\"\nb = \"go\"\n"
                                                       "side = \"at_most\"\nthreshold = 1.5\n",
                                                       "java-cpu-per-request"),
                                       /*java=*/true);
  const Config config = parse_config(text, "/cfg/claims.toml");
  ASSERT_NO_THROW(validate_claims(config));
  ASSERT_EQ(config.claims.size(), 1u);
  EXPECT_EQ(config.claims[0].id, "java-cpu-per-request");
  EXPECT_EQ(config.claims[0].parts[0].estimator, "ratio");  // the default estimator

  json doc = document({"go", "rust", "java"});
  add_rounds(doc, "hello-10k", "/cpu_us_per_request", "java", {36, 52, 25, 27, 55, 42}, "go",
             {30, 40, 20, 20, 50, 30});
  const json out = evaluate_claims(doc, config.claims);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0]["id"], "java-cpu-per-request");
  EXPECT_EQ(out[0]["verdict"], "holds");
  EXPECT_EQ(out[0]["comparison"], "java/go");
  EXPECT_NEAR(out[0]["measured"]["value"].get<double>(), 1.275, 1e-12);
  EXPECT_NEAR(out[0]["measured"]["interval"][0].get<double>(), 1.1, 1e-12);
  EXPECT_NEAR(out[0]["measured"]["interval"][1].get<double>(), 1.4, 1e-12);
  EXPECT_EQ(out[0]["scope"], "go/rust/java servers, this machine, the quick profile");
}

TEST(ClaimsAsData, AnUnknownMetricFailsAtLoadNamingFileLineAndTheKnownOnes) {
  const std::string error = validation_error(config_text(claim_with_part(
      "scenario = \"hello-10k\"\nmetric = \"rss_mena_kib\"\na = \"go\"\nb = \"rust\"\n")));
  EXPECT_THAT(error, StartsWith("/cfg/claims.toml:4:1: claim 'made-up'.part[0]: unknown metric "
                                "'rss_mena_kib' for source trials (known: rps, p50_us,"));
  EXPECT_THAT(error, HasSubstr("rss_mean_kib"));
}

TEST(ClaimsAsData, AMetricOfAnotherSourceIsUnknownForThisOne) {
  // build_s is a builds metric; a trials part cannot use it.
  EXPECT_THAT(validation_error(config_text(claim_with_part(
                  "scenario = \"hello-10k\"\nmetric = \"build_s\"\na = \"go\"\nb = \"rust\"\n"))),
              HasSubstr("/cfg/claims.toml:4:1: claim 'made-up'.part[0]: unknown metric 'build_s' "
                        "for source trials"));
}

TEST(ClaimsAsData, AnUnknownServerFailsAtLoad) {
  EXPECT_EQ(validation_error(config_text(claim_with_part(
                "scenario = \"hello-10k\"\nmetric = \"rss_mean_kib\"\na = \"java\"\nb = \"rust\"\n"))),
            "/cfg/claims.toml:4:1: claim 'made-up'.part[0]: unknown server 'java' (known: go, "
            "rust)");
}

TEST(ClaimsAsData, AnUnknownScenarioFailsAtLoadOnTheLineOfItsPart) {
  // The first part (its header on line 4, its seven keys on lines 5-11) is good; the second
  // starts on line 12.
  EXPECT_EQ(validation_error(config_text(claim_with_part(std::string(kGoodPart) +
                                                         "[[claim.part]]\n"
                                                         "scenario = \"hello-10K\"\n"
                                                         "metric = \"rss_mean_kib\"\n"
                                                         "a = \"go\"\nb = \"rust\"\n"))),
            "/cfg/claims.toml:12:1: claim 'made-up'.part[1]: unknown scenario 'hello-10K'");
}

TEST(ClaimsAsData, AnUnknownSweepFailsAtLoad) {
  EXPECT_EQ(validation_error(config_text(claim_with_part(
                "sweep = \"regim\"\nmetric = \"rss_mean_kib\"\na = \"go\"\nb = \"rust\"\n"))),
            "/cfg/claims.toml:4:1: claim 'made-up'.part[0]: unknown sweep 'regim'");
}

TEST(ClaimsAsData, AnUnknownSweepPointFailsAtLoad) {
  EXPECT_EQ(validation_error(config_text(claim_with_part(
                "sweep = \"regime\"\npoint = \"rust-20pct\"\nmetric = \"rss_mean_kib\"\n"
                "a = \"go\"\nb = \"rust\"\n"))),
            "/cfg/claims.toml:4:1: claim 'made-up'.part[0]: sweep 'regime' has no point "
            "'rust-20pct'");
}

TEST(ClaimsAsData, AnUnknownEstimatorFailsAtLoad) {
  EXPECT_EQ(validation_error(config_text(claim_with_part(
                "scenario = \"hello-10k\"\nmetric = \"rss_mean_kib\"\nestimator = \"median\"\n"
                "a = \"go\"\n"))),
            "/cfg/claims.toml:4:1: claim 'made-up'.part[0]: unknown estimator 'median' (known: "
            "value, ratio, difference, held_rate)");
}

TEST(ClaimsAsData, AnUnknownSourceFailsAtLoad) {
  EXPECT_EQ(validation_error(config_text(claim_with_part(
                "source = \"sweeps\"\nmetric = \"capacity_rps\"\na = \"go\"\n"))),
            "/cfg/claims.toml:4:1: claim 'made-up'.part[0]: unknown source 'sweeps' (known: "
            "trials, capacity, builds, binaries, microbenchmarks, sources)");
}

TEST(ClaimsAsData, EstimatorsTakeTheServersTheyNeed) {
  // A ratio needs b; a value takes none; held_rate only reads a capacity.
  EXPECT_THAT(validation_error(config_text(claim_with_part(
                  "scenario = \"hello-10k\"\nmetric = \"rss_mean_kib\"\na = \"go\"\n"))),
              HasSubstr("part[0]: estimator ratio needs 'b'"));
  EXPECT_THAT(validation_error(config_text(claim_with_part(
                  "scenario = \"hello-10k\"\nmetric = \"rss_mean_kib\"\nestimator = \"value\"\n"
                  "a = \"go\"\nb = \"rust\"\n"))),
              HasSubstr("part[0]: estimator value takes no 'b'"));
  EXPECT_THAT(validation_error(config_text(claim_with_part(
                  "scenario = \"hello-10k\"\nmetric = \"rps\"\nestimator = \"held_rate\"\n"
                  "a = \"go\"\n"))),
              HasSubstr("part[0]: held_rate goes with source 'capacity', and only with it"));
}

TEST(ClaimsAsData, APartMustSayWhereItsFigureComesFrom) {
  EXPECT_THAT(validation_error(config_text(claim_with_part(
                  "metric = \"rss_mean_kib\"\na = \"go\"\nb = \"rust\"\n"))),
              HasSubstr("part[0]: a trials part needs 'scenario' or 'sweep'"));
  EXPECT_THAT(validation_error(config_text(claim_with_part(
                  "scenario = \"hello-10k\"\nsweep = \"regime\"\nmetric = \"rss_mean_kib\"\n"
                  "a = \"go\"\nb = \"rust\"\n"))),
              HasSubstr("part[0]: sweep 'regime' runs scenario 'service-wait', not 'hello-10k'"));
  EXPECT_THAT(validation_error(config_text(claim_with_part(
                  "scenario = \"hello-10k\"\npoint = \"rust-20pct-cpu\"\n"
                  "metric = \"rss_mean_kib\"\na = \"go\"\nb = \"rust\"\n"))),
              HasSubstr("part[0]: 'point' needs 'sweep'"));
  EXPECT_THAT(validation_error(config_text(claim_with_part(
                  "source = \"capacity\"\nmetric = \"capacity_rps\"\nestimator = \"held_rate\"\n"
                  "a = \"go\"\n"))),
              HasSubstr("part[0]: a capacity part needs 'sweep'"));
}

TEST(ClaimsAsData, AClaimWhoseComputationThrowsReportsAnErrorNotAVerdict) {
  // Read back from a results file (bypassing validation), a part names a metric that does not
  // exist: evaluating it throws. That claim says "error" and claim_errors counts it; the claim
  // beside it is evaluated as usual.
  const json config = json::array(
      {{{"id", "broken"},
        {"text", "a claim with a typo"},
        {"parts", json::array({{{"scenario", "holds"},
                                {"metric", "rss_mena_kib"},
                                {"a", "go"},
                                {"b", "rust"},
                                {"side", "at_most"},
                                {"threshold", 1.15}}})}},
       {{"id", "memory"},
        {"text", "go/rust memory"},
        {"parts", json::array({{{"scenario", "holds"},
                                {"metric", "rss_mean_kib"},
                                {"a", "go"},
                                {"b", "rust"},
                                {"side", "at_most"},
                                {"threshold", 1.15}}})}}});
  const json out = evaluate_claims(memory_document(), claims_from_json(config));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0]["id"], "broken");
  EXPECT_EQ(out[0]["verdict"], "error");
  EXPECT_EQ(out[0]["reason"], "evaluating this claim failed: unknown metric 'rss_mena_kib'");
  EXPECT_EQ(out[0]["sentence"],
            "hellobench could not evaluate \"a claim with a typo\": unknown metric 'rss_mena_kib'");
  EXPECT_EQ(out[1]["verdict"], "holds");
  EXPECT_EQ(claim_errors(out), 1);
  EXPECT_EQ(claim_errors(evaluate_claims(memory_document(), claims_from_json(config[1]))), 0);
}

TEST(ClaimsAsData, TheConfigRoundTripsThroughResultsJsonKeepingEveryField) {
  ClaimConfig c;
  c.id = "json";
  c.text = "JSON handling in Go is within 2x of Rust";
  c.unit = "ratio";
  c.figures = {{"ratio_go_rust_max", 2}};
  c.regime = "the service's payloads";
  ClaimPart regime;
  regime.role = "regime";
  regime.label = "marginal CPU of POST /orders";
  regime.source = "trials";
  regime.scenario = "orders-10k";
  regime.minus_scenario = "hello-10k";
  regime.metric = "cpu_us_per_request";
  regime.estimator = "ratio";
  regime.a = "go";
  regime.b = "rust";
  regime.side = "at_most";
  regime.threshold = 2;
  ClaimPart context;
  context.role = "context";
  context.label = "parsing a 100-item order";
  context.source = "microbenchmarks";
  context.metric = "json_ns_per_op";
  context.estimator = "value";
  context.a = "go";
  context.where_fields = {{"payload", "order-100"}, {"operation", "parse"}};
  ClaimPart point;
  point.sweep = "regime";
  point.point = "rust-20pct-cpu";
  point.metric = "startup_ms";
  point.estimator = "difference";
  point.a = "go";
  point.b = "rust";
  point.side = "at_least";
  point.threshold = -5;
  c.parts = {regime, context, point};

  // Through text, as results.json keeps it.
  const std::vector<ClaimConfig> back =
      claims_from_json(json::parse(claims_config_json({c}).dump()));
  ASSERT_EQ(back.size(), 1u);
  const ClaimConfig& r = back[0];
  EXPECT_EQ(r.id, c.id);
  EXPECT_EQ(r.text, c.text);
  EXPECT_EQ(r.unit, c.unit);
  EXPECT_EQ(r.figures, c.figures);
  EXPECT_EQ(r.regime, c.regime);
  ASSERT_EQ(r.parts.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    const ClaimPart& want = c.parts[i];
    const ClaimPart& got = r.parts[i];
    EXPECT_EQ(got.role, want.role) << i;
    EXPECT_EQ(got.label, want.label) << i;
    EXPECT_EQ(got.source, want.source) << i;
    EXPECT_EQ(got.scenario, want.scenario) << i;
    EXPECT_EQ(got.minus_scenario, want.minus_scenario) << i;
    EXPECT_EQ(got.sweep, want.sweep) << i;
    EXPECT_EQ(got.point, want.point) << i;
    EXPECT_EQ(got.metric, want.metric) << i;
    EXPECT_EQ(got.estimator, want.estimator) << i;
    EXPECT_EQ(got.a, want.a) << i;
    EXPECT_EQ(got.b, want.b) << i;
    EXPECT_EQ(got.where_fields, want.where_fields) << i;
    EXPECT_EQ(got.side, want.side) << i;
    EXPECT_EQ(got.threshold, want.threshold) << i;
  }
  EXPECT_FALSE(r.parts[1].threshold.has_value());  // shown, not judged: stays so
}

TEST(ClaimsAsData, EveryClaimOfTheShippedConfigEvaluatesOnARunThatMeasuredNothing) {
  // No claim of hellobench.toml may throw on a results file without its figures: each is
  // inconclusive, and each regime part's reason says what was not measured.
  const Config config = load_config(std::filesystem::path(HELLOBENCH_SOURCE_DIR) / "hellobench.toml");
  ASSERT_NO_THROW(validate_claims(config));
  const json out = evaluate_claims(document({"cpp", "go", "rust"}), config.claims);
  ASSERT_EQ(out.size(), config.claims.size());
  EXPECT_EQ(claim_errors(out), 0);
  for (const json& c : out) {
    EXPECT_EQ(c["verdict"], "inconclusive") << c["id"];
    EXPECT_FALSE(c["sentence"].get<std::string>().empty()) << c["id"];
    for (const json& p : c["parts"]) {
      if (p["role"] != "regime") continue;
      EXPECT_THAT(p["reason"].get<std::string>(), HasSubstr("not")) << c["id"];
    }
  }
}

}  // namespace
}  // namespace hellobench
