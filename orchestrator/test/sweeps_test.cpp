// rate_for_cpu_share: the offered rate at which a server would use a given share of its CPU,
// read off the probes of its capacity search. Every expected rate is worked out by hand from the
// line through two probes: rate = r1 + (share - s1) * (r2 - r1) / (s2 - s1).
#include "trial/sweeps.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <vector>

namespace hellobench {
namespace {

CapacityProbe held(double rate, double cpu_share) {
  CapacityProbe p;
  p.rate = rate;
  p.cpu_share = cpu_share;
  p.held = true;
  return p;
}

CapacityProbe failed(double rate, double cpu_share) {
  CapacityProbe p = held(rate, cpu_share);
  p.held = false;
  p.why_not = "p99 12 ms over the 10 ms bound";
  return p;
}

// Three held probes on a curve that is not a straight line through the origin:
// 1000/s at 10%, 2000/s at 30%, 4000/s at 50%.
std::vector<CapacityProbe> ladder() { return {held(1000, 0.10), held(2000, 0.30), held(4000, 0.50)}; }

TEST(RateForCpuShare, InterpolatesBetweenTheTwoHeldProbesAroundTheShare) {
  // 20% lies between 1000/s (10%) and 2000/s (30%): 1000 + 0.10 * 1000 / 0.20 = 1500.
  const auto rate = rate_for_cpu_share(ladder(), 0.20);
  ASSERT_TRUE(rate.has_value());
  EXPECT_NEAR(*rate, 1500, 1e-9);
}

TEST(RateForCpuShare, UsesTheSegmentTheShareFallsInNotTheFirstOne) {
  // 40% lies between 2000/s (30%) and 4000/s (50%): 2000 + 0.10 * 2000 / 0.20 = 3000. (The
  // first segment, extended, would say 2500.)
  const auto rate = rate_for_cpu_share(ladder(), 0.40);
  ASSERT_TRUE(rate.has_value());
  EXPECT_NEAR(*rate, 3000, 1e-9);
}

TEST(RateForCpuShare, AShareEqualToAProbesIsThatProbesRate) {
  const auto rate = rate_for_cpu_share(ladder(), 0.30);
  ASSERT_TRUE(rate.has_value());
  EXPECT_NEAR(*rate, 2000, 1e-9);
}

TEST(RateForCpuShare, ExtrapolatesBelowTheLowestProbeAlongTheFirstTwo) {
  // 5% is below every probe: the line through 1000/s (10%) and 2000/s (30%) gives
  // 1000 + (0.05 - 0.10) * 1000 / 0.20 = 1000 - 250 = 750.
  const auto rate = rate_for_cpu_share(ladder(), 0.05);
  ASSERT_TRUE(rate.has_value());
  EXPECT_NEAR(*rate, 750, 1e-9);
}

TEST(RateForCpuShare, ExtrapolationThatWouldGoBelowZeroFallsBackToTheOrigin) {
  // 1000/s at 10% and 2000/s at 12%: the line falls 50,000/s per unit of share, so at 5% it
  // gives 1000 - 0.05 * 50,000 = -1500. A rate is never negative: the share is taken as
  // proportional to the rate below the lowest probe instead, 1000 * 0.05 / 0.10 = 500.
  const auto rate = rate_for_cpu_share({held(1000, 0.10), held(2000, 0.12)}, 0.05);
  ASSERT_TRUE(rate.has_value());
  EXPECT_NEAR(*rate, 500, 1e-9);
}

TEST(RateForCpuShare, AboveEveryHeldProbeIsNotKnown) {
  // The server never held a rate at which it used 60% of its CPU: no rate is invented.
  EXPECT_EQ(rate_for_cpu_share(ladder(), 0.60), std::nullopt);
}

TEST(RateForCpuShare, FailedProbesAreIgnored) {
  // A failed probe at 8000/s with 90% CPU: were it used, 60% would interpolate between 4000/s
  // (50%) and 8000/s (90%) to 5000/s. The server did not hold 8000/s, so 60% stays unknown.
  std::vector<CapacityProbe> probes = ladder();
  probes.push_back(failed(8000, 0.90));
  EXPECT_EQ(rate_for_cpu_share(probes, 0.60), std::nullopt);
  // And a failed probe inside the range changes nothing either: 20% is still 1500/s.
  probes.push_back(failed(1500, 0.28));
  const auto rate = rate_for_cpu_share(probes, 0.20);
  ASSERT_TRUE(rate.has_value());
  EXPECT_NEAR(*rate, 1500, 1e-9);
}

TEST(RateForCpuShare, AProbeWhoseShareFallsAsTheRateRisesIsDropped) {
  // 3000/s held at 25%, less than 2000/s used (30%): noise, dropped to keep the curve
  // monotone. 40% then still lies between 2000/s (30%) and 4000/s (50%): 3000/s. Kept, the
  // probe would make the segment 3000/s (25%) .. 4000/s (50%) give 3000 + 0.15 * 4000 = 3600.
  std::vector<CapacityProbe> probes = ladder();
  probes.push_back(held(3000, 0.25));
  const auto rate = rate_for_cpu_share(probes, 0.40);
  ASSERT_TRUE(rate.has_value());
  EXPECT_NEAR(*rate, 3000, 1e-9);
}

TEST(RateForCpuShare, ProbesAreTakenInRateOrderWhateverTheSearchOrder) {
  // The bisection runs after the ladder, so probes come back out of rate order.
  const std::vector<CapacityProbe> probes = {held(4000, 0.50), held(1000, 0.10), held(2000, 0.30)};
  const auto rate = rate_for_cpu_share(probes, 0.20);
  ASSERT_TRUE(rate.has_value());
  EXPECT_NEAR(*rate, 1500, 1e-9);
}

TEST(RateForCpuShare, OneHeldProbeExtrapolatesBelowItThroughTheOrigin) {
  // 2000/s at 40%: at 20%, 2000 * 0.20 / 0.40 = 1000.
  const auto rate = rate_for_cpu_share({held(2000, 0.40)}, 0.20);
  ASSERT_TRUE(rate.has_value());
  EXPECT_NEAR(*rate, 1000, 1e-9);
}

TEST(RateForCpuShare, OneHeldProbeBelowTheShareIsNotKnown) {
  // 2000/s at 40% says nothing about 50%: the server was never seen holding that much load.
  EXPECT_EQ(rate_for_cpu_share({held(2000, 0.40)}, 0.50), std::nullopt);
}

TEST(RateForCpuShare, NoHeldProbeOrNoMeasuredShareIsNotKnown) {
  EXPECT_EQ(rate_for_cpu_share({}, 0.20), std::nullopt);
  EXPECT_EQ(rate_for_cpu_share({failed(1000, 0.10)}, 0.05), std::nullopt);
  // A held probe without a CPU figure (0) cannot place anything.
  EXPECT_EQ(rate_for_cpu_share({held(1000, 0.0)}, 0.05), std::nullopt);
}

}  // namespace
}  // namespace hellobench
