// The distributions against their known quantiles, with a fixed seed, and the spec parser's
// messages. Tolerances are several standard errors of a sample quantile of 100,000 draws:
// SE(q_p) = sqrt(p (1 - p) / n) / f(q_p), f the density at the quantile.
#include "loadgen/distribution.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <vector>

#include "loadgen/draws.hpp"

namespace loadgen {
namespace {

constexpr std::size_t kDraws = 100'000;

// The bits of draws 0..n-1 of one stream, as a worker makes them.
std::vector<std::uint64_t> stream_bits(std::uint64_t seed, std::size_t n,
                                       std::string_view name = "wait") {
  const std::uint64_t key =
      draws::name_key(draws::stream_key(seed, draws::StreamKind::thread, 0), name);
  std::vector<std::uint64_t> bits;
  for (std::size_t i = 0; i < n; ++i) bits.push_back(draws::bits(key, i));
  return bits;
}

std::vector<double> samples(const Distribution& d, std::uint64_t seed = draws::kDefaultSeed) {
  std::vector<double> out;
  for (const auto bits : stream_bits(seed, kDraws)) out.push_back(d.sample(bits));
  std::sort(out.begin(), out.end());
  return out;
}

// The sample quantile: the value of rank ceil(p n) in the sorted sample.
double quantile(const std::vector<double>& sorted, double p) {
  const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return sorted[std::max<std::size_t>(rank, 1) - 1];
}

constexpr double kMs = 1e6;  // nanoseconds

std::string spec_error(std::string_view spec) {
  try {
    Distribution::parse(spec);
  } catch (const SpecError& e) {
    return format_spec_error("--wait", spec, e);
  }
  return "(no error)";
}

TEST(LoadgenDistribution, UniformDurationHasItsQuantiles) {
  const auto d = Distribution::parse("uniform:80ms:150ms");
  EXPECT_EQ(d.unit(), Distribution::Unit::duration);
  const auto s = samples(d);
  // q_p = 80 + 70 p ms; SE(q_0.1) = sqrt(0.09 / 1e5) * 70 ms = 0.066 ms.
  EXPECT_NEAR(quantile(s, 0.10), 87 * kMs, 0.5 * kMs);
  EXPECT_NEAR(quantile(s, 0.50), 115 * kMs, 0.5 * kMs);
  EXPECT_NEAR(quantile(s, 0.90), 143 * kMs, 0.5 * kMs);
  EXPECT_GE(s.front(), 80 * kMs);
  EXPECT_LT(s.back(), 150 * kMs);
}

TEST(LoadgenDistribution, DurationsRenderAsWholeMillisecondsRoundedToNearest) {
  const auto d = Distribution::parse("uniform:80ms:150ms");
  std::map<std::int64_t, int> counts;
  for (const auto bits : stream_bits(draws::kDefaultSeed, kDraws)) ++counts[d.draw(bits)];
  EXPECT_EQ(counts.begin()->first, 80);
  EXPECT_EQ(counts.rbegin()->first, 150);
  // Inner values take 1 ms of the 70 (1/70 of the draws); the ends half of that.
  EXPECT_NEAR(counts[115], kDraws / 70.0, 5 * std::sqrt(kDraws / 70.0));
  EXPECT_NEAR(counts[80], kDraws / 140.0, 5 * std::sqrt(kDraws / 140.0));
  // 89.4999 ms renders as 89, 89.5 ms as 90 (the bits for u = 0.135 and 0.1357143).
  const auto at = [](double u) { return static_cast<std::uint64_t>(u * 0x1p53) << 11; };
  EXPECT_EQ(d.draw(at((89.4999 - 80) / 70)), 89);
  EXPECT_EQ(d.draw(at((89.5001 - 80) / 70)), 90);
}

TEST(LoadgenDistribution, LognormalHasTheMedianAndP95ItWasGiven) {
  const auto d = Distribution::parse("lognormal:median=20ms,p95=40ms");
  const auto s = samples(d);
  // sigma = ln 2 / 1.645 = 0.421. f(20 ms) = 1 / (20 * 0.421 * 2.507) = 0.047 per ms, so
  // SE(median) = 0.005 / 0.047 = 0.033 ms; f(40 ms) = 0.103 / (40 * 0.421) = 0.0061 per ms,
  // SE(p95) = 0.00069 / 0.0061 = 0.11 ms. Tolerances: 6 and 5 SE.
  EXPECT_NEAR(quantile(s, 0.50), 20 * kMs, 0.2 * kMs);
  EXPECT_NEAR(quantile(s, 0.95), 40 * kMs, 0.6 * kMs);
  EXPECT_GT(s.front(), 0);
  // Its quantile function at p = 0.5 and 0.95 is the parameters (through normal_quantile).
  const auto at = [](double u) { return static_cast<std::uint64_t>(u * 0x1p53) << 11; };
  EXPECT_NEAR(d.sample(at(0.5)), 20 * kMs, 1);
  EXPECT_NEAR(d.sample(at(0.95)), 40 * kMs, 1);
}

TEST(LoadgenDistribution, ConstIsExact) {
  const auto d = Distribution::parse("const:100ms");
  for (const auto bits : stream_bits(7, 1000)) {
    EXPECT_EQ(d.sample(bits), 100 * kMs);
    EXPECT_EQ(d.draw(bits), 100);
  }
  const auto i = Distribution::parse("const:42");
  EXPECT_EQ(i.unit(), Distribution::Unit::integer);
  EXPECT_EQ(i.draw(12345), 42);
}

TEST(LoadgenDistribution, IntegerUniformCoversBothEndsAndNothingOutside) {
  const auto small = Distribution::parse("uniform:0:9");
  std::map<std::int64_t, int> counts;
  for (const auto bits : stream_bits(draws::kDefaultSeed, kDraws)) ++counts[small.draw(bits)];
  ASSERT_EQ(counts.size(), 10u);
  EXPECT_EQ(counts.begin()->first, 0);
  EXPECT_EQ(counts.rbegin()->first, 9);
  for (const auto& [value, count] : counts)  // binomial(1e5, 0.1): SD 95
    EXPECT_NEAR(count, kDraws / 10, 500) << value;

  const auto ids = Distribution::parse("uniform:0:102399");
  // The extremes of the bits map to the ends: 0 -> LOW, 2^64 - 1 -> HIGH.
  EXPECT_EQ(ids.draw(0), 0);
  EXPECT_EQ(ids.draw(UINT64_MAX), 102399);
  double sum = 0;
  for (const auto bits : stream_bits(draws::kDefaultSeed, kDraws)) {
    const auto id = ids.draw(bits);
    ASSERT_GE(id, 0);
    ASSERT_LE(id, 102399);
    sum += static_cast<double>(id);
  }
  // Mean 51199.5, SD 29560: SE of the mean 93.
  EXPECT_NEAR(sum / kDraws, 51199.5, 500);
  // Negative bounds work too.
  const auto signed_range = Distribution::parse("uniform:-2:2");
  EXPECT_EQ(signed_range.draw(0), -2);
  EXPECT_EQ(signed_range.draw(UINT64_MAX), 2);
}

TEST(LoadgenDistribution, IntegerLognormalRoundsToWholeNumbers) {
  const auto d = Distribution::parse("lognormal:median=1000,p95=5000");
  EXPECT_EQ(d.unit(), Distribution::Unit::integer);
  const auto at = [](double u) { return static_cast<std::uint64_t>(u * 0x1p53) << 11; };
  EXPECT_EQ(d.draw(at(0.5)), 1000);
  EXPECT_EQ(d.draw(at(0.95)), 5000);
}

TEST(LoadgenDraws, TheSameSeedGivesTheSameSequenceAndOthersDiffer) {
  const auto d = Distribution::parse("uniform:0:102399");
  const auto a = stream_bits(1, 1000), b = stream_bits(1, 1000), c = stream_bits(2, 1000);
  EXPECT_EQ(a, b);
  std::size_t same = 0;
  for (std::size_t i = 0; i < a.size(); ++i) same += d.draw(a[i]) == d.draw(c[i]);
  EXPECT_LT(same, 5u);  // by chance 1000 / 102400 ~ 0.01 expected
}

TEST(LoadgenDraws, StreamsAndNamesAreIndependent) {
  const auto thread0 = draws::stream_key(1, draws::StreamKind::thread, 0);
  const auto thread1 = draws::stream_key(1, draws::StreamKind::thread, 1);
  const auto connection0 = draws::stream_key(1, draws::StreamKind::connection, 0);
  EXPECT_NE(thread0, thread1);
  EXPECT_NE(thread0, connection0);
  EXPECT_NE(draws::name_key(thread0, "wait"), draws::name_key(thread0, "id"));
  // A pure function of (key, n): draw 500 is the same whether or not 0..499 were drawn.
  const auto key = draws::name_key(thread0, "id");
  EXPECT_EQ(draws::bits(key, 500), stream_bits(1, 501, "id")[500]);
}

TEST(LoadgenDraws, BitsAreUniformEnoughForTheDraws) {
  // Each of the 64 bits is set in about half of 100,000 draws (SD 158).
  std::vector<int> set(64, 0);
  for (const auto bits : stream_bits(3, kDraws))
    for (int b = 0; b < 64; ++b) set[static_cast<std::size_t>(b)] += (bits >> b) & 1;
  for (int b = 0; b < 64; ++b) EXPECT_NEAR(set[static_cast<std::size_t>(b)], kDraws / 2, 800) << b;
}

TEST(LoadgenNormalQuantile, MatchesKnownValues) {
  EXPECT_NEAR(normal_quantile(0.5), 0, 1e-15);
  EXPECT_NEAR(normal_quantile(0.95), 1.6448536269514722, 1e-13);
  EXPECT_NEAR(normal_quantile(0.975), 1.959963984540054, 1e-13);
  EXPECT_NEAR(normal_quantile(0.01), -2.3263478740408408, 1e-13);
  EXPECT_NEAR(normal_quantile(1e-9), -5.997807015007686, 1e-9);
}

TEST(LoadgenDistributionSpec, ErrorsNameThePosition) {
  EXPECT_EQ(spec_error("lognormal:median=20ms,p9=40ms"),
            "--wait: at 'lognormal:median=20ms,p9=40ms' position 23: unknown parameter 'p9' "
            "(expected median, p95)");
  EXPECT_EQ(spec_error("uniform:80ms:15x"),
            "--wait: at 'uniform:80ms:15x' position 16: unknown unit 'x' (expected ns, us, ms, "
            "s, m or h)");
  EXPECT_EQ(spec_error("gauss:1:2"),
            "--wait: at 'gauss:1:2' position 1: unknown distribution 'gauss' (expected const, "
            "uniform, lognormal)");
  EXPECT_EQ(spec_error("uniform:150ms:80ms"),
            "--wait: at 'uniform:150ms:80ms' position 15: HIGH '80ms' is below LOW '150ms'");
  EXPECT_EQ(spec_error("uniform:80ms"),
            "--wait: at 'uniform:80ms' position 13: uniform takes two values: uniform:LOW:HIGH");
  EXPECT_EQ(spec_error("uniform:80ms:150"),
            "--wait: at 'uniform:80ms:150' position 14: '150' has no unit but '80ms' has one (a "
            "spec's values are all durations or all integers)");
  EXPECT_EQ(spec_error("lognormal:median=20ms"),
            "--wait: at 'lognormal:median=20ms' position 22: missing parameter p95");
  EXPECT_EQ(spec_error("lognormal:median=40ms,p95=20ms"),
            "--wait: at 'lognormal:median=40ms,p95=20ms' position 27: p95 '20ms' must be above "
            "the median '40ms'");
  EXPECT_EQ(spec_error("uniform:0:1.5"),
            "--wait: at 'uniform:0:1.5' position 11: '1.5' is not a whole number (integers are "
            "drawn exactly; give a unit such as ms for a duration)");
  EXPECT_EQ(spec_error("const:1:2"),
            "--wait: at 'const:1:2' position 8: const takes one value: const:V");
  EXPECT_EQ(spec_error("const:"), "--wait: at 'const:' position 7: a value is missing");
  EXPECT_EQ(spec_error("const:-5ms"), "--wait: at 'const:-5ms' position 7: '-5ms' is negative");
  EXPECT_EQ(spec_error("uniform"),
            "--wait: at 'uniform' position 8: 'uniform' needs parameters after ':'; expected "
            "const:V, uniform:LOW:HIGH or lognormal:median=M,p95=Q (V: 100ms, 2s, 42...)");
  EXPECT_NE(spec_error("").find("position 1: empty spec"), std::string::npos);
}

}  // namespace
}  // namespace loadgen
