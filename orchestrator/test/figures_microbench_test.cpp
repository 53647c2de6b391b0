// Figures on the JSON microbenchmarks (results.json `microbenchmarks`): a row's
// samples_ns_per_op are its samples, and two languages' samples never pair, even though both
// are numbered 1..n (each harness ran at its own time), so a go/rust ratio is the unpaired
// order-statistic interval with its Bonferroni coverage. Every document is built here by hand.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "analysis/figures.hpp"

namespace hellobench {
namespace {

using nlohmann::json;
using ::testing::DoubleEq;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

json with_rows(const json& rows) {
  return {{"profile", {{"name", "quick"}}},
          {"servers", json::array({{{"name", "go"}}, {{"name", "rust"}}})},
          {"trials", json::array()},
          {"microbenchmarks", {{"rows", rows}}}};
}

json row(const std::string& language, double ns_per_op, const json& samples) {
  json r = {{"language", language},   {"payload", "order-10"}, {"operation", "parse"},
            {"ns_per_op", ns_per_op}, {"bytes_per_op", 1616},  {"allocs_per_op", 56},
            {"iterations", 1000000}};
  if (!samples.is_null()) r["samples_ns_per_op"] = samples;
  return r;
}

Selection order10_parse(const char* metric = "json_ns_per_op") {
  Selection s;
  s.metric = find_metric(metric);
  EXPECT_NE(s.metric, nullptr) << metric;
  s.where = {{"payload", "order-10"}, {"operation", "parse"}};
  return s;
}

// go: sorted 2100 2120 2140 2160 2160 2180 2200 2240 2300 2400 (median 2170);
// rust: sorted 1000 1008 1020 1036 1040 1060 1072 1080 1096 1100 (median 1050).
const json kGo = {2160, 2100, 2400, 2140, 2200, 2180, 2300, 2120, 2240, 2160};
const json kRust = {1040, 1100, 1000, 1072, 1020, 1096, 1008, 1060, 1080, 1036};

TEST(FiguresMicrobench, EachOfARowsSamplesIsASampleNumbered1ToN) {
  const json doc = with_rows(json::array({row("go", 2170, kGo), row("rust", 1050, kRust)}));
  const Figures figures(doc);  // Figures keeps a reference to the document
  const Samples go = figures.samples(order10_parse(), "go");
  EXPECT_THAT(go.values, ElementsAre(2160, 2100, 2400, 2140, 2200, 2180, 2300, 2120, 2240, 2160));
  EXPECT_THAT(go.rounds, ElementsAre(1, 2, 3, 4, 5, 6, 7, 8, 9, 10));
  EXPECT_TRUE(go.unpaired);
  EXPECT_FALSE(go.exact);
  // The samples are of ns/op only: allocations per op stay the row's one figure.
  EXPECT_THAT(figures.samples(order10_parse("json_allocs_per_op"), "go").values, ElementsAre(56));
}

TEST(FiguresMicrobench, ARowWithoutSamplesGivesItsOneNsPerOp) {
  const json doc = with_rows(json::array({row("go", 2170, nullptr)}));
  const Figures figures(doc);
  const Samples go = figures.samples(order10_parse(), "go");
  EXPECT_THAT(go.values, ElementsAre(2170));
  EXPECT_THAT(go.rounds, ElementsAre(1));
  EXPECT_TRUE(go.unpaired);
}

TEST(FiguresMicrobench, TenSamplesPerSideGiveAnUnpairedRatioWithBonferroniCoverageOver95) {
  // Both sides have rounds 1..10, which pair_rounds would match one to one; they must not pair.
  //
  // Worked by hand. Each side's median interval is taken at the Bonferroni level
  // 1 - 0.05 / 2 = 0.975. For n = 10 the symmetric ranks (l, 11 - l) cover the median with
  // probability 1 - 2 * sum_{k < l} C(10, k) / 2^10:
  //   l = 3: 1 - 2 * (1 + 10 + 45) / 1024 = 912 / 1024 = 0.890625   (< 0.975)
  //   l = 2: 1 - 2 * (1 + 10) / 1024     = 1002 / 1024 = 0.978515625 (>= 0.975)
  // so each side is [X_(2), X_(9)]: go [2120, 2300], rust [1008, 1096], and the ratio interval
  // is [2120 / 1096, 2300 / 1008] around 2170 / 1050. Bonferroni: P(both cover) >=
  // 0.978515625 + 0.978515625 - 1 = 980 / 1024 = 0.95703125, which reaches 95%; independent
  // sides would give 0.978515625^2 = 0.957491...
  const json doc = with_rows(json::array({row("go", 2170, kGo), row("rust", 1050, kRust)}));
  const Figures figures(doc);  // Figures keeps a reference to the document
  const Estimate e = figures.ratio(order10_parse(), "go", "rust");
  ASSERT_TRUE(e.measured) << e.why_not;
  EXPECT_FALSE(e.paired);
  EXPECT_EQ(e.method, "order-statistic, Bonferroni");
  EXPECT_EQ(e.n, 10u);
  EXPECT_THAT(e.value, DoubleEq(2170.0 / 1050.0));
  EXPECT_THAT(e.low, DoubleEq(2120.0 / 1096.0));
  EXPECT_THAT(e.high, DoubleEq(2300.0 / 1008.0));
  EXPECT_THAT(e.coverage, DoubleEq(980.0 / 1024.0));
  EXPECT_TRUE(e.coverage_reached);
  EXPECT_THAT(e.medians.at("go"), DoubleEq(2170));
  EXPECT_THAT(e.medians.at("rust"), DoubleEq(1050));
  const json out = e.to_json();
  EXPECT_EQ(out["paired"], false);
  EXPECT_EQ(out["n"], 10);

  // Paired by round number the same figures would give the median of the ten per-round ratios
  // (2160/1040, 2100/1100, ...), a different interval with 97.9% coverage: not what we want.
  const Estimate d = figures.difference(order10_parse(), "go", "rust");
  ASSERT_TRUE(d.measured);
  EXPECT_FALSE(d.paired);
  EXPECT_THAT(d.value, DoubleEq(2170.0 - 1050.0));
  EXPECT_THAT(d.low, DoubleEq(2120.0 - 1096.0));
  EXPECT_THAT(d.high, DoubleEq(2300.0 - 1008.0));
}

TEST(FiguresMicrobench, SixSamplesPerSideCannotReach95Percent) {
  // n = 6: even the range [X_(1), X_(6)] covers with 1 - 2 / 64 = 0.96875 < 0.975, so each
  // side is its range at 0.96875 and the Bonferroni bound is 2 * 0.96875 - 1 = 0.9375.
  const json go = {2100, 2200, 2150, 2300, 2120, 2250};
  const json rust = {1000, 1100, 1050, 1020, 1080, 1060};
  const json doc = with_rows(json::array({row("go", 2175, go), row("rust", 1055, rust)}));
  const Figures figures(doc);
  const Estimate e = figures.ratio(order10_parse(), "go", "rust");
  ASSERT_TRUE(e.measured);
  EXPECT_FALSE(e.paired);
  EXPECT_THAT(e.coverage, DoubleEq(0.9375));
  EXPECT_FALSE(e.coverage_reached);
  EXPECT_THAT(e.low, DoubleEq(2100.0 / 1100.0));
  EXPECT_THAT(e.high, DoubleEq(2300.0 / 1000.0));
}

TEST(FiguresMicrobench, OneValuePerSideIsUnpairedTooAndCannotDecide) {
  // The old files (ns_per_op alone): n = 1 per side, coverage 0, never a verdict.
  const json doc = with_rows(json::array({row("go", 2170, nullptr), row("rust", 1050, nullptr)}));
  const Figures figures(doc);
  const Estimate e = figures.ratio(order10_parse(), "go", "rust");
  ASSERT_TRUE(e.measured);
  EXPECT_FALSE(e.paired);
  EXPECT_EQ(e.n, 1u);
  EXPECT_THAT(e.value, DoubleEq(2170.0 / 1050.0));
  EXPECT_EQ(e.coverage, 0);
  EXPECT_FALSE(e.coverage_reached);
}

TEST(FiguresMicrobench, AMissingLanguageSaysHowToMeasureIt) {
  const json doc = with_rows(json::array({row("go", 2170, kGo)}));
  const Figures figures(doc);
  const Estimate e = figures.ratio(order10_parse(), "go", "rust");
  EXPECT_FALSE(e.measured);
  EXPECT_THAT(e.why_not, HasSubstr("no JSON microbenchmark rows for rust"));
}

}  // namespace
}  // namespace hellobench
