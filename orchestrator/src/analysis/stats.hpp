// Statistics for repeated trials: medians, bootstrap 95% intervals, ratios, Mann-Whitney U,
// Tukey outliers. All functions take the raw samples and never drop any.
#pragma once

#include <cstddef>
#include <cstdint>
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

// Indices of samples outside [Q1 - 1.5 IQR, Q3 + 1.5 IQR]; marked, never removed.
std::vector<std::size_t> tukey_outliers(const std::vector<double>& samples);

struct Summary {
  std::size_t n = 0;
  double median = 0;
  Interval ci95;  // percentile bootstrap of the median; [x, x] when n == 1
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

struct MannWhitney {
  double u = 0;        // U statistic of a
  double p_value = 1;  // two-sided; exact for small samples without ties, normal approx. else
  bool significant(double alpha = 0.05) const { return p_value < alpha; }
};
MannWhitney mann_whitney_u(const std::vector<double>& a, const std::vector<double>& b);

}  // namespace hellobench::stats
