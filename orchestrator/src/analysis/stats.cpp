// Statistics for repeated trials (MEASUREMENT.md rules 11 and 12). Conventions follow R, so a
// reader can check any figure with quantile(type = 7) or wilcox.test(exact = NULL, correct = TRUE).
#include "analysis/stats.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>

namespace hellobench::stats {
namespace {

void require_finite(const std::vector<double>& samples, const char* what) {
  for (std::size_t i = 0; i < samples.size(); ++i) {
    if (!std::isfinite(samples[i])) {
      throw std::invalid_argument(std::string(what) + ": sample " + std::to_string(i) +
                                  " is not a finite number");
    }
  }
}

void require_samples(const std::vector<double>& samples, const char* what) {
  if (samples.empty()) throw std::invalid_argument(std::string(what) + ": no samples");
  require_finite(samples, what);
}

// Type 7 on already sorted, non-empty data: h = (n - 1) q, interpolate between x[floor h] and
// the next order statistic.
double sorted_quantile(const std::vector<double>& sorted, double q) {
  const double h = static_cast<double>(sorted.size() - 1) * q;
  const auto lo = static_cast<std::size_t>(std::floor(h));
  const double fraction = h - static_cast<double>(lo);
  // Equal neighbours or a whole rank: no interpolation (and no inf - inf for unbounded ratios).
  if (lo + 1 >= sorted.size() || fraction == 0 || sorted[lo] == sorted[lo + 1]) return sorted[lo];
  return sorted[lo] + fraction * (sorted[lo + 1] - sorted[lo]);
}

// Median of a scratch buffer (reordered in place): nth_element is O(n), which matters inside
// the 10,000 bootstrap resamples.
double median_in_place(std::vector<double>& v) {
  const std::size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
  const double upper = v[mid];
  if (v.size() % 2 == 1) return upper;
  const double lower = *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid));
  return lower + (upper - lower) / 2;
}

// Uniform index in [0, n) by rejection on the raw 64-bit output: unlike
// std::uniform_int_distribution its sequence is the same with every standard library, so a
// seed reproduces the same interval anywhere.
std::size_t draw_index(std::mt19937_64& rng, std::size_t n) {
  const std::uint64_t range = n;
  const std::uint64_t limit = UINT64_MAX - UINT64_MAX % range;
  std::uint64_t x = rng();
  while (x >= limit) x = rng();
  return static_cast<std::size_t>(x % range);
}

void resample(std::mt19937_64& rng, const std::vector<double>& from, std::vector<double>& into) {
  into.resize(from.size());
  for (double& x : into) x = from[draw_index(rng, from.size())];
}

// Percentile interval: the 2.5% and 97.5% type-7 quantiles of the bootstrap statistics.
Interval percentile_interval(std::vector<double> statistics) {
  std::sort(statistics.begin(), statistics.end());
  return {sorted_quantile(statistics, 0.025), sorted_quantile(statistics, 0.975)};
}

void require_resamples(int resamples, const char* what) {
  if (resamples < 1) {
    throw std::invalid_argument(std::string(what) + ": resamples must be at least 1, got " +
                                std::to_string(resamples));
  }
}

// Standard normal CDF.
double normal_cdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

// Exact null distribution of U for m and n samples without ties: counts[u] = number of
// arrangements with statistic u, built column by column from f(u; i, j) = f(u - j; i - 1, j) +
// f(u; i, j - 1) (the last of i + j values belongs to the first sample, adding j to U, or to
// the second). Counts are doubles: C(100, 50) ~ 1e29 overflows 64-bit integers, and the
// probabilities need ~15 digits at most.
std::vector<double> exact_u_counts(std::size_t m, std::size_t n) {
  // table[i][u] for the current j
  std::vector<std::vector<double>> table(m + 1, std::vector<double>(m * n + 1, 0.0));
  for (std::size_t i = 0; i <= m; ++i) table[i][0] = 1.0;  // j = 0: only u = 0
  for (std::size_t j = 1; j <= n; ++j) {
    // f(u; 0, j) = [u == 0] stays; go up in i so table[i - 1] already holds column j.
    for (std::size_t i = 1; i <= m; ++i) {
      std::vector<double> next(m * n + 1, 0.0);
      for (std::size_t u = 0; u <= i * j; ++u) {
        double ways = table[i][u];                // f(u; i, j - 1)
        if (u >= j) ways += table[i - 1][u - j];  // f(u - j; i - 1, j)
        next[u] = ways;
      }
      table[i] = std::move(next);
    }
  }
  return table[m];
}

