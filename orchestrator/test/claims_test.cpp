// Claim verdicts from hand-made results documents (test/data/claims_*.json): every verdict
// path of the rule, with the medians and intervals worked out in the comments.
#include "analysis/claims.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <set>

#include "config/config.hpp"
#include "core/errors.hpp"
#include "output/report.hpp"
#include "analysis/summary.hpp"

namespace hellobench {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

json fixture(const std::string& name) {
  std::ifstream in(std::string(HELLOBENCH_TEST_DATA_DIR) + "/" + name);
  EXPECT_TRUE(in) << name;
  return json::parse(in);
}

ClaimConfig claim(const std::string& id, std::vector<std::string> scenarios,
                  const std::string& direction, double threshold) {
  ClaimConfig c;
  c.id = id;
  c.text = "the article's " + id;
  c.scenarios = std::move(scenarios);
  c.direction = direction;
  c.threshold = threshold;
  return c;
}

// The memory claim on hello-10k only (go/rust at most 1.15), evaluated on one fixture.
json memory_verdict(const std::string& file) {
  const json out =
      evaluate_claims(fixture(file), {claim("memory", {"hello-10k"}, "at_most", 1.15)});
  EXPECT_EQ(out.size(), 1u);
  return out.at(0);
}

TEST(Claims, HoldsWhenTheWholeIntervalIsOnTheClaimsSide) {
  // go rss {100, 101, 102} (the invalid 900 is left out), rust {100, 100, 100}: ratio 101/100;
  // a resampled go median is one of the three values, so the interval is [1.00, 1.02] <= 1.15.
  const json c = memory_verdict("claims_memory_holds.json");
  EXPECT_EQ(c["verdict"], "holds");
  EXPECT_DOUBLE_EQ(c["measured"]["value"].get<double>(), 1.01);
  EXPECT_DOUBLE_EQ(c["measured"]["ci95"][0].get<double>(), 1.00);
  EXPECT_DOUBLE_EQ(c["measured"]["ci95"][1].get<double>(), 1.02);
  EXPECT_EQ(c["measured"]["n"], 3);
  EXPECT_DOUBLE_EQ(c["measured"]["per_server"]["go"].get<double>(), 101);
  EXPECT_EQ(c["comparison"], "go/rust");
  EXPECT_EQ(c["side"], "at_most");
  EXPECT_DOUBLE_EQ(c["threshold"].get<double>(), 1.15);
  EXPECT_THAT(c["reason"].get<std::string>(), HasSubstr("wholly at or below 1.15"));
}

TEST(Claims, DoesNotHoldWhenTheWholeIntervalIsOnTheOtherSide) {
  // go {200, 210, 220} / rust 100: 2.1, interval [2.0, 2.2], wholly above 1.15.
  const json c = memory_verdict("claims_memory_does_not_hold.json");
  EXPECT_EQ(c["verdict"], "does not hold");
  EXPECT_DOUBLE_EQ(c["measured"]["value"].get<double>(), 2.1);
  EXPECT_DOUBLE_EQ(c["measured"]["ci95"][0].get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(c["measured"]["ci95"][1].get<double>(), 2.2);
  EXPECT_THAT(c["reason"].get<std::string>(), HasSubstr("wholly above 1.15"));
}

TEST(Claims, InconclusiveWhenTheIntervalStraddlesTheFigure) {
  // go {100, 115, 130} / rust 100: 1.15, interval [1.00, 1.30] (each extreme has P = 7/27).
  const json c = memory_verdict("claims_memory_straddles.json");
  EXPECT_EQ(c["verdict"], "inconclusive");
  EXPECT_DOUBLE_EQ(c["measured"]["ci95"][0].get<double>(), 1.00);
  EXPECT_DOUBLE_EQ(c["measured"]["ci95"][1].get<double>(), 1.30);
  EXPECT_THAT(c["reason"].get<std::string>(), HasSubstr("straddles 1.15"));
}

TEST(Claims, OneTrialEachIsASingleValueAndCannotDecide) {
  // go 200 / rust 100 = 2, far above 1.15, but n = 1 is no interval.
  const json c = memory_verdict("claims_memory_n1.json");
  EXPECT_EQ(c["verdict"], "inconclusive");
  EXPECT_DOUBLE_EQ(c["measured"]["value"].get<double>(), 2);
  EXPECT_EQ(c["measured"]["n"], 1);
  EXPECT_THAT(c["reason"].get<std::string>(), HasSubstr("n = 1"));
}

TEST(Claims, ALoadGeneratorBoundThroughputTrialMakesItInconclusive) {
  // go's closed-loop rps {50000, 52000, 51000} is wholly above 10,000, but one trial was
  // load-generator-bound: the figure is a floor, not the server's maximum.
  const json out =
      evaluate_claims(fixture("claims_latency.json"), {claim("go-10k", {"hello"}, "at_most", 10)});
  EXPECT_EQ(out[0]["verdict"], "inconclusive");
  EXPECT_THAT(out[0]["reason"].get<std::string>(), HasSubstr("load-generator-bound"));
  EXPECT_DOUBLE_EQ(out[0]["measured"]["value"].get<double>(), 51000);
}

TEST(Claims, AKindOfBuildTheProfileDidNotRunIsNotMeasured) {
  const json out =
      evaluate_claims(fixture("claims_latency.json"), {claim("build-ci", {}, "at_least", 4)});
  EXPECT_EQ(out[0]["verdict"], "inconclusive");
  EXPECT_TRUE(out[0]["measured"].is_null());
  EXPECT_THAT(out[0]["reason"].get<std::string>(),
              HasSubstr("build-ci: not measured in the quick profile; run --profile full or "
                        "hellobench build --kinds ci"));
}

TEST(Claims, DevLoopRebuildRatioComesFromTheIncrementalBuilds) {
  // rust {1.2, 1.5, 1.8} / go {1, 1, 1} = 1.5, interval [1.2, 1.8]: wholly below 22.
  // cpp/go (2.0) is shown beside it, not judged.
  const json out = evaluate_claims(fixture("claims_latency.json"),
                                   {claim("build-dev-loop", {}, "at_least", 22)});
  const json& c = out[0];
  EXPECT_EQ(c["verdict"], "does not hold");
  EXPECT_EQ(c["comparison"], "rust/go");
  EXPECT_DOUBLE_EQ(c["measured"]["value"].get<double>(), 1.5);
  EXPECT_DOUBLE_EQ(c["measured"]["ci95"][0].get<double>(), 1.2);
  EXPECT_DOUBLE_EQ(c["measured"]["ci95"][1].get<double>(), 1.8);
  ASSERT_EQ(c["parts"].size(), 2u);
  EXPECT_EQ(c["parts"][1]["comparison"], "cpp/go");
  EXPECT_DOUBLE_EQ(c["parts"][1]["measured"]["value"].get<double>(), 2.0);
  EXPECT_TRUE(c["parts"][1]["verdict"].is_null());
}

TEST(Claims, P95IsTheDifferenceOfMediansInMilliseconds) {
  // go p95 {5, 5.5, 6} ms - rust {1, 1, 1} ms = 4.5 ms, interval [4, 5]: wholly above 3.
  // io-1k is not in the quick profile: named as not measured, the measured part decides.
  const json out = evaluate_claims(fixture("claims_latency.json"),
                                   {claim("p95", {"hello-10k", "io-1k"}, "at_most", 3)});
  const json& c = out[0];
  EXPECT_EQ(c["verdict"], "does not hold");
  EXPECT_EQ(c["comparison"], "go - rust");
  EXPECT_EQ(c["unit"], "ms");
  EXPECT_DOUBLE_EQ(c["measured"]["value"].get<double>(), 4.5);
  EXPECT_DOUBLE_EQ(c["measured"]["ci95"][0].get<double>(), 4);
  EXPECT_DOUBLE_EQ(c["measured"]["ci95"][1].get<double>(), 5);
  ASSERT_EQ(c["not_measured"].size(), 1u);
  EXPECT_THAT(c["not_measured"][0].get<std::string>(),
              HasSubstr("io-1k: not measured in the quick profile"));
}

TEST(Claims, GoHoldsTheFixedRateWhenEveryValidTrialKeepsP99InTheBound) {
  // rps 10000, 9999, 10000 (>= 99% of 10,000) with p99 {4, 5, 6} ms, all <= 10 ms.
  const json out = evaluate_claims(fixture("claims_latency.json"),
                                   {claim("go-10k", {"hello-10k"}, "at_most", 10)});
  EXPECT_EQ(out[0]["verdict"], "holds");
  EXPECT_DOUBLE_EQ(out[0]["measured"]["value"].get<double>(), 5);
  EXPECT_THAT(out[0]["reason"].get<std::string>(), HasSubstr("in 3 of 3 valid trials"));
}

TEST(Claims, GoFailsTheFixedRateWhenNoTrialKeepsP99InTheBound) {
  // The same trials against a 3 ms bound: every p99 (4, 5, 6 ms) is above it.
  const json out = evaluate_claims(fixture("claims_latency.json"),
                                   {claim("go-10k", {"hello-10k"}, "at_most", 3)});
  EXPECT_EQ(out[0]["verdict"], "does not hold");
  EXPECT_THAT(out[0]["reason"].get<std::string>(), HasSubstr("in 0 of 3 valid trials"));
}

TEST(Claims, IoBoundSpreadIsTheRangeOfServerMediansOverTheOverallMedian) {
  // p50: medians cpp 100, go 101, rust 100 ms; the 9 pooled values have median 100, so the
  // spread is 1/100 = 0.01 (every server constant: interval [0.01, 0.01]) <= 0.02: holds.
  // p95: go 104 ms: 4/100 = 0.04, wholly above 0.02: the claim does not hold.
  const json out =
      evaluate_claims(fixture("claims_latency.json"), {claim("io-bound", {"io"}, "at_most", 0.02)});
  const json& c = out[0];
  EXPECT_EQ(c["verdict"], "does not hold");
  ASSERT_EQ(c["parts"].size(), 2u);
  EXPECT_EQ(c["parts"][0]["verdict"], "holds");
  EXPECT_DOUBLE_EQ(c["parts"][0]["measured"]["value"].get<double>(), 0.01);
  EXPECT_DOUBLE_EQ(c["parts"][0]["measured"]["ci95"][1].get<double>(), 0.01);
  EXPECT_EQ(c["parts"][1]["verdict"], "does not hold");
  EXPECT_DOUBLE_EQ(c["parts"][1]["measured"]["value"].get<double>(), 0.04);
  EXPECT_DOUBLE_EQ(c["measured"]["per_server"]["go"].get<double>(), 104);
}

TEST(Claims, BinarySizeIsExactSoOneValueDecides) {
  // go 6,000,000 / rust 1,000,000 stripped bytes = 6 > 1: "small" does not hold; go needs no
  // shared library beyond the C runtime ("single" holds); cpp's Boost.JSON and libstdc++ show.
  const json out =
      evaluate_claims(fixture("claims_latency.json"), {claim("binary", {}, "at_most", 1)});
  const json& c = out[0];
  EXPECT_EQ(c["verdict"], "does not hold");
  EXPECT_DOUBLE_EQ(c["measured"]["value"].get<double>(), 6);
  EXPECT_EQ(c["measured"]["exact"], true);
  EXPECT_EQ(c["parts"][1]["verdict"], "holds");
  EXPECT_EQ(c["parts"][1]["measured"]["per_server"]["cpp"],
            json::array({"libboost_json.so.1.81.0", "libstdc++.so.6"}));
  EXPECT_EQ(c["parts"][1]["measured"]["per_server"]["go"], json::array());
}

TEST(Claims, StartupPoolsEveryValidTrialOfGo) {
  // go startup_ms {5, 6, 7} (hello-10k) and {6, 6, 6} (hello): median 6, all <= 100 ms.
  const json out =
      evaluate_claims(fixture("claims_latency.json"), {claim("startup", {}, "at_most", 100)});
  EXPECT_EQ(out[0]["verdict"], "holds");
  EXPECT_DOUBLE_EQ(out[0]["measured"]["value"].get<double>(), 6);
  EXPECT_EQ(out[0]["measured"]["n"], 6);
  EXPECT_DOUBLE_EQ(out[0]["measured"]["per_server"]["rust"].get<double>(), 3);
}

TEST(Claims, LinesOfCodeAreReportedInconclusiveWithTheReason) {
  const json out = evaluate_claims(fixture("claims_latency.json"), {claim("loc", {}, "", 0)});
  EXPECT_EQ(out[0]["verdict"], "inconclusive");
  EXPECT_THAT(out[0]["reason"].get<std::string>(), HasSubstr("not comparable"));
}

TEST(Claims, AFigureTheStatisticsRejectIsInconclusiveWithTheError) {
  // A negative memory figure cannot make a ratio (ratio_of_medians throws): the claim says
  // so instead of failing the whole run at its end.
  json doc = fixture("claims_memory_holds.json");
  doc["trials"][0]["rss_mean_kib"] = -5;
  const json out = evaluate_claims(doc, {claim("memory", {"hello-10k"}, "at_most", 1.15)});
  EXPECT_EQ(out[0]["verdict"], "inconclusive");
  EXPECT_THAT(out[0]["reason"].get<std::string>(),
              HasSubstr("memory: could not be evaluated: ratio_of_medians: sample 0 of a is "
                        "negative"));
}

TEST(Claims, EveryEntryNamesItsScope) {
  const json out =
      evaluate_claims(fixture("claims_latency.json"), {claim("startup", {}, "at_most", 100)});
  EXPECT_EQ(out[0]["scope"],
            "these servers (cpp, go, rust), this machine (Test CPU, 2 cores, servers on 1 "
            "thread(s)), the quick profile");
  EXPECT_EQ(out[0]["text"], "the article's startup");
}

TEST(Claims, ConfigRoundTripsThroughResultsJson) {
  const std::vector<ClaimConfig> in{claim("memory", {"hello-10k"}, "at_most", 1.15)};
  const std::vector<ClaimConfig> back = claims_from_json(claims_config_json(in));
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].id, "memory");
  EXPECT_EQ(back[0].scenarios, in[0].scenarios);
  EXPECT_EQ(back[0].direction, "at_most");
  EXPECT_DOUBLE_EQ(back[0].threshold.value(), 1.15);
}

