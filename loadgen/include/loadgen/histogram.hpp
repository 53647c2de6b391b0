// An HDR-style log-linear histogram (after HdrHistogram_c): values are bucketed so that every
// recorded value keeps `significant_figures` decimal digits of precision across the whole range
// [lowest, highest]. One per worker thread, merged with add() at the end of a run.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace loadgen {

class Histogram {
 public:
  __extension__ using uint128 = unsigned __int128;

  // lowest >= 1 (the smallest value told apart from 0), highest >= 2 * lowest,
  // significant_figures in 1..5. Throws std::invalid_argument otherwise.
  Histogram(std::int64_t lowest, std::int64_t highest, int significant_figures);

  // Counts `value` (count times). Returns false, recording nothing, when the value is outside
  // [0, highest]; values below `lowest` share the first bucket.
  bool record(std::int64_t value, std::int64_t count = 1);

  // Adds every count of `other`, which must have been built with the same parameters
  // (throws std::invalid_argument otherwise).
  void add(const Histogram& other);

  void reset();

  // The value at or below which `percentile` (0..100) percent of the recorded values lie,
  // reported as the highest value equivalent to that bucket and clamped to the exact min/max
  // (so p100 is the exact maximum). 0 when nothing was recorded.
  std::int64_t value_at_percentile(double percentile) const;

  std::uint64_t total_count() const { return total_count_; }
  // Exact, not bucketed: kept alongside the counts.
  std::int64_t min() const { return total_count_ ? min_ : 0; }
  std::int64_t max() const { return total_count_ ? max_ : 0; }
  double mean() const;
  double stddev() const;  // population standard deviation

  // Bucket geometry: all values in [lowest_equivalent_value(v), highest_equivalent_value(v)]
  // are counted as one.
  std::int64_t lowest_equivalent_value(std::int64_t value) const;
  std::int64_t highest_equivalent_value(std::int64_t value) const;

  std::int64_t lowest_trackable() const { return lowest_; }
  std::int64_t highest_trackable() const { return highest_; }
  int significant_figures() const { return significant_figures_; }

  // The counts by index, in HdrHistogram's layout (so HdrHistogram's encodings carry them):
  // index i counts the values from value_at_index(i) to highest_equivalent_value of it.
  std::size_t counts_size() const { return counts_.size(); }
  std::uint64_t count_at_index(std::size_t index) const { return counts_[index]; }
  std::int64_t value_at_index(std::size_t index) const {
    return value_from_index(static_cast<int>(index));
  }
  std::size_t index_of(std::int64_t value) const;

  // Exact sums of the recorded values and of their squares: mean and stddev come from them,
  // so histograms that are added give the same figures as one that recorded every value.
  uint128 sum() const { return sum_; }
  uint128 sum_of_squares() const { return sum_of_squares_; }

  // For decoding (histogram_codec.hpp): adds `count` at `index` without touching the extremes
  // or sums, which restore_exact() or estimate_exact() then set. Throws std::out_of_range.
  void add_at_index(std::size_t index, std::uint64_t count);
  // Sets the exact min, max and sums recorded elsewhere. Throws std::invalid_argument when they
  // cannot belong to the counts (min or max outside the first or last counted bucket, sums
  // outside count * [min, max]).
  void restore_exact(std::int64_t min, std::int64_t max, uint128 sum, uint128 sum_of_squares);
  // Without exact figures (an encoding from another HdrHistogram): min and max from the first
  // and last counted buckets, sums from each bucket's middle, as HdrHistogram estimates them.
  void estimate_exact();

 private:
  int bucket_index(std::int64_t value) const;
  int counts_index(int bucket, int sub_bucket) const;
  std::int64_t value_from_index(int index) const;
  std::int64_t equivalent_range_size(std::int64_t value) const;

  std::int64_t lowest_;
  std::int64_t highest_;
  int significant_figures_;
  int unit_magnitude_;
  int sub_bucket_half_count_magnitude_;
  std::int64_t sub_bucket_count_;
  std::int64_t sub_bucket_half_count_;
  std::int64_t sub_bucket_mask_;
  int bucket_count_;
  std::vector<std::uint64_t> counts_;
  std::uint64_t total_count_ = 0;
  std::int64_t min_ = 0;
  std::int64_t max_ = 0;
  // Exact moments for mean and stddev, as integers: values below 2^42 (an hour in ns) have
  // squares below 2^84, so 2^44 such samples fit.
  uint128 sum_ = 0;
  uint128 sum_of_squares_ = 0;
};

}  // namespace loadgen