// Percentile bootstrap of statistic(median of a, median of b): a and b resampled
// independently, a then b, from one seeded generator (so a seed gives one interval).
template <typename Statistic>
Interval bootstrap_medians(const std::vector<double>& a, const std::vector<double>& b,
                           std::uint64_t seed, int resamples, Statistic statistic) {
  std::mt19937_64 rng(seed);
  std::vector<double> values(static_cast<std::size_t>(resamples));
  std::vector<double> scratch_a;
  std::vector<double> scratch_b;
  for (double& x : values) {
    resample(rng, a, scratch_a);
    resample(rng, b, scratch_b);
    const double median_a = median_in_place(scratch_a);
    const double median_b = median_in_place(scratch_b);
    x = statistic(median_a, median_b);
  }
  return percentile_interval(std::move(values));
}

void require_target(double target, const char* what) {
  if (!(target > 0.0 && target < 1.0)) {
    throw std::invalid_argument(std::string(what) + ": target coverage must be in (0, 1), got " +
                                std::to_string(target));
  }
}

// P(B <= k) for k = 0 .. n, B ~ Binomial(n, 1/2). Up to n = 50 the binomial coefficients and
// their running sums are integers below 2^53 (C(n, k) * n < 2^53 in the recurrence too), so
// every value is exact in binary; beyond, each term is exp(log C(n, k) - n log 2) from lgamma.
std::vector<double> binomial_half_cdf(std::size_t n) {
  std::vector<double> cdf(n + 1);
  const int exponent = -static_cast<int>(n);
  if (n <= 50) {
    double choose = 1;  // C(n, 0)
    double sum = 0;
    for (std::size_t k = 0; k <= n; ++k) {
      if (k > 0) choose = choose * static_cast<double>(n - k + 1) / static_cast<double>(k);
      sum += choose;
      cdf[k] = std::ldexp(sum, exponent);
    }
    return cdf;
  }
  const double nd = static_cast<double>(n);
  const double log_total = std::lgamma(nd + 1) - nd * std::log(2.0);
  double sum = 0;
  for (std::size_t k = 0; k <= n; ++k) {
    const double kd = static_cast<double>(k);
    sum += std::exp(log_total - std::lgamma(kd + 1) - std::lgamma(nd - kd + 1));
    cdf[k] = std::min(1.0, sum);
  }
  cdf[n] = 1.0;
  return cdf;
}

// Floating-point slack for "coverage >= target", so that a target equal to an attainable
// coverage (0.75 at n = 3) counts as reached.
constexpr double kCoverageSlack = 1e-12;

// The order-statistic interval on sorted, non-empty, finite data.
MedianInterval sorted_median_interval(const std::vector<double>& sorted, double target) {
  MedianInterval r;
  r.n = sorted.size();
  r.target = target;
  r.median = sorted_quantile(sorted, 0.5);
  const std::vector<double> cdf = binomial_half_cdf(r.n);
  // Symmetric ranks (l, n + 1 - l) with l <= n + 1 - l; coverage(l) = 1 - 2 P(B <= l - 1)
  // falls as l grows, so walk l up while the next one still reaches the target.
  const auto coverage = [&](std::size_t l) { return 1.0 - 2.0 * cdf[l - 1]; };
  std::size_t l = 1;
  r.reached = coverage(1) >= target - kCoverageSlack;
  if (r.reached) {
    while (l + 1 <= (r.n + 1) / 2 && coverage(l + 1) >= target - kCoverageSlack) ++l;
  }
  r.rank_low = l;
  r.rank_high = r.n + 1 - l;
  r.coverage = std::max(0.0, coverage(l));
  r.low = sorted[r.rank_low - 1];
  r.high = sorted[r.rank_high - 1];
  return r;
}

PairedInterval paired_interval(const std::vector<double>& per_round, double target,
                               const char* method) {
  std::vector<double> sorted = per_round;
  std::sort(sorted.begin(), sorted.end());
  const MedianInterval m = sorted_median_interval(sorted, target);
  PairedInterval p;
  p.n = m.n;
  p.estimate = m.median;
  p.low = m.low;
  p.high = m.high;
  p.rank_low = m.rank_low;
  p.rank_high = m.rank_high;
  p.coverage = m.coverage;
  p.target = target;
  p.reached = m.reached;
  p.method = method;
  p.per_round = per_round;
  return p;
}

