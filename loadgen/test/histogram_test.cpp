// The histogram against values worked out by hand from its bucket geometry: 3 significant
// figures means 2048 sub-buckets, so values below 2048 are exact and above that each bucket
// doubles in width (2048..4095 in steps of 2, 4096..8191 in steps of 4, ...).
#include "loadgen/histogram.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

namespace loadgen {
namespace {

Histogram make() { return Histogram(1, 3'600'000'000'000, 3); }

TEST(LoadgenHistogram, ValuesBelow2048AreExact) {
  const Histogram h = make();
  EXPECT_EQ(h.lowest_equivalent_value(1000), 1000);
  EXPECT_EQ(h.highest_equivalent_value(1000), 1000);
  EXPECT_EQ(h.highest_equivalent_value(2047), 2047);
}

TEST(LoadgenHistogram, BucketsWidenByPowersOfTwoAbove2048) {
  const Histogram h = make();
  // 2048..4095: width 2.
  EXPECT_EQ(h.lowest_equivalent_value(2049), 2048);
  EXPECT_EQ(h.highest_equivalent_value(2048), 2049);
  EXPECT_EQ(h.lowest_equivalent_value(2050), 2050);
  // 8192..16383: width 8, so 10000..10007 are one value.
  EXPECT_EQ(h.lowest_equivalent_value(10007), 10000);
  EXPECT_EQ(h.highest_equivalent_value(10000), 10007);
  EXPECT_EQ(h.lowest_equivalent_value(10008), 10008);
  // 1 ms in ns: 2^19..2^20 has width 512; 1e6 >> 9 = 1953, 1953 * 512 = 999936.
  EXPECT_EQ(h.lowest_equivalent_value(1'000'000), 999'936);
  EXPECT_EQ(h.highest_equivalent_value(1'000'000), 1'000'447);
}

TEST(LoadgenHistogram, PercentilesOfOneToHundredAreTheirRanks) {
  Histogram h = make();
  for (int v = 1; v <= 100; ++v) EXPECT_TRUE(h.record(v));
  EXPECT_EQ(h.total_count(), 100u);
  EXPECT_EQ(h.value_at_percentile(0), 1);
  EXPECT_EQ(h.value_at_percentile(50), 50);
  EXPECT_EQ(h.value_at_percentile(90), 90);
  EXPECT_EQ(h.value_at_percentile(99), 99);
  // rank = 99.9% of 100, rounded to nearest = 100.
  EXPECT_EQ(h.value_at_percentile(99.9), 100);
  EXPECT_EQ(h.value_at_percentile(100), 100);
  EXPECT_EQ(h.min(), 1);
  EXPECT_EQ(h.max(), 100);
  EXPECT_DOUBLE_EQ(h.mean(), 50.5);
}

TEST(LoadgenHistogram, PercentileReportsTheTopOfItsBucket) {
  Histogram h = make();
  h.record(999'950);  // bucket 999936..1000447
  h.record(2'000'000);
  // p50: rank 1, the first value's bucket, reported as its highest equivalent value.
  EXPECT_EQ(h.value_at_percentile(50), 1'000'447);
  // The maximum is exact, not the top of its bucket.
  EXPECT_EQ(h.value_at_percentile(100), 2'000'000);
  EXPECT_EQ(h.max(), 2'000'000);
}

TEST(LoadgenHistogram, PrecisionIsThreeSignificantFigures) {
  Histogram h = make();
  for (std::int64_t v : {1'234'567LL, 987'654'321LL, 59'000'000'000LL}) {
    const auto width = h.highest_equivalent_value(v) - h.lowest_equivalent_value(v) + 1;
    EXPECT_LE(static_cast<double>(width) / static_cast<double>(v), 0.001) << v;
  }
}

TEST(LoadgenHistogram, MeanAndStddevAreExact) {
  Histogram h = make();
  for (int v : {2, 4, 4, 4, 5, 5, 7, 9}) h.record(v);
  EXPECT_DOUBLE_EQ(h.mean(), 5.0);
  EXPECT_DOUBLE_EQ(h.stddev(), 2.0);
}

TEST(LoadgenHistogram, RecordWithCountWeighsTheValue) {
  Histogram h = make();
  h.record(10, 3);
  h.record(20, 1);
  EXPECT_EQ(h.total_count(), 4u);
  EXPECT_EQ(h.value_at_percentile(75), 10);  // rank 3 + 0.5, rounded down: 3
  EXPECT_EQ(h.value_at_percentile(88), 20);  // rank 3.52 + 0.5, rounded down: 4
  EXPECT_DOUBLE_EQ(h.mean(), 12.5);
}

TEST(LoadgenHistogram, OutOfRangeValuesAreRefusedAndNotCounted) {
  Histogram h(1, 1000, 3);
  EXPECT_FALSE(h.record(-1));
  EXPECT_FALSE(h.record(1001));
  EXPECT_TRUE(h.record(1000));
  EXPECT_EQ(h.total_count(), 1u);
  EXPECT_EQ(h.max(), 1000);
}

TEST(LoadgenHistogram, AddMergesCountsExtremesAndMoments) {
  Histogram a = make(), b = make();
  for (int v : {1, 2, 3}) a.record(v);
  for (int v : {4, 5}) b.record(v);
  a.add(b);
  EXPECT_EQ(a.total_count(), 5u);
  EXPECT_EQ(a.min(), 1);
  EXPECT_EQ(a.max(), 5);
  EXPECT_DOUBLE_EQ(a.mean(), 3.0);
  EXPECT_DOUBLE_EQ(a.stddev(), std::sqrt(2.0));  // (4+1+0+1+4)/5 = 2
  EXPECT_EQ(a.value_at_percentile(50), 3);       // rank 3 of 5
  EXPECT_EQ(a.value_at_percentile(90), 5);       // rank 4.5 + 0.5 = 5
}

TEST(LoadgenHistogram, AddingAnEmptyHistogramChangesNothing) {
  Histogram a = make();
  a.record(7);
  a.add(make());
  EXPECT_EQ(a.total_count(), 1u);
  EXPECT_EQ(a.min(), 7);
}

TEST(LoadgenHistogram, AddRefusesADifferentGeometry) {
  Histogram a = make();
  const Histogram b(1, 1000, 3);
  EXPECT_THROW(a.add(b), std::invalid_argument);
}

TEST(LoadgenHistogram, EmptyHistogramReportsZeros) {
  const Histogram h = make();
  EXPECT_EQ(h.value_at_percentile(99), 0);
  EXPECT_EQ(h.max(), 0);
  EXPECT_EQ(h.mean(), 0);
  EXPECT_EQ(h.stddev(), 0);
}

TEST(LoadgenHistogram, RejectsImpossibleParameters) {
  EXPECT_THROW(Histogram(0, 1000, 3), std::invalid_argument);
  EXPECT_THROW(Histogram(10, 15, 3), std::invalid_argument);
  EXPECT_THROW(Histogram(1, 1000, 6), std::invalid_argument);
}

}  // namespace
}  // namespace loadgen
