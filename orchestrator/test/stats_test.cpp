// Statistics against values worked out by hand, and against scipy 1.17
// (scipy.stats.mannwhitneyu(a, b, alternative="two-sided", method=..., use_continuity=True)),
// whose figures are written in below.
#include "analysis/stats.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

namespace hellobench::stats {
namespace {

using ::testing::ElementsAre;

// Deliberately unsorted: {1, 2, 3, 4, 10}. Type 7 puts quantile q at rank h = (n - 1) q = 4q.
const std::vector<double> kFive = {10, 1, 4, 2, 3};

TEST(Quantile, TypeSevenHitsOrderStatisticsAtWholeRanks) {
  EXPECT_DOUBLE_EQ(quantile(kFive, 0.0), 1);
  EXPECT_DOUBLE_EQ(quantile(kFive, 0.25), 2);  // h = 1
  EXPECT_DOUBLE_EQ(quantile(kFive, 0.5), 3);   // h = 2
  EXPECT_DOUBLE_EQ(quantile(kFive, 0.75), 4);  // h = 3
  EXPECT_DOUBLE_EQ(quantile(kFive, 1.0), 10);
}

TEST(Quantile, TypeSevenInterpolatesBetweenOrderStatistics) {
  EXPECT_DOUBLE_EQ(quantile(kFive, 0.1), 1.4);  // h = 0.4: 1 + 0.4 * (2 - 1)
  EXPECT_DOUBLE_EQ(quantile(kFive, 0.9), 7.6);  // h = 3.6: 4 + 0.6 * (10 - 4)
}

TEST(Quantile, OfOneSampleIsThatSample) { EXPECT_DOUBLE_EQ(quantile({7.5}, 0.9), 7.5); }

TEST(Quantile, RejectsEmptyInputQOutsideUnitIntervalAndNaN) {
  EXPECT_THROW(quantile({}, 0.5), std::invalid_argument);
  EXPECT_THROW(quantile(kFive, 1.5), std::invalid_argument);
  EXPECT_THROW(quantile(kFive, -0.1), std::invalid_argument);
  EXPECT_THROW(quantile({1, std::numeric_limits<double>::quiet_NaN()}, 0.5), std::invalid_argument);
}

TEST(Median, OfAnEvenCountIsTheMeanOfTheMiddleTwo) {
  EXPECT_DOUBLE_EQ(median({4, 1, 3, 2}), 2.5);
  EXPECT_DOUBLE_EQ(median(kFive), 3);
}

TEST(TukeyOutliers, MarksValuesBeyondOneAndAHalfIqrByTheirIndex) {
  // Q1 = 2, Q3 = 4, IQR = 2: fences at -1 and 7; 10 sits at index 0.
  EXPECT_THAT(tukey_outliers(kFive), ElementsAre(0u));
}

TEST(TukeyOutliers, AValueExactlyOnTheFenceIsNotAnOutlier) {
  EXPECT_TRUE(tukey_outliers({1, 2, 3, 4, 7}).empty());
}

TEST(TukeyOutliers, MarksBothTails) {
  // {-20, 1, 2, 3, 4, 30}: Q1 = 1.25 (h = 1.25), Q3 = 3.75 (h = 3.75), IQR = 2.5: fences -2.5, 7.5.
  EXPECT_THAT(tukey_outliers({30, 1, 2, -20, 3, 4}), ElementsAre(0u, 3u));
}

TEST(Summarize, ReportsOrderStatisticsMeanAndOutliersWithoutDroppingAny) {
  const Summary s = summarize(kFive);
  EXPECT_EQ(s.n, 5u);
  EXPECT_DOUBLE_EQ(s.median, 3);
  EXPECT_DOUBLE_EQ(s.mean, 4);  // 20 / 5, the outlier included
  EXPECT_DOUBLE_EQ(s.min, 1);
  EXPECT_DOUBLE_EQ(s.max, 10);
  EXPECT_THAT(s.outliers, ElementsAre(0u));
}

TEST(Summarize, OneSampleHasAZeroWidthInterval) {
  const Summary s = summarize({42});
  EXPECT_DOUBLE_EQ(s.median, 42);
  EXPECT_DOUBLE_EQ(s.ci95.low, 42);
  EXPECT_DOUBLE_EQ(s.ci95.high, 42);
}

TEST(Summarize, BootstrapIntervalOfFiveSamplesSpansMinToMax) {
  // A resampled median of 5 draws is 1 when at least 3 draws are 1:
  // P = C(5,3) .2^3 .8^2 + C(5,4) .2^4 .8 + .2^5 = 0.0579 > 0.025, so the 2.5% point is 1;
  // by symmetry the 97.5% point is 5.
  const Summary s = summarize({3, 5, 1, 4, 2});
  EXPECT_DOUBLE_EQ(s.ci95.low, 1);
  EXPECT_DOUBLE_EQ(s.ci95.high, 5);
}

TEST(Summarize, BootstrapIntervalOfNineSamplesFollowsTheBinomialLaw) {
  // The median of 9 draws from {1..9} is <= k when at least 5 draws are <= k:
  // P(<= 1) = 0.0014 and P(<= 2) = 0.0304 bracket 2.5%, so the low end is 2;
  // P(<= 7) = 0.9696 and P(<= 8) = 0.9986 bracket 97.5%, so the high end is 8.
  const Summary s = summarize({9, 1, 8, 2, 7, 3, 6, 4, 5});
  EXPECT_DOUBLE_EQ(s.median, 5);
  EXPECT_DOUBLE_EQ(s.ci95.low, 2);
  EXPECT_DOUBLE_EQ(s.ci95.high, 8);
}

TEST(Summarize, IsReproducibleForASeed) {
  const std::vector<double> samples = {10.1, 9.7, 10.4, 11.2, 9.9, 10.0, 10.8};
  const Summary first = summarize(samples, 7);
  const Summary second = summarize(samples, 7);
  EXPECT_EQ(first.ci95.low, second.ci95.low);
  EXPECT_EQ(first.ci95.high, second.ci95.high);
  EXPECT_LE(first.ci95.low, first.median);
  EXPECT_GE(first.ci95.high, first.median);
}

TEST(Summarize, RejectsNoSamplesAndNoResamples) {
  EXPECT_THROW(summarize({}), std::invalid_argument);
  EXPECT_THROW(summarize({1, 2}, 1, 0), std::invalid_argument);
}

TEST(RatioOfMedians, IsTheQuotientOfTheMedians) {
  EXPECT_DOUBLE_EQ(ratio_of_medians({2, 6, 4}, {1, 3, 2}).ratio, 2);
}

TEST(RatioOfMedians, IntervalComesFromResamplingEachSide) {
  // b's median is always 2. a = {2, 4, 6}: a resampled median is 2 when at least 2 of 3 draws
  // are 2: P = 3 (1/3)^2 (2/3) + (1/3)^3 = 7/27 = 0.26 > 0.025, likewise 6; so the interval of
  // median(a*) / 2 is [2/2, 6/2].
  const Ratio r = ratio_of_medians({2, 4, 6}, {2, 2, 2});
  EXPECT_DOUBLE_EQ(r.ratio, 2);
  EXPECT_DOUBLE_EQ(r.ci95.low, 1);
  EXPECT_DOUBLE_EQ(r.ci95.high, 3);
}

TEST(RatioOfMedians, AResampledZeroDenominatorMakesTheIntervalUnbounded) {
  // median(b) = 1, but a resample of b = {0, 0, 1, 1, 1} has median 0 when at least 3 of its
  // 5 draws are 0: P = 10 .4^3 .6^2 + 5 .4^4 .6 + .4^5 = 0.317 > 0.025, so the 97.5% point is
  // infinite. a is constant: the low end is 1 / 1.
  const Ratio r = ratio_of_medians({1, 1, 1}, {0, 0, 1, 1, 1});
  EXPECT_DOUBLE_EQ(r.ratio, 1);
  EXPECT_DOUBLE_EQ(r.ci95.low, 1);
  EXPECT_EQ(r.ci95.high, std::numeric_limits<double>::infinity());
}

TEST(RatioOfMedians, RejectsAZeroDenominatorMedianNegativeSamplesAndNoSamples) {
  EXPECT_THROW(ratio_of_medians({1, 2}, {0, 0, 1}), std::invalid_argument);
  EXPECT_THROW(ratio_of_medians({1, 2}, {-1, 2, 3}), std::invalid_argument);
  EXPECT_THROW(ratio_of_medians({-1, 2}, {1, 2}), std::invalid_argument);
  EXPECT_THROW(ratio_of_medians({1, 2}, {}), std::invalid_argument);
}

TEST(MannWhitneyU, ThreeAgainstThreeFullySeparatedIsExactlyOneTenth) {
  // One arrangement in C(6,3) = 20 has U = 0 and one has U = 9: p = 2/20.
  const MannWhitney low = mann_whitney_u({1, 2, 3}, {4, 5, 6});
  EXPECT_DOUBLE_EQ(low.u, 0);
  EXPECT_DOUBLE_EQ(low.p_value, 0.1);
  const MannWhitney high = mann_whitney_u({6, 4, 5}, {2, 3, 1});
  EXPECT_DOUBLE_EQ(high.u, 9);
  EXPECT_DOUBLE_EQ(high.p_value, 0.1);
  EXPECT_FALSE(high.significant());  // n = 3 per side can never reach 0.05
  EXPECT_TRUE(high.exact);
  EXPECT_EQ(high.n_a, 3u);
  EXPECT_EQ(high.n_b, 3u);
  EXPECT_DOUBLE_EQ(high.min_p, 0.1);
  EXPECT_FALSE(high.can_reach(0.05));
  EXPECT_FALSE(high.decided(0.05));
  EXPECT_TRUE(high.can_reach(0.2));
  EXPECT_EQ(describe(high), "rank test not run: with 3 and 3 samples its smallest p-value is 0.1");
}

TEST(MannWhitneyU, SmallestPValueIsTwoOverTheNumberOfArrangements) {
  EXPECT_DOUBLE_EQ(min_p_value(3, 3), 2.0 / 20);   // C(6, 3) = 20
  EXPECT_DOUBLE_EQ(min_p_value(4, 4), 2.0 / 70);   // C(8, 4) = 70: reaches 0.05
  EXPECT_DOUBLE_EQ(min_p_value(3, 4), 2.0 / 35);   // does not
  EXPECT_DOUBLE_EQ(min_p_value(5, 3), 2.0 / 56);   // does, either order
  EXPECT_DOUBLE_EQ(min_p_value(2, 8), 2.0 / 45);
  EXPECT_DOUBLE_EQ(min_p_value(1, 39), 2.0 / 40);  // not below 0.05
  EXPECT_DOUBLE_EQ(min_p_value(1, 40), 2.0 / 41);
  EXPECT_DOUBLE_EQ(min_p_value(10, 10), 2.0 / 184756);
  EXPECT_DOUBLE_EQ(min_p_value(1, 1), 1);
  EXPECT_DOUBLE_EQ(min_p_value(0, 5), 1);
  // C(200, 100) ~ 9.05e58 is past exact doubles: the log-space branch.
  EXPECT_NEAR(min_p_value(100, 100) / (2 / 9.054851465610328e58), 1, 1e-10);
}

TEST(MannWhitneyU, FullySeparatedFourAgainstFourIsDecided) {
  const MannWhitney r = mann_whitney_u({1, 2, 3, 4}, {5, 6, 7, 8});
  EXPECT_DOUBLE_EQ(r.p_value, 2.0 / 70);
  EXPECT_TRUE(r.can_reach());
  EXPECT_TRUE(r.decided());
  EXPECT_EQ(describe(r), "Mann-Whitney U = 0, p = 0.029 (exact): significant at 0.05");
  const MannWhitney mixed = mann_whitney_u({1, 3, 5, 7}, {2, 4, 6, 8});
  EXPECT_TRUE(mixed.can_reach());
  EXPECT_FALSE(mixed.decided());
  EXPECT_EQ(describe(mixed),
            "Mann-Whitney U = 6, p = 0.69 (exact): no significant difference at 0.05");
}

TEST(MannWhitneyU, TiedThreeAgainstThreeIsNotDecidedEvenWhenTheApproximationSaysSo) {
  // Normal approximation with ties: Var = 9/12 (7 - 48/30) = 4.05, z = (4.5 - 0.5) / 2.0125 =
  // 1.9876, p = 0.0469 < 0.05, below the 0.1 that an exact test on 3 and 3 can ever give.
  const MannWhitney r = mann_whitney_u({1, 1, 1}, {2, 2, 2});
  EXPECT_FALSE(r.exact);
  EXPECT_NEAR(r.p_value, 0.04685, 1e-4);
  EXPECT_TRUE(r.significant());
  EXPECT_FALSE(r.can_reach());
  EXPECT_FALSE(r.decided());
}

TEST(MannWhitneyU, InterleavedThreeAgainstThreeUsesTheExactDistribution) {
  // Ranks of a: 1, 3, 5 -> U = 9 - 6 = 3. Counts of U = 0..9 over the 20 arrangements:
  // 1 1 2 3 3 3 3 2 1 1, so P(U <= 3) = 7/20 and p = 2 * 7/20 = 0.7 (scipy: 0.7).
  const MannWhitney r = mann_whitney_u({1, 3, 5}, {2, 4, 6});
  EXPECT_DOUBLE_EQ(r.u, 3);
  EXPECT_NEAR(r.p_value, 0.7, 1e-12);
}

TEST(MannWhitneyU, OneAgainstOneCannotShowADifference) {
  EXPECT_DOUBLE_EQ(mann_whitney_u({1}, {2}).p_value, 1);
}

TEST(MannWhitneyU, TenAgainstTenMatchesScipyExact) {
  const std::vector<double> a = {101.2, 99.8, 100.5, 102.1, 98.7, 100.9, 101.7, 99.1, 100.2, 101.0};
  const std::vector<double> b = {97.9, 98.4, 99.5, 96.8, 98.8, 97.2, 99.0, 98.1, 97.5, 98.6};
  const MannWhitney r = mann_whitney_u(a, b);
  EXPECT_DOUBLE_EQ(r.u, 96);
  EXPECT_NEAR(r.p_value, 0.00012990105869362836, 1e-15);
  EXPECT_TRUE(r.significant());
}

TEST(MannWhitneyU, ShiftedSequencesMatchScipyExact) {
  std::vector<double> a;
  std::vector<double> b;
  for (int i = 1; i <= 10; ++i) {
    a.push_back(i);
    b.push_back(i + 4.5);
  }
  const MannWhitney r = mann_whitney_u(a, b);
  EXPECT_DOUBLE_EQ(r.u, 15);
  EXPECT_NEAR(r.p_value, 0.006841455757864427, 1e-14);
}

TEST(MannWhitneyU, UnequalSizesBelowFiftyStayExact) {
  std::vector<double> a;
  std::vector<double> b;
  for (int i = 1; i <= 30; ++i) a.push_back(i);
  for (int i = 1; i <= 20; ++i) b.push_back(i + 7.5);
  const MannWhitney r = mann_whitney_u(a, b);
  EXPECT_DOUBLE_EQ(r.u, 250);
  EXPECT_NEAR(r.p_value, 0.3301634735539673, 1e-12);
}

TEST(MannWhitneyU, TiesUseTheNormalApproximationWithTieAndContinuityCorrection) {
  // Mid-ranks: 1 -> 1; the three 2s -> 3; the two 3s -> 5.5. Rank sum of a = 12.5, U = 2.5.
  // Var = 4*4/12 * (9 - (24 + 6) / (8*7)) = 11.2857; z = (|2.5 - 8| - 0.5) / 3.3594 = 1.4884;
  // p = 2 (1 - Phi(z)) = 0.13666 (scipy asymptotic: 0.1366582477381475).
  const MannWhitney r = mann_whitney_u({1, 2, 2, 3}, {2, 3, 4, 5});
  EXPECT_DOUBLE_EQ(r.u, 2.5);
  EXPECT_NEAR(r.p_value, 0.1366582477381475, 1e-12);
}

TEST(MannWhitneyU, FiftyAgainstFiftyUsesTheNormalApproximation) {
  std::vector<double> a;
  std::vector<double> b;
  for (int i = 1; i <= 50; ++i) {
    a.push_back(i);
    b.push_back(i + 10.5);
  }
  const MannWhitney r = mann_whitney_u(a, b);
  EXPECT_DOUBLE_EQ(r.u, 780);
  EXPECT_NEAR(r.p_value, 0.0012094231070333462, 1e-12);
}

TEST(MannWhitneyU, IdenticalSamplesShowNoDifference) {
  const MannWhitney r = mann_whitney_u({5, 5, 5}, {5, 5, 5});
  EXPECT_DOUBLE_EQ(r.u, 4.5);
  EXPECT_DOUBLE_EQ(r.p_value, 1);
}

TEST(MannWhitneyU, RejectsAnEmptySide) {
  EXPECT_THROW(mann_whitney_u({}, {1, 2}), std::invalid_argument);
}

TEST(DifferenceOfMedians, IsTheDifferenceOfTheMedians) {
  EXPECT_DOUBLE_EQ(difference_of_medians({5, 9, 7}, {1, 3, 2}).difference, 5);
}

TEST(DifferenceOfMedians, IntervalComesFromResamplingEachSide) {
  // b is constant (2). A resampled median of a = {2, 4, 6} is 2 or 6 with P = 7/27 each (see
  // the ratio test above), both > 0.025, so the interval of median(a*) - 2 is [0, 4].
  const Difference d = difference_of_medians({2, 4, 6}, {2, 2, 2});
  EXPECT_DOUBLE_EQ(d.difference, 2);
  EXPECT_DOUBLE_EQ(d.ci95.low, 0);
  EXPECT_DOUBLE_EQ(d.ci95.high, 4);
}

TEST(DifferenceOfMedians, OneSampleEachIsASingleValue) {
  const Difference d = difference_of_medians({3}, {5});
  EXPECT_DOUBLE_EQ(d.difference, -2);
  EXPECT_DOUBLE_EQ(d.ci95.low, -2);
  EXPECT_DOUBLE_EQ(d.ci95.high, -2);
  EXPECT_THROW(difference_of_medians({}, {1}), std::invalid_argument);
}

// ---- order-statistic intervals -------------------------------------------------------------

TEST(OrderStatisticCoverage, IsTheBinomialProbabilityBetweenTheRanks) {
  // P(l <= B <= u - 1), B ~ Binomial(n, 1/2).
  EXPECT_DOUBLE_EQ(order_statistic_coverage(10, 2, 9), 1 - 2 * 11.0 / 1024);  // 0.978515625
  EXPECT_DOUBLE_EQ(order_statistic_coverage(6, 1, 6), 1 - 2.0 / 64);         // 0.96875
  EXPECT_DOUBLE_EQ(order_statistic_coverage(3, 1, 3), 0.75);
  EXPECT_DOUBLE_EQ(order_statistic_coverage(5, 1, 5), 0.9375);
  EXPECT_DOUBLE_EQ(order_statistic_coverage(1, 1, 1), 0);
  // Asymmetric ranks: P(1 <= B <= 3) for n = 5 = (5 + 10 + 10) / 32.
  EXPECT_DOUBLE_EQ(order_statistic_coverage(5, 1, 4), 25.0 / 32);
  // n = 20, (6, 15): 1 - 2 P(B <= 5) = 1 - 2 * 21700 / 2^20.
  EXPECT_DOUBLE_EQ(order_statistic_coverage(20, 6, 15), 1 - 2 * 21700.0 / 1048576);
  EXPECT_THROW(order_statistic_coverage(5, 0, 3), std::invalid_argument);
  EXPECT_THROW(order_statistic_coverage(5, 4, 3), std::invalid_argument);
  EXPECT_THROW(order_statistic_coverage(5, 1, 6), std::invalid_argument);
}

TEST(OrderStatisticCoverage, LargeNUsesLogSpaceAndAgreesWithTheNormalLimit) {
  // n = 100, (40, 61): P(40 <= B <= 60) = 0.9647997997822951 (the exact rational, evaluated).
  EXPECT_NEAR(order_statistic_coverage(100, 40, 61), 0.9647997997822951, 1e-12);
}

TEST(MedianInterval, TenSortedValuesGiveTheSecondAndNinth) {
  const MedianInterval m = median_interval({10, 9, 8, 7, 6, 5, 4, 3, 2, 1});
  EXPECT_EQ(m.n, 10u);
  EXPECT_DOUBLE_EQ(m.median, 5.5);
  EXPECT_EQ(m.rank_low, 2u);
  EXPECT_EQ(m.rank_high, 9u);
  EXPECT_DOUBLE_EQ(m.low, 2);
  EXPECT_DOUBLE_EQ(m.high, 9);
  EXPECT_DOUBLE_EQ(m.coverage, 0.978515625);  // (3, 8) would be 1 - 2 * 56/1024 = 0.89
  EXPECT_TRUE(m.reached);
  EXPECT_DOUBLE_EQ(m.target, 0.95);
  EXPECT_EQ(m.method, "order-statistic");
}

TEST(MedianInterval, SixValuesNeedTheRange) {
  const MedianInterval m = median_interval({3, 1, 6, 2, 5, 4});
  EXPECT_EQ(m.rank_low, 1u);
  EXPECT_EQ(m.rank_high, 6u);
  EXPECT_DOUBLE_EQ(m.low, 1);
  EXPECT_DOUBLE_EQ(m.high, 6);
  EXPECT_DOUBLE_EQ(m.coverage, 0.96875);
  EXPECT_TRUE(m.reached);
}

TEST(MedianInterval, ThreeValuesGiveTheRangeAtSeventyFivePercentNotReached) {
  const MedianInterval m = median_interval({10.2, 9.8, 10.5});
  EXPECT_DOUBLE_EQ(m.median, 10.2);
  EXPECT_DOUBLE_EQ(m.low, 9.8);
  EXPECT_DOUBLE_EQ(m.high, 10.5);
  EXPECT_EQ(m.rank_low, 1u);
  EXPECT_EQ(m.rank_high, 3u);
  EXPECT_DOUBLE_EQ(m.coverage, 0.75);
  EXPECT_FALSE(m.reached);
}

TEST(MedianInterval, FiveValuesFallJustShort) {
  const MedianInterval m = median_interval({1, 2, 3, 4, 5});
  EXPECT_DOUBLE_EQ(m.coverage, 0.9375);
  EXPECT_FALSE(m.reached);
  EXPECT_TRUE(median_interval({1, 2, 3, 4, 5}, 0.9).reached);
}

TEST(MedianInterval, OneValueHasNoCoverage) {
  const MedianInterval m = median_interval({42});
  EXPECT_DOUBLE_EQ(m.median, 42);
  EXPECT_DOUBLE_EQ(m.low, 42);
  EXPECT_DOUBLE_EQ(m.high, 42);
  EXPECT_EQ(m.rank_low, 1u);
  EXPECT_EQ(m.rank_high, 1u);
  EXPECT_DOUBLE_EQ(m.coverage, 0);
  EXPECT_FALSE(m.reached);
}

TEST(MedianInterval, TwentyValuesAndOtherTargets) {
  std::vector<double> x;
  for (int i = 20; i >= 1; --i) x.push_back(i);
  const MedianInterval m = median_interval(x);
  EXPECT_EQ(m.rank_low, 6u);  // (7, 14) would be 1 - 2 * 60460/2^20 = 0.885
  EXPECT_EQ(m.rank_high, 15u);
  EXPECT_DOUBLE_EQ(m.coverage, 1 - 2 * 21700.0 / 1048576);
  // At 0.975 (the Bonferroni level) n = 20 uses (5, 16): 1 - 2 * 6196/2^20 = 0.98818.
  const MedianInterval b = median_interval(x, 0.975);
  EXPECT_EQ(b.rank_low, 5u);
  EXPECT_DOUBLE_EQ(b.coverage, 1 - 2 * 6196.0 / 1048576);
  // A target equal to an attainable coverage is reached.
  EXPECT_TRUE(median_interval({1, 2, 3}, 0.75).reached);
  // A low target narrows to the middle; coverage never exceeds the formula's.
  const MedianInterval narrow = median_interval(x, 0.5);
  // (9, 12): P(9 <= B <= 11) = 0.4966 < 0.5, so (8, 13): 0.7368.
  EXPECT_EQ(narrow.rank_low, 8u);
  EXPECT_EQ(narrow.rank_high, 13u);
  EXPECT_DOUBLE_EQ(narrow.coverage, order_statistic_coverage(20, 8, 13));
  EXPECT_NEAR(narrow.coverage, 0.7368240356445312, 1e-15);
}

TEST(MedianInterval, TiesAreKeptAndTheIntervalIsClosed) {
  const MedianInterval m = median_interval({5, 5, 5, 5, 5, 5});
  EXPECT_DOUBLE_EQ(m.low, 5);
  EXPECT_DOUBLE_EQ(m.high, 5);
  EXPECT_DOUBLE_EQ(m.coverage, 0.96875);
}

TEST(MedianInterval, RejectsNoSamplesNaNAndBadTargets) {
  EXPECT_THROW(median_interval({}), std::invalid_argument);
  EXPECT_THROW(median_interval({1, std::numeric_limits<double>::quiet_NaN()}),
               std::invalid_argument);
  EXPECT_THROW(median_interval({1, 2}, 0), std::invalid_argument);
  EXPECT_THROW(median_interval({1, 2}, 1), std::invalid_argument);
  EXPECT_THROW(median_interval({1, 2}, std::numeric_limits<double>::quiet_NaN()),
               std::invalid_argument);
}

TEST(Summarize, CarriesTheOrderStatisticIntervalBesideTheBootstrap) {
  const Summary s = summarize({3, 5, 1, 4, 2, 6});
  EXPECT_DOUBLE_EQ(s.interval.low, 1);
  EXPECT_DOUBLE_EQ(s.interval.high, 6);
  EXPECT_DOUBLE_EQ(s.interval.coverage, 0.96875);
  EXPECT_TRUE(s.interval.reached);
  EXPECT_DOUBLE_EQ(summarize({7}).interval.coverage, 0);
}

// ---- paired comparisons --------------------------------------------------------------------

TEST(PairedRatio, IsTheIntervalOfThePerRoundRatios) {
  // Ratios {2, 2, 3}: median 2, interval (min, max) = (2, 3) at 0.75.
  const PairedInterval p = paired_ratio({2, 4, 6}, {1, 2, 2});
  EXPECT_EQ(p.n, 3u);
  EXPECT_THAT(p.per_round, ElementsAre(2, 2, 3));
  EXPECT_DOUBLE_EQ(p.estimate, 2);
  EXPECT_DOUBLE_EQ(p.low, 2);
  EXPECT_DOUBLE_EQ(p.high, 3);
  EXPECT_EQ(p.rank_low, 1u);
  EXPECT_EQ(p.rank_high, 3u);
  EXPECT_DOUBLE_EQ(p.coverage, 0.75);
  EXPECT_FALSE(p.reached);
  EXPECT_EQ(p.method, "order-statistic, paired ratio");
}

TEST(PairedRatio, DriftSharedByARoundCancels) {
  // a = 2 * s_i * x, b = s_i * x with wildly drifting s_i: every ratio is 2, while the ratio
  // of the medians of the two sides is too, but the unpaired interval is wide.
  const std::vector<double> s = {1, 3, 0.5, 2, 1.5, 0.8, 2.5, 1.2, 0.9, 1.1};
  std::vector<double> a;
  std::vector<double> b;
  for (double x : s) {
    a.push_back(2 * x * 100);
    b.push_back(x * 100);
  }
  const PairedInterval p = paired_ratio(a, b);
  EXPECT_DOUBLE_EQ(p.estimate, 2);
  EXPECT_DOUBLE_EQ(p.low, 2);
  EXPECT_DOUBLE_EQ(p.high, 2);
  EXPECT_DOUBLE_EQ(p.coverage, 0.978515625);
  EXPECT_TRUE(p.reached);
  const UnpairedInterval u = unpaired_ratio(a, b);
  EXPECT_DOUBLE_EQ(u.estimate, 2);
  EXPECT_LT(u.low, 1);
  EXPECT_GT(u.high, 4);
}

TEST(PairedRatio, SwappingTheSidesInvertsTheEnds) {
  const std::vector<double> a = {10.1, 9.7, 10.4, 11.2, 9.9, 10.0, 10.8};
  const std::vector<double> b = {5.2, 5.1, 4.9, 5.6, 5.0, 5.3, 5.1};
  const PairedInterval ab = paired_ratio(a, b);
  const PairedInterval ba = paired_ratio(b, a);
  EXPECT_DOUBLE_EQ(ab.low, 1 / ba.high);
  EXPECT_DOUBLE_EQ(ab.high, 1 / ba.low);
  EXPECT_DOUBLE_EQ(ab.estimate, 1 / ba.estimate);  // odd n: the median is an order statistic
  EXPECT_DOUBLE_EQ(ab.coverage, 0.984375);
}

TEST(PairedRatio, RejectsMismatchedSizesAndNonPositiveDenominators) {
  EXPECT_THROW(paired_ratio({1, 2, 3}, {1, 2}), std::invalid_argument);
  EXPECT_THROW(paired_ratio({1, 2}, {1, 0}), std::invalid_argument);
  EXPECT_THROW(paired_ratio({1, 2}, {1, -1}), std::invalid_argument);
  EXPECT_THROW(paired_ratio({}, {}), std::invalid_argument);
  EXPECT_THROW(paired_ratio({1, 2}, {1, 2}, 1.5), std::invalid_argument);
}

TEST(PairedDifference, IsTheIntervalOfThePerRoundDifferences) {
  // Differences {1, 2, 4, -1, 3, 2}: sorted {-1, 1, 2, 2, 3, 4}, median 2, (min, max) at 0.96875.
  const PairedInterval p = paired_difference({11, 12, 14, 9, 13, 12}, {10, 10, 10, 10, 10, 10});
  EXPECT_THAT(p.per_round, ElementsAre(1, 2, 4, -1, 3, 2));
  EXPECT_DOUBLE_EQ(p.estimate, 2);
  EXPECT_DOUBLE_EQ(p.low, -1);
  EXPECT_DOUBLE_EQ(p.high, 4);
  EXPECT_DOUBLE_EQ(p.coverage, 0.96875);
  EXPECT_TRUE(p.reached);
  EXPECT_EQ(p.method, "order-statistic, paired difference");
  EXPECT_THROW(paired_difference({1}, {1, 2}), std::invalid_argument);
}

// ---- unpaired comparisons ------------------------------------------------------------------

TEST(UnpairedRatio, CombinesTwoIntervalsAtTheBonferroniLevel) {
  // a = 1..10 at 0.975: (2, 9), c = 0.978515625; b = {1, 2, 4} at 0.975: (1, 4), c = 0.75.
  std::vector<double> a;
  for (int i = 1; i <= 10; ++i) a.push_back(i);
  const UnpairedInterval u = unpaired_ratio(a, {4, 1, 2});
  EXPECT_DOUBLE_EQ(u.estimate, 5.5 / 2);
  EXPECT_DOUBLE_EQ(u.low, 2.0 / 4);
  EXPECT_DOUBLE_EQ(u.high, 9.0 / 1);
  EXPECT_DOUBLE_EQ(u.a.target, 0.975);
  EXPECT_DOUBLE_EQ(u.a.coverage, 0.978515625);
  EXPECT_DOUBLE_EQ(u.b.coverage, 0.75);
  EXPECT_DOUBLE_EQ(u.coverage, 0.978515625 + 0.75 - 1);
  EXPECT_DOUBLE_EQ(u.coverage_if_independent, 0.978515625 * 0.75);
  EXPECT_FALSE(u.reached);
  EXPECT_EQ(u.method, "order-statistic, Bonferroni");
}

TEST(UnpairedRatio, SevenPerSideReachesNinetyFive) {
  const UnpairedInterval u = unpaired_ratio({7, 6, 5, 4, 3, 2, 1}, {2, 2, 2, 2, 2, 2, 2});
  EXPECT_DOUBLE_EQ(u.a.coverage, 0.984375);  // (1, 7): 1 - 2/128
  EXPECT_DOUBLE_EQ(u.coverage, 2 * 0.984375 - 1);  // 0.96875
  EXPECT_TRUE(u.reached);
  EXPECT_DOUBLE_EQ(u.low, 0.5);
  EXPECT_DOUBLE_EQ(u.high, 3.5);
  // Six per side: 0.96875 each, bound 0.9375 < 0.95.
  EXPECT_FALSE(unpaired_ratio({1, 2, 3, 4, 5, 6}, {1, 2, 3, 4, 5, 6}).reached);
}

TEST(UnpairedRatio, ThreePerSideBoundsAtOneHalf) {
  const UnpairedInterval u = unpaired_ratio({2, 4, 6}, {1, 2, 3});
  EXPECT_DOUBLE_EQ(u.coverage, 0.5);
  EXPECT_DOUBLE_EQ(u.coverage_if_independent, 0.5625);
  EXPECT_DOUBLE_EQ(u.low, 2.0 / 3);
  EXPECT_DOUBLE_EQ(u.high, 6);
}

TEST(UnpairedRatio, ANegativeNumeratorUsesTheCornerQuotients) {
  // a: (-2, 4); b: (1, 2). Corners -2, -1, 4, 2.
  const UnpairedInterval u = unpaired_ratio({-2, 1, 4}, {1, 2, 1.5});
  EXPECT_DOUBLE_EQ(u.low, -2);
  EXPECT_DOUBLE_EQ(u.high, 4);
}

TEST(UnpairedRatio, RejectsANonPositiveDenominatorSample) {
  EXPECT_THROW(unpaired_ratio({1, 2}, {0, 1, 2}), std::invalid_argument);
  EXPECT_THROW(unpaired_ratio({}, {1}), std::invalid_argument);
}

TEST(UnpairedDifference, SubtractsOppositeEnds) {
  const UnpairedInterval u = unpaired_difference({5, 9, 7}, {1, 3, 2});
  EXPECT_DOUBLE_EQ(u.estimate, 5);
  EXPECT_DOUBLE_EQ(u.low, 5 - 3);
  EXPECT_DOUBLE_EQ(u.high, 9 - 1);
  EXPECT_DOUBLE_EQ(u.coverage, 0.5);
}

}  // namespace
}  // namespace hellobench::stats