void require_paired(const std::vector<double>& a, const std::vector<double>& b,
                    const char* what) {
  require_samples(a, (std::string(what) + " (a)").c_str());
  require_samples(b, (std::string(what) + " (b)").c_str());
  if (a.size() != b.size()) {
    throw std::invalid_argument(std::string(what) + ": a has " + std::to_string(a.size()) +
                                " rounds and b has " + std::to_string(b.size()) +
                                "; paired rounds need equal counts");
  }
}

// Both sides' order-statistic intervals at the Bonferroni level 1 - (1 - target) / 2, and the
// coverage bounds; the caller fills estimate, low and high.
UnpairedInterval unpaired_sides(const std::vector<double>& a, const std::vector<double>& b,
                                double target) {
  UnpairedInterval u;
  u.target = target;
  const double side = 1.0 - (1.0 - target) / 2.0;
  u.a = median_interval(a, side);
  u.b = median_interval(b, side);
  u.coverage = std::max(0.0, u.a.coverage + u.b.coverage - 1.0);
  u.coverage_if_independent = u.a.coverage * u.b.coverage;
  u.reached = u.coverage >= target - kCoverageSlack;
  return u;
}

}  // namespace

double quantile(std::vector<double> samples, double q) {
  require_samples(samples, "quantile");
  if (!(q >= 0.0 && q <= 1.0)) {
    throw std::invalid_argument("quantile: q must be in [0, 1], got " + std::to_string(q));
  }
  std::sort(samples.begin(), samples.end());
  return sorted_quantile(samples, q);
}

double median(std::vector<double> samples) { return quantile(std::move(samples), 0.5); }

std::vector<std::size_t> tukey_outliers(const std::vector<double>& samples) {
  std::vector<std::size_t> outliers;
  if (samples.empty()) return outliers;
  require_finite(samples, "tukey_outliers");
  std::vector<double> sorted = samples;
  std::sort(sorted.begin(), sorted.end());
  const double q1 = sorted_quantile(sorted, 0.25);
  const double q3 = sorted_quantile(sorted, 0.75);
  const double fence = 1.5 * (q3 - q1);
  for (std::size_t i = 0; i < samples.size(); ++i) {
    if (samples[i] < q1 - fence || samples[i] > q3 + fence) outliers.push_back(i);
  }
  return outliers;
}

Summary summarize(const std::vector<double>& samples, std::uint64_t seed, int resamples) {
  require_samples(samples, "summarize");
  require_resamples(resamples, "summarize");
  Summary s;
  s.n = samples.size();
  std::vector<double> sorted = samples;
  std::sort(sorted.begin(), sorted.end());
  s.median = sorted_quantile(sorted, 0.5);
  s.min = sorted.front();
  s.max = sorted.back();
  s.mean = std::accumulate(sorted.begin(), sorted.end(), 0.0) / static_cast<double>(s.n);
  s.outliers = tukey_outliers(samples);
  s.interval = sorted_median_interval(sorted, 0.95);
  if (s.n == 1) {
    s.ci95 = {s.median, s.median};
    return s;
  }
  std::mt19937_64 rng(seed);
  std::vector<double> medians(static_cast<std::size_t>(resamples));
  std::vector<double> scratch;
  for (double& m : medians) {
    resample(rng, samples, scratch);
    m = median_in_place(scratch);
  }
  s.ci95 = percentile_interval(std::move(medians));
  return s;
}

Ratio ratio_of_medians(const std::vector<double>& a, const std::vector<double>& b,
                       std::uint64_t seed, int resamples) {
  require_samples(a, "ratio_of_medians (a)");
  require_samples(b, "ratio_of_medians (b)");
  require_resamples(resamples, "ratio_of_medians");
  // Ratios are of non-negative quantities (requests/s, CPU seconds, KiB) with a positive
  // denominator median; a single zero sample (a degenerate trial) is allowed.
  for (const auto* side : {&a, &b}) {
    for (std::size_t i = 0; i < side->size(); ++i) {
      if ((*side)[i] < 0) {
        throw std::invalid_argument(std::string("ratio_of_medians: sample ") + std::to_string(i) +
                                    " of " + (side == &a ? "a" : "b") + " is negative (" +
                                    std::to_string((*side)[i]) + ")");
      }
    }
  }
  if (median(b) <= 0) throw std::invalid_argument("ratio_of_medians: the median of b is 0");
  Ratio r;
  r.ratio = median(a) / median(b);
  if (a.size() == 1 && b.size() == 1) {
    r.ci95 = {r.ratio, r.ratio};
    return r;
  }
  r.ci95 = bootstrap_medians(a, b, seed, resamples, [](double numerator, double denominator) {
    // A resample whose denominator median is 0 counts as an unbounded ratio: the interval
    // then widens (to infinity if such resamples pass 2.5%) instead of silently losing them.
    return denominator > 0 ? numerator / denominator : std::numeric_limits<double>::infinity();
  });
  return r;
}