std::string minimal_config_text() {
  std::ifstream in(std::string(HELLOBENCH_TEST_DATA_DIR) + "/config_minimal.toml");
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(Claims, ConfigReadsTheVerdictRule) {
  // config_minimal.toml ends inside its one [[claim]] table ("cpu").
  const Config config =
      parse_config(minimal_config_text() +
                       "metric = \"cpu_us_per_request\"\ndirection = \"at_most\"\n"
                       "threshold = 1.05\n",
                   std::string(HELLOBENCH_TEST_DATA_DIR) + "/config_minimal.toml");
  ASSERT_EQ(config.claims.size(), 1u);
  EXPECT_EQ(config.claims[0].metric, "cpu_us_per_request");
  EXPECT_EQ(config.claims[0].direction, "at_most");
  EXPECT_DOUBLE_EQ(config.claims[0].threshold.value(), 1.05);
}

TEST(Claims, ConfigRejectsAnUnknownDirection) {
  try {
    parse_config(minimal_config_text() + "direction = \"about\"\n",
                 std::string(HELLOBENCH_TEST_DATA_DIR) + "/config_minimal.toml");
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("claim 'cpu'.direction: 'about' is not 'at_most' or"));
  }
}

TEST(Claims, ConfigRejectsAThresholdWithoutADirection) {
  try {
    parse_config(minimal_config_text() + "threshold = 2\n",
                 std::string(HELLOBENCH_TEST_DATA_DIR) + "/config_minimal.toml");
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("claim 'cpu'.threshold: needs a direction"));
  }
}

