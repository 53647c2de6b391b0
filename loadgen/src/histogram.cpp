#include "loadgen/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <stdexcept>

namespace loadgen {

Histogram::Histogram(std::int64_t lowest, std::int64_t highest, int significant_figures)
    : lowest_(lowest), highest_(highest), significant_figures_(significant_figures) {
  if (lowest < 1) throw std::invalid_argument("histogram: lowest must be >= 1");
  if (highest < 2 * lowest) throw std::invalid_argument("histogram: highest must be >= 2 * lowest");
  if (significant_figures < 1 || significant_figures > 5)
    throw std::invalid_argument("histogram: significant_figures must be in 1..5");

  // Same geometry as HdrHistogram_c: a sub-bucket count (a power of two) large enough to tell
  // apart 2 * 10^figures values with unit resolution, doubled bucket by bucket up to highest.
  std::int64_t single_unit_resolution = 2;
  for (int i = 0; i < significant_figures; ++i) single_unit_resolution *= 10;
  const int sub_bucket_count_magnitude =
      static_cast<int>(std::ceil(std::log2(static_cast<double>(single_unit_resolution))));
  sub_bucket_half_count_magnitude_ = std::max(sub_bucket_count_magnitude, 1) - 1;
  unit_magnitude_ = static_cast<int>(std::bit_width(static_cast<std::uint64_t>(lowest))) - 1;
  sub_bucket_count_ = std::int64_t{1} << (sub_bucket_half_count_magnitude_ + 1);
  sub_bucket_half_count_ = sub_bucket_count_ / 2;
  sub_bucket_mask_ = (sub_bucket_count_ - 1) << unit_magnitude_;

  std::int64_t smallest_untrackable = sub_bucket_count_ << unit_magnitude_;
  int buckets = 1;
  while (smallest_untrackable <= highest) {
    if (smallest_untrackable > INT64_MAX / 2) {
      ++buckets;
      break;
    }
    smallest_untrackable <<= 1;
    ++buckets;
  }
  bucket_count_ = buckets;
  counts_.assign(static_cast<std::size_t>((bucket_count_ + 1) * sub_bucket_half_count_), 0);
}

int Histogram::bucket_index(std::int64_t value) const {
  const int pow2_ceiling =
      64 - std::countl_zero(static_cast<std::uint64_t>(value | sub_bucket_mask_));
  return pow2_ceiling - unit_magnitude_ - (sub_bucket_half_count_magnitude_ + 1);
}

int Histogram::counts_index(int bucket, int sub_bucket) const {
  const int bucket_base = (bucket + 1) << sub_bucket_half_count_magnitude_;
  return bucket_base + (sub_bucket - static_cast<int>(sub_bucket_half_count_));
}

std::int64_t Histogram::value_from_index(int index) const {
  int bucket = (index >> sub_bucket_half_count_magnitude_) - 1;
  int sub_bucket =
      static_cast<int>((index & (sub_bucket_half_count_ - 1)) + sub_bucket_half_count_);
  if (bucket < 0) {
    sub_bucket -= static_cast<int>(sub_bucket_half_count_);
    bucket = 0;
  }
  return static_cast<std::int64_t>(sub_bucket) << (bucket + unit_magnitude_);
}

bool Histogram::record(std::int64_t value, std::int64_t count) {
  if (value < 0 || value > highest_ || count <= 0) return false;
  const int bucket = bucket_index(value);
  const int sub_bucket = static_cast<int>(value >> (bucket + unit_magnitude_));
  const int index = counts_index(bucket, sub_bucket);
  if (index < 0 || static_cast<std::size_t>(index) >= counts_.size()) return false;
  counts_[static_cast<std::size_t>(index)] += static_cast<std::uint64_t>(count);
  if (total_count_ == 0) {
    min_ = max_ = value;
  } else {
    min_ = std::min(min_, value);
    max_ = std::max(max_, value);
  }
  total_count_ += static_cast<std::uint64_t>(count);
  const uint128 v = static_cast<std::uint64_t>(value);
  const auto n = static_cast<std::uint64_t>(count);
  sum_ += v * n;
  sum_of_squares_ += v * v * n;
  return true;
}

std::size_t Histogram::index_of(std::int64_t value) const {
  const int bucket = bucket_index(value);
  return static_cast<std::size_t>(
      counts_index(bucket, static_cast<int>(value >> (bucket + unit_magnitude_))));
}

void Histogram::add_at_index(std::size_t index, std::uint64_t count) {
  if (index >= counts_.size()) throw std::out_of_range("histogram: index beyond the bucket layout");
  counts_[index] += count;
  total_count_ += count;
}

void Histogram::restore_exact(std::int64_t min, std::int64_t max, uint128 sum,
                              uint128 sum_of_squares) {
  if (total_count_ == 0) {
    if (min != 0 || max != 0 || sum != 0 || sum_of_squares != 0)
      throw std::invalid_argument("histogram: an empty histogram has min, max and sums of 0");
    return;
  }
  std::size_t first = 0, last = counts_.size() - 1;
  while (counts_[first] == 0) ++first;
  while (counts_[last] == 0) --last;
  if (min < 0 || max > highest_ || min > max || index_of(min) != first || index_of(max) != last)
    throw std::invalid_argument(
        "histogram: min and max do not fall in the first and last "
        "counted buckets");
  const uint128 n = total_count_;
  if (sum < n * static_cast<std::uint64_t>(min) || sum > n * static_cast<std::uint64_t>(max))
    throw std::invalid_argument("histogram: the sum is outside count * [min, max]");
  min_ = min;
  max_ = max;
  sum_ = sum;
  sum_of_squares_ = sum_of_squares;
}

void Histogram::estimate_exact() {
  min_ = max_ = 0;
  sum_ = sum_of_squares_ = 0;
  bool first = true;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    if (counts_[i] == 0) continue;
    const std::int64_t low = value_from_index(static_cast<int>(i));
    const std::int64_t high = highest_equivalent_value(low);
    if (first) min_ = low;
    first = false;
    max_ = high;
    const uint128 middle = static_cast<std::uint64_t>(low + (high - low) / 2);
    sum_ += middle * counts_[i];
    sum_of_squares_ += middle * middle * counts_[i];
  }
}