Difference difference_of_medians(const std::vector<double>& a, const std::vector<double>& b,
                                 std::uint64_t seed, int resamples) {
  require_samples(a, "difference_of_medians (a)");
  require_samples(b, "difference_of_medians (b)");
  require_resamples(resamples, "difference_of_medians");
  Difference d;
  d.difference = median(a) - median(b);
  if (a.size() == 1 && b.size() == 1) {
    d.ci95 = {d.difference, d.difference};
    return d;
  }
  d.ci95 = bootstrap_medians(a, b, seed, resamples,
                            [](double median_a, double median_b) { return median_a - median_b; });
  return d;
}

MannWhitney mann_whitney_u(const std::vector<double>& a, const std::vector<double>& b) {
  require_samples(a, "mann_whitney_u (a)");
  require_samples(b, "mann_whitney_u (b)");
  const std::size_t m = a.size();
  const std::size_t n = b.size();

  // Mid-ranks of the pooled samples; tie groups also feed the variance correction.
  std::vector<std::pair<double, bool>> pooled;  // value, from a
  pooled.reserve(m + n);
  for (double x : a) pooled.emplace_back(x, true);
  for (double x : b) pooled.emplace_back(x, false);
  std::sort(pooled.begin(), pooled.end(),
            [](const auto& l, const auto& r) { return l.first < r.first; });
  double rank_sum_a = 0;
  double tie_term = 0;  // sum over tie groups of t^3 - t
  for (std::size_t i = 0; i < pooled.size();) {
    std::size_t j = i;
    while (j < pooled.size() && pooled[j].first == pooled[i].first) ++j;
    const double t = static_cast<double>(j - i);
    const double mid_rank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2;
    for (std::size_t k = i; k < j; ++k) {
      if (pooled[k].second) rank_sum_a += mid_rank;
    }
    tie_term += t * t * t - t;
    i = j;
  }

  MannWhitney result;
  result.n_a = m;
  result.n_b = n;
  result.min_p = min_p_value(m, n);
  const double md = static_cast<double>(m);
  const double nd = static_cast<double>(n);
  result.u = rank_sum_a - md * (md + 1) / 2;

  // Exact when both samples are small and nothing is tied, as R's wilcox.test does (n < 50).
  if (tie_term == 0 && m < 50 && n < 50) {
    const std::vector<double> counts = exact_u_counts(m, n);
    const double total = std::accumulate(counts.begin(), counts.end(), 0.0);
    const auto u = static_cast<std::size_t>(std::llround(result.u));
    double lower = 0;  // P(U <= u)
    for (std::size_t k = 0; k <= u; ++k) lower += counts[k];
    double upper = 0;  // P(U >= u)
    for (std::size_t k = u; k < counts.size(); ++k) upper += counts[k];
    result.p_value = std::min(1.0, 2 * std::min(lower, upper) / total);
    result.exact = true;
    return result;
  }

  // Normal approximation with tie-corrected variance and a continuity correction of 1/2
  // towards the mean.
  const double mean_u = md * nd / 2;
  const double total_n = md + nd;
  const double variance = md * nd / 12 * ((total_n + 1) - tie_term / (total_n * (total_n - 1)));
  if (variance <= 0) {
    result.p_value = 1;  // every value equal: no evidence of any difference
    return result;
  }
  const double diff = result.u - mean_u;
  const double corrected = std::max(0.0, std::abs(diff) - 0.5);
  const double z = corrected / std::sqrt(variance);
  result.p_value = std::min(1.0, 2 * normal_cdf(-z));
  return result;
}

double min_p_value(std::size_t n_a, std::size_t n_b) {
  if (n_a == 0 || n_b == 0) return 1.0;
  // C(n_a + n_b, n_a) = prod_{k=1}^{s} (l + k) / k with s = min, l = max of the sizes. Each
  // partial product C(l + k, k) is an integer, so multiplying before dividing is exact while
  // the product stays below 2^53; past that (sizes the rounds never have), log space.
  const std::size_t small = std::min(n_a, n_b);
  const std::size_t large = std::max(n_a, n_b);
  double choose = 1;
  for (std::size_t k = 1; k <= small; ++k) {
    const double product = choose * static_cast<double>(large + k);
    if (product > 0x1p53) {
      double log_choose = 0;
      for (std::size_t j = 1; j <= small; ++j) {
        log_choose += std::log(static_cast<double>(large + j) / static_cast<double>(j));
      }
      return std::min(1.0, 2.0 * std::exp(-log_choose));
    }
    choose = product / static_cast<double>(k);
  }
  return std::min(1.0, 2.0 / choose);
}

