// Statistics for repeated trials: medians, intervals with stated coverage, ratios, Mann-Whitney
// U, Tukey outliers. All functions take the raw samples and never drop any.
//
// Which interval to report (MEASUREMENT.md rules 11 and 12, CONTRACT.md 2.2):
// - one median:                    median_interval()      order statistics, exact coverage
// - A against B, rounds paired:    paired_ratio() /       order statistics of the per-round
//   (same n, round i side by side)   paired_difference()  ratios or differences, exact coverage
// - A against B, rounds unpaired:  unpaired_ratio() /     two order-statistic intervals,
//   (e.g. different n)               unpaired_difference() Bonferroni lower bound on coverage
// Each result carries its coverage, and `reached` says whether that meets the target; report
// the coverage beside every interval. The bootstrap intervals (summarize().ci95,
// ratio_of_medians(), difference_of_medians()) are kept for existing callers but do NOT have
// 95% coverage for the n this suite runs: with n = 3 the percentile bootstrap of a median is
// the range of the data, which covers the true median 75% of the time (measured in
// test/coverage_test.cpp), and the bootstrap ratio interval about 90%.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace hellobench::stats {

struct Interval {
  double low = 0;
  double high = 0;
};

// Quantile with linear interpolation between order statistics (Hyndman-Fan type 7, as R and
// numpy default). q in [0, 1]. Throws std::invalid_argument on empty input.
double quantile(std::vector<double> samples, double q);
double median(std::vector<double> samples);

// ---------------------------------------------------------------------------------------------
// Order-statistic interval for a median (distribution-free).
//
// Let X_(1) <= ... <= X_(n) be the sorted values of n independent draws from one distribution
// with median m, and B ~ Binomial(n, 1/2) the number of draws below m (continuous data).
// X_(l) <= m holds exactly when B >= l, and m <= X_(u) exactly when B <= u - 1, so
//     P(X_(l) <= m <= X_(u)) = P(l <= B <= u - 1),
// and for the symmetric ranks u = n + 1 - l
//     coverage(l) = 1 - 2 P(B <= l - 1) = 1 - 2^(1 - n) * sum_{k = 0}^{l - 1} C(n, k).
// This is exact for every continuous distribution, whatever its shape; with ties (discrete
// data) the closed interval covers at least this often. median_interval() takes the largest l
// (the narrowest symmetric pair) with coverage(l) >= target. When even (X_(1), X_(n)), with
// coverage 1 - 2^(1 - n), falls short, it returns (min, max) with that true coverage and
// reached = false. For target 0.95:
//     n      ranks    coverage          n      ranks    coverage
//     1      (1, 1)   0        (no)     9      (2, 8)   0.9609
//     2      (1, 2)   0.5      (no)     10     (2, 9)   0.9785
//     3      (1, 3)   0.75     (no)     12     (3, 10)  0.9614
//     4      (1, 4)   0.875    (no)     15     (4, 12)  0.9648
//     5      (1, 5)   0.9375   (no)     17     (5, 13)  0.9510
//     6      (1, 6)   0.96875           20     (6, 15)  0.9586
//     7, 8   (1, n)   0.984, 0.992      30     (10, 21) 0.9572
// So a 95% interval needs n >= 6; quick runs (n = 3) get the range at 75% and must say so.
// The estimate is the sample median (type 7: the mean of the middle two for even n).
struct MedianInterval {
  std::size_t n = 0;
  double median = 0;
  double low = 0;               // X_(rank_low)
  double high = 0;              // X_(rank_high)
  std::size_t rank_low = 0;     // 1-based ranks in the sorted samples; rank_high = n + 1 - rank_low
  std::size_t rank_high = 0;
  double coverage = 0;          // exact, from the formula above
  double target = 0.95;
  bool reached = false;         // coverage >= target
  std::string method = "order-statistic";
  Interval interval() const { return {low, high}; }
};
// Finite samples, at least one; target in (0, 1). std::invalid_argument otherwise.
MedianInterval median_interval(std::vector<double> samples, double target_coverage = 0.95);

// P(X_(rank_low) <= m <= X_(rank_high)) = P(rank_low <= B <= rank_high - 1) for n continuous
// draws, 1 <= rank_low <= rank_high <= n (std::invalid_argument otherwise). Exact in binary for
// n <= 50, to ~1e-12 beyond.
double order_statistic_coverage(std::size_t n, std::size_t rank_low, std::size_t rank_high);

