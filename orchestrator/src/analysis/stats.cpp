// Statistics for repeated trials (MEASUREMENT.md rules 11 and 12). Conventions follow R, so a
// reader can check any figure with quantile(type = 7) or wilcox.test(exact = NULL, correct = TRUE).
#include "analysis/stats.hpp"

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

}  // namespace hellobench::stats
