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

}  // namespace
}  // namespace hellobench::stats