// ---------------------------------------------------------------------------------------------
// Indices of samples outside [Q1 - 1.5 IQR, Q3 + 1.5 IQR]; marked, never removed.
std::vector<std::size_t> tukey_outliers(const std::vector<double>& samples);

struct Summary {
  std::size_t n = 0;
  double median = 0;
  Interval ci95;  // percentile bootstrap of the median; [x, x] when n == 1. NOT a 95% interval
                  // for small n (n = 3: the range, 75% coverage); report `interval`.
  MedianInterval interval;  // median_interval(samples, 0.95): stated, exact coverage
  double mean = 0;
  double min = 0;
  double max = 0;
  std::vector<std::size_t> outliers;
};

// Deterministic for a given seed, so results.json is reproducible from the raw samples.
Summary summarize(const std::vector<double>& samples, std::uint64_t seed = 1,
                  int resamples = 10000);

struct Ratio {
  double ratio = 0;  // median(a) / median(b)
  Interval ci95;     // bootstrap: resample a and b independently, ratio of medians
};
// Samples must be >= 0 and median(b) > 0 (std::invalid_argument otherwise). A resample whose
// median of b is 0 counts as an infinite ratio, so ci95.high may be +infinity.
Ratio ratio_of_medians(const std::vector<double>& a, const std::vector<double>& b,
                       std::uint64_t seed = 1, int resamples = 10000);

struct Difference {
  double difference = 0;  // median(a) - median(b)
  Interval ci95;          // bootstrap: resample a and b independently, difference of medians
};
// Any finite samples; [d, d] when both have one sample. std::invalid_argument on empty input.
Difference difference_of_medians(const std::vector<double>& a, const std::vector<double>& b,
                                 std::uint64_t seed = 1, int resamples = 10000);

// Mann-Whitney U (Wilcoxon rank-sum), two-sided. Exact null distribution when both sides have
// fewer than 50 samples and nothing is tied (as R's wilcox.test); otherwise the normal
// approximation with tie-corrected variance and continuity correction.
//
// A rank test on n_a and n_b samples can only ever produce p-values from a finite set; the
// smallest (all of one side below all of the other, no ties) is
//     min_p_value(n_a, n_b) = 2 / C(n_a + n_b, n_a)
// so with 3 and 3 samples it is 2/20 = 0.1, and the test can never say "significant at 0.05".
// Smallest sizes at which it can: 4 and 4 (0.0286), 3 and 5 (0.0357), 2 and 8 (0.0444), 1 and
// 40 (0.0488). When !can_reach(alpha) do not print "no significant difference": say
// the test was not run, e.g. describe() gives "rank test not run: with 3 and 3 samples its
// smallest p-value is 0.1". With ties the normal approximation can print a p-value below this
// floor for tiny samples; it is an artefact of the approximation, so decide only when
// can_reach(alpha) holds (decided() does both).
struct MannWhitney {
  double u = 0;        // U statistic of a
  double p_value = 1;  // two-sided; exact for small samples without ties, normal approx. else
  std::size_t n_a = 0;
  std::size_t n_b = 0;
  bool exact = false;  // true: exact null distribution; false: normal approximation
  double min_p = 1;    // min_p_value(n_a, n_b): the smallest p-value these sizes allow
  bool significant(double alpha = 0.05) const { return p_value < alpha; }
  // Whether the test can reach p < alpha at all with these sample sizes.
  bool can_reach(double alpha = 0.05) const { return min_p < alpha; }
  // Significant and able to be: the only "yes" worth printing.
  bool decided(double alpha = 0.05) const { return can_reach(alpha) && significant(alpha); }
};
MannWhitney mann_whitney_u(const std::vector<double>& a, const std::vector<double>& b);

// 2 / C(n_a + n_b, n_a), at most 1 (1 when either side is empty or has one sample against one).
double min_p_value(std::size_t n_a, std::size_t n_b);

// One line for a report, in one of three forms:
//   "rank test not run: with 3 and 3 samples its smallest p-value is 0.1"
//   "Mann-Whitney U = 0, p = 0.0079 (exact): significant at 0.05"
//   "Mann-Whitney U = 12, p = 0.31 (exact): no significant difference at 0.05"
std::string describe(const MannWhitney& test, double alpha = 0.05);

