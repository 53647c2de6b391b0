// HdrHistogram's V2 compressed encoding, against a string that the reference implementation
// (HdrHistogram_py 0.10, `HdrHistogram(1, 3600e9, 3)` with the values below, `.encode()`)
// wrote, and the exactness of histograms that travel and are merged.
#include "loadgen/histogram_codec.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "loadgen/distribution.hpp"
#include "loadgen/draws.hpp"
#include "loadgen/histogram.hpp"

namespace loadgen {
namespace {

Histogram make() { return Histogram(1, 3'600'000'000'000, 3); }

// The reference histogram: these values once each, and 123456789 five times.
constexpr std::int64_t kReferenceValues[] = {
    1, 2, 1000, 2047, 2048, 2049, 10007, 999950, 1'000'000, 2'000'000, 59'000'000'000};
constexpr const char* kReferenceEncoding =
    "HISTFAAAADt4nJNpmSzMwMAgxQABzFCaEch0M9ixgMH+A1SAiekkP9NqASaWg8pMv7NY/vIzfYzjau5jZAIAHiMLzw==";

Histogram reference() {
  Histogram h = make();
  for (const auto v : kReferenceValues) h.record(v);
  h.record(123'456'789, 5);
  return h;
}

void expect_same_counts(const Histogram& a, const Histogram& b) {
  ASSERT_EQ(a.counts_size(), b.counts_size());
  for (std::size_t i = 0; i < a.counts_size(); ++i)
    ASSERT_EQ(a.count_at_index(i), b.count_at_index(i)) << "index " << i;
  EXPECT_EQ(a.total_count(), b.total_count());
}

TEST(LoadgenHistogramCodec, DecodesWhatTheReferenceImplementationWrote) {
  const Histogram decoded = decode_histogram(kReferenceEncoding);
  EXPECT_EQ(decoded.lowest_trackable(), 1);
  EXPECT_EQ(decoded.highest_trackable(), 3'600'000'000'000);
  EXPECT_EQ(decoded.significant_figures(), 3);
  expect_same_counts(decoded, reference());
  EXPECT_EQ(decoded.total_count(), 16u);
  // No exact extremes travel in the encoding: the first and last counted buckets' bounds.
  EXPECT_EQ(decoded.min(), 1);
  EXPECT_EQ(decoded.max(), reference().highest_equivalent_value(59'000'000'000));
  // The reference reads p50 as 1000447 (the top of 1 ms's bucket): so do we.
  EXPECT_EQ(decoded.value_at_percentile(50), 1'000'447);
}

TEST(LoadgenHistogramCodec, EncodesAsTheReferenceImplementationDoes) {
  // Byte for byte: the same counts, header and zlib stream (zlib's default level, whose
  // output has not changed across zlib 1.2.x; were it to, compare decoded counts instead).
  EXPECT_EQ(encode_histogram(reference()), kReferenceEncoding);
}

TEST(LoadgenHistogramCodec, RoundTripsEveryCount) {
  const auto spread = Distribution::parse("lognormal:median=200us,p95=5ms");
  Histogram h = make();
  const auto key = draws::name_key(draws::stream_key(5, draws::StreamKind::thread, 0), "x");
  for (std::uint64_t n = 0; n < 50'000; ++n)
    h.record(static_cast<std::int64_t>(spread.sample(draws::bits(key, n))));
  const std::string text = encode_histogram(h);
  EXPECT_EQ(text.rfind("HISTF", 0), 0u);
  expect_same_counts(decode_histogram(text), h);
  // The empty histogram: one run of one empty bucket.
  expect_same_counts(decode_histogram(encode_histogram(make())), make());
}

// The brief's test: one set of known samples, recorded whole and split over two histograms;
// the halves are encoded, decoded with their exact figures, merged; every percentile, the
// extremes, mean and stddev equal the whole's.
TEST(LoadgenHistogramCodec, SplitEncodedDecodedAndMergedEqualsTheWhole) {
  const auto spread = Distribution::parse("lognormal:median=2ms,p95=40ms");
  const auto key = draws::name_key(draws::stream_key(9, draws::StreamKind::thread, 0), "x");
  Histogram whole = make(), a = make(), b = make();
  for (std::uint64_t n = 0; n < 100'000; ++n) {
    const auto value = static_cast<std::int64_t>(spread.sample(draws::bits(key, n)));
    whole.record(value);
    (draws::bits(key, n + 1'000'000) % 3 == 0 ? a : b).record(value);  // an uneven split
  }
  const auto travel = [](const Histogram& h) {
    Histogram decoded = decode_histogram(encode_histogram(h));
    decoded.restore_exact(h.min(), h.max(), h.sum(), h.sum_of_squares());
    return decoded;
  };
  Histogram merged = travel(a);
  merged.add(travel(b));
  expect_same_counts(merged, whole);
  for (int tenths = 0; tenths <= 1000; ++tenths)
    ASSERT_EQ(merged.value_at_percentile(tenths / 10.0), whole.value_at_percentile(tenths / 10.0))
        << tenths / 10.0;
  for (const double p : {99.99, 99.999, 99.9999})
    EXPECT_EQ(merged.value_at_percentile(p), whole.value_at_percentile(p)) << p;
  EXPECT_EQ(merged.min(), whole.min());
  EXPECT_EQ(merged.max(), whole.max());
  EXPECT_EQ(merged.mean(), whole.mean());
  EXPECT_EQ(merged.stddev(), whole.stddev());
  EXPECT_TRUE(merged.sum() == whole.sum());
}

TEST(LoadgenHistogramCodec, RestoreExactRefusesFiguresThatCannotBelongToTheCounts) {
  Histogram h = decode_histogram(encode_histogram(reference()));
  const Histogram r = reference();
  EXPECT_THROW(h.restore_exact(5, r.max(), r.sum(), r.sum_of_squares()), std::invalid_argument);
  EXPECT_THROW(h.restore_exact(r.min(), 7, r.sum(), r.sum_of_squares()), std::invalid_argument);
  EXPECT_THROW(h.restore_exact(r.min(), r.max(), 3, r.sum_of_squares()), std::invalid_argument);
  h.restore_exact(r.min(), r.max(), r.sum(), r.sum_of_squares());
  EXPECT_EQ(h.mean(), r.mean());
}

// The message of the error decoding `text` gives.
std::string decode_error(const std::string& text) {
  try {
    decode_histogram(text);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(LoadgenHistogramCodec, DamagedInputIsAnErrorThatSaysWhat) {
  EXPECT_EQ(decode_error("HIST"), "histogram: shorter than its header");
  EXPECT_EQ(decode_error("HIST*AAA"), "not base64: character 5 ('*') is not in its alphabet");
  EXPECT_EQ(decode_error("HISTF"), "not base64: its length 5 is not a multiple of 4");
  // Another cookie: a V1 histogram (0x1c849302).
  EXPECT_EQ(decode_error(base64_encode(std::string("\x1c\x84\x93\x02\0\0\0\0", 8))),
            "histogram: cookie 0x1c849302 is not HdrHistogram's V2 compressed encoding "
            "(0x1c849314)");
  // The reference cut short: its zlib stream ends early.
  const std::string bytes = base64_decode(kReferenceEncoding);
  std::string cut = bytes.substr(0, bytes.size() - 10);
  cut[7] = static_cast<char>(cut.size() - 8);  // the length field says what is there
  EXPECT_NE(decode_error(base64_encode(cut)).find("zlib stream is damaged or cut short"),
            std::string::npos);
}

TEST(LoadgenBase64, MatchesTheStandardAlphabetWithPadding) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
  EXPECT_EQ(base64_decode("Zm9vYmE="), "fooba");
  EXPECT_EQ(base64_decode("Zm9vYmFy"), "foobar");
}

}  // namespace
}  // namespace loadgen