void Histogram::add(const Histogram& other) {
  if (other.lowest_ != lowest_ || other.highest_ != highest_ ||
      other.significant_figures_ != significant_figures_)
    throw std::invalid_argument("histogram: cannot add histograms with different parameters");
  if (other.total_count_ == 0) return;
  for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  if (total_count_ == 0) {
    min_ = other.min_;
    max_ = other.max_;
  } else {
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
  }
  total_count_ += other.total_count_;
  sum_ += other.sum_;
  sum_of_squares_ += other.sum_of_squares_;
}

void Histogram::reset() {
  std::fill(counts_.begin(), counts_.end(), 0);
  total_count_ = 0;
  min_ = max_ = 0;
  sum_ = sum_of_squares_ = 0;
}

std::int64_t Histogram::equivalent_range_size(std::int64_t value) const {
  const int bucket = bucket_index(value);
  const std::int64_t sub_bucket = value >> (bucket + unit_magnitude_);
  const int adjusted_bucket = sub_bucket >= sub_bucket_count_ ? bucket + 1 : bucket;
  return std::int64_t{1} << (unit_magnitude_ + adjusted_bucket);
}

std::int64_t Histogram::lowest_equivalent_value(std::int64_t value) const {
  const int bucket = bucket_index(value);
  const std::int64_t sub_bucket = value >> (bucket + unit_magnitude_);
  return sub_bucket << (bucket + unit_magnitude_);
}

std::int64_t Histogram::highest_equivalent_value(std::int64_t value) const {
  return lowest_equivalent_value(value) + equivalent_range_size(value) - 1;
}

std::int64_t Histogram::value_at_percentile(double percentile) const {
  if (total_count_ == 0) return 0;
  const double p = std::clamp(percentile, 0.0, 100.0);
  // The rank of the wanted value, rounded to nearest as HdrHistogram does, at least the first.
  auto rank = static_cast<std::uint64_t>(p / 100.0 * static_cast<double>(total_count_) + 0.5);
  rank = std::max<std::uint64_t>(rank, 1);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      const std::int64_t value = value_from_index(static_cast<int>(i));
      const std::int64_t reported =
          p == 0.0 ? lowest_equivalent_value(value) : highest_equivalent_value(value);
      return std::clamp(reported, min_, max_);
    }
  }
  return max_;
}

double Histogram::mean() const {
  if (total_count_ == 0) return 0;
  return static_cast<double>(static_cast<long double>(sum_) /
                             static_cast<long double>(total_count_));
}

double Histogram::stddev() const {
  if (total_count_ == 0) return 0;
  const long double n = static_cast<long double>(total_count_);
  const long double mean = static_cast<long double>(sum_) / n;
  const long double variance =
      std::max<long double>(static_cast<long double>(sum_of_squares_) / n - mean * mean, 0);
  return static_cast<double>(std::sqrt(variance));
}

}  // namespace loadgen