std::string describe(const MannWhitney& test, double alpha) {
  if (!test.can_reach(alpha)) {
    return fmt::format("rank test not run: with {} and {} samples its smallest p-value is {:.3g}",
                       test.n_a, test.n_b, test.min_p);
  }
  return fmt::format("Mann-Whitney U = {:g}, p = {:.2g} ({}): {} at {:g}", test.u, test.p_value,
                     test.exact ? "exact" : "normal approximation",
                     test.significant(alpha) ? "significant" : "no significant difference",
                     alpha);
}

MedianInterval median_interval(std::vector<double> samples, double target_coverage) {
  require_samples(samples, "median_interval");
  require_target(target_coverage, "median_interval");
  std::sort(samples.begin(), samples.end());
  return sorted_median_interval(samples, target_coverage);
}

double order_statistic_coverage(std::size_t n, std::size_t rank_low, std::size_t rank_high) {
  if (!(rank_low >= 1 && rank_low <= rank_high && rank_high <= n)) {
    throw std::invalid_argument("order_statistic_coverage: need 1 <= rank_low <= rank_high <= n, "
                                "got n = " + std::to_string(n) + ", ranks (" +
                                std::to_string(rank_low) + ", " + std::to_string(rank_high) + ")");
  }
  // P(rank_low <= B <= rank_high - 1) = P(B <= rank_high - 1) - P(B <= rank_low - 1).
  const std::vector<double> cdf = binomial_half_cdf(n);
  return std::max(0.0, cdf[rank_high - 1] - cdf[rank_low - 1]);
}

PairedInterval paired_ratio(const std::vector<double>& a, const std::vector<double>& b,
                            double target) {
  require_paired(a, b, "paired_ratio");
  require_target(target, "paired_ratio");
  std::vector<double> ratios(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!(b[i] > 0)) {
      throw std::invalid_argument("paired_ratio: b in round " + std::to_string(i) + " is " +
                                  std::to_string(b[i]) + "; a ratio needs every b_i > 0");
    }
    ratios[i] = a[i] / b[i];
  }
  return paired_interval(ratios, target, "order-statistic, paired ratio");
}

PairedInterval paired_difference(const std::vector<double>& a, const std::vector<double>& b,
                                 double target) {
  require_paired(a, b, "paired_difference");
  require_target(target, "paired_difference");
  std::vector<double> differences(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) differences[i] = a[i] - b[i];
  return paired_interval(differences, target, "order-statistic, paired difference");
}

UnpairedInterval unpaired_ratio(const std::vector<double>& a, const std::vector<double>& b,
                                double target) {
  require_samples(a, "unpaired_ratio (a)");
  require_samples(b, "unpaired_ratio (b)");
  require_target(target, "unpaired_ratio");
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (!(b[i] > 0)) {
      throw std::invalid_argument("unpaired_ratio: sample " + std::to_string(i) + " of b is " +
                                  std::to_string(b[i]) + "; a ratio needs every sample of b > 0");
    }
  }
  UnpairedInterval u = unpaired_sides(a, b, target);
  u.estimate = u.a.median / u.b.median;
  // m_a in [la, ha] and m_b in [lb, hb] with lb > 0: m_a / m_b lies between the extreme corner
  // quotients ([la / hb, ha / lb] when la >= 0).
  const double corners[] = {u.a.low / u.b.low, u.a.low / u.b.high, u.a.high / u.b.low,
                            u.a.high / u.b.high};
  u.low = *std::min_element(std::begin(corners), std::end(corners));
  u.high = *std::max_element(std::begin(corners), std::end(corners));
  return u;
}

UnpairedInterval unpaired_difference(const std::vector<double>& a, const std::vector<double>& b,
                                     double target) {
  require_samples(a, "unpaired_difference (a)");
  require_samples(b, "unpaired_difference (b)");
  require_target(target, "unpaired_difference");
  UnpairedInterval u = unpaired_sides(a, b, target);
  u.estimate = u.a.median - u.b.median;
  u.low = u.a.low - u.b.high;
  u.high = u.a.high - u.b.low;
  return u;
}

}  // namespace hellobench::stats