TEST(Claims, TheTerminalSummaryEndsWithOneLinePerClaimWithinAHundredColumns) {
  json doc = fixture("claims_memory_does_not_hold.json");
  doc["claims"] = evaluate_claims(doc, {claim("memory", {"hello-10k"}, "at_most", 1.15)});
  const std::string table = render_terminal_summary(doc);
  // Columns of 16, 46 and 14 characters, then the verdict.
  EXPECT_THAT(table, HasSubstr("\nmemory          go/rust 2.10 [2.00, 2.20] n=3                 "
                               "<= 1.15       does not hold\n"));
  std::size_t start = 0;
  while (start < table.size()) {
    const std::size_t end = std::min(table.find('\n', start), table.size());
    EXPECT_LE(end - start, 100u) << table.substr(start, end - start);
    start = end + 1;
  }
}

TEST(Claims, TheMarkdownReportShowsTheFigureIntervalVerdictAndReason) {
  json doc = fixture("claims_memory_does_not_hold.json");
  doc["claims"] = evaluate_claims(doc, {claim("memory", {"hello-10k"}, "at_most", 1.15)});
  const std::string md = render_markdown(doc);
  EXPECT_THAT(md,
              HasSubstr("| memory | the article's memory (read as <= 1.15) | go/rust 2.10 ratio "
                        "[2.00, 2.20], n = 3 | **does not hold** | go/rust rss_mean_kib on "
                        "hello-10k = 2.10 [2.00, 2.20] (n = 3) is wholly above 1.15"));
}

TEST(Claims, ARealSmokeRunEvaluatesEveryClaimOfTheRepositoryConfig) {
  // results.json of `hellobench run --profile smoke` (n = 1): every claim gets a verdict and
  // a reason.
  const Config config = load_config(std::string(HELLOBENCH_SOURCE_DIR) + "/hellobench.toml");
  const json out = evaluate_claims(fixture("claims_smoke_results.json"), config.claims);
  ASSERT_EQ(out.size(), config.claims.size());
  const std::set<std::string> verdicts{"holds", "does not hold", "inconclusive"};
  for (const json& c : out) {
    EXPECT_TRUE(verdicts.count(c["verdict"].get<std::string>())) << c["id"];
    EXPECT_FALSE(c["reason"].get<std::string>().empty()) << c["id"];
    // n = 1 per scenario supports no sampled verdict: only exact figures (binary) and the
    // startup time, pooled over every trial (n = 5), may decide.
    if (c["verdict"] != "inconclusive") {
      EXPECT_TRUE(c["id"] == "binary" || c["id"] == "startup") << c["id"];
    }
  }
}

}  // namespace
}  // namespace hellobench