// ---------------------------------------------------------------------------------------------
// Paired comparisons. Trials are interleaved (A B C A B C ...), so round i of A and round i of
// B ran side by side and share the machine's drift in that round. paired_ratio() forms the
// per-round ratios r_i = a_i / b_i and returns the order-statistic interval above for their
// median; paired_difference() does the same with d_i = a_i - b_i.
//
// What it covers: the median of the distribution of the per-round ratio (difference), that is
// the value the ratio of one round falls below half the time; its estimate is the sample median
// of r_i. This is not median(a) / median(b) in general; under the multiplicative model
// a_i = theta * s_i * x_i, b_i = s_i * y_i (s_i the round's drift, x_i and y_i exchangeable)
// it is exactly theta, and drift s_i cancels. The order statistics of 1 / r_i are the reversed
// reciprocals of those of r_i, so paired_ratio(b, a) has ends 1 / high and 1 / low.
// Assumption: the rounds are independent and identically distributed (the pairs (a_i, b_i) are
// i.i.d.; within a round a_i and b_i may be correlated, which is the point). Coverage is then
// exact for continuous data, as in the table above with n the number of rounds.
// Sizes must match and be >= 1, values finite, and for a ratio every b_i > 0
// (std::invalid_argument otherwise).
struct PairedInterval {
  std::size_t n = 0;            // rounds
  double estimate = 0;          // median of the per-round values
  double low = 0;
  double high = 0;
  std::size_t rank_low = 0;     // ranks among the sorted per-round values
  std::size_t rank_high = 0;
  double coverage = 0;          // exact, as for median_interval
  double target = 0.95;
  bool reached = false;
  std::string method;           // "order-statistic, paired ratio" / "..., paired difference"
  std::vector<double> per_round;  // r_i or d_i in round order
  Interval interval() const { return {low, high}; }
};
PairedInterval paired_ratio(const std::vector<double>& a, const std::vector<double>& b,
                            double target = 0.95);
PairedInterval paired_difference(const std::vector<double>& a, const std::vector<double>& b,
                                 double target = 0.95);

// ---------------------------------------------------------------------------------------------
// Unpaired comparisons (rounds that cannot be paired, e.g. different n): the ratio (difference)
// of the two medians, median(A) / median(B), from one order-statistic interval per side, each
// at the Bonferroni level 1 - (1 - target) / 2 (0.975 for a 95% target):
//     I_a = [la, ha] covers m_a with probability c_a, I_b = [lb, hb] covers m_b with c_b;
//     when both cover, m_a / m_b lies in [min, max] of the four corner quotients (for la >= 0:
//     [la / hb, ha / lb]), and m_a - m_b in [la - hb, ha - lb].
// So P(interval covers) >= P(both cover) >= c_a + c_b - 1 (Bonferroni), whatever the
// dependence between the sides; that bound is `coverage`, a guaranteed lower bound (the true
// coverage is higher, since the interval can cover when one side misses). When the sides are
// independent, P(both cover) = c_a * c_b, given as coverage_if_independent. A 95% bound needs
// n >= 7 per side (c = 0.984 each); with n = 3 per side the bound is 0.5 (0.5625 independent).
// Each side: at least one finite sample; for the ratio every sample of b must be > 0
// (std::invalid_argument otherwise).
struct UnpairedInterval {
  double estimate = 0;  // median(a) / median(b) or median(a) - median(b)
  double low = 0;
  double high = 0;
  double coverage = 0;  // guaranteed lower bound: max(0, c_a + c_b - 1)
  double coverage_if_independent = 0;  // c_a * c_b
  double target = 0.95;
  bool reached = false;  // coverage >= target
  std::string method = "order-statistic, Bonferroni";
  MedianInterval a;  // each side's interval, at level 1 - (1 - target) / 2
  MedianInterval b;
  Interval interval() const { return {low, high}; }
};
UnpairedInterval unpaired_ratio(const std::vector<double>& a, const std::vector<double>& b,
                                double target = 0.95);
UnpairedInterval unpaired_difference(const std::vector<double>& a, const std::vector<double>& b,
                                     double target = 0.95);

}  // namespace hellobench::stats
