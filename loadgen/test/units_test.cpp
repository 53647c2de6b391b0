#include "loadgen/units.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace loadgen {
namespace {

using namespace std::chrono_literals;

TEST(LoadgenParseDuration, AcceptsEveryUnit) {
  EXPECT_EQ(parse_duration("250us"), 250us);
  EXPECT_EQ(parse_duration("500ms"), 500ms);
  EXPECT_EQ(parse_duration("10s"), 10s);
  EXPECT_EQ(parse_duration("2m"), 120s);
  EXPECT_EQ(parse_duration("1h"), 3600s);
}

TEST(LoadgenParseDuration, AcceptsFractionsAndBareSeconds) {
  EXPECT_EQ(parse_duration("1.5s"), 1500ms);
  EXPECT_EQ(parse_duration("10"), 10s);
  EXPECT_EQ(parse_duration("0"), 0s);
}

TEST(LoadgenParseDuration, RejectsWhatIsNotADuration) {
  for (const char* bad : {"", "ten", "10x", "-1s", "s", "1.5e"})
    EXPECT_THROW(parse_duration(bad), std::invalid_argument) << bad;
}

TEST(LoadgenParseRate, AcceptsSiSuffixes) {
  EXPECT_DOUBLE_EQ(parse_rate("250"), 250);
  EXPECT_DOUBLE_EQ(parse_rate("10k"), 10'000);
  EXPECT_DOUBLE_EQ(parse_rate("1.5k"), 1'500);
  EXPECT_DOUBLE_EQ(parse_rate("2M"), 2'000'000);
  EXPECT_DOUBLE_EQ(parse_rate("1e5"), 100'000);  // as a program may print a double
}

TEST(LoadgenParseRate, RejectsZeroNegativeAndUnknownSuffixes) {
  for (const char* bad : {"0", "-5", "10q", "", "k"})
    EXPECT_THROW(parse_rate(bad), std::invalid_argument) << bad;
}

TEST(LoadgenParseFraction, AcceptsFractionsAndPercentages) {
  EXPECT_DOUBLE_EQ(parse_fraction("0.05"), 0.05);
  EXPECT_DOUBLE_EQ(parse_fraction("1%"), 0.01);
  EXPECT_DOUBLE_EQ(parse_fraction("0"), 0);
}

TEST(LoadgenParseFraction, RejectsValuesOutsideZeroToOne) {
  for (const char* bad : {"150%", "2", "-0.1", "x"})
    EXPECT_THROW(parse_fraction(bad), std::invalid_argument) << bad;
}

TEST(LoadgenParseDuration, ErrorMessageSaysWhatWasExpected) {
  try {
    parse_duration("10x");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("unknown unit 'x'"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace loadgen
