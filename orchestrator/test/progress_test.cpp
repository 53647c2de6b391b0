// Progress lines: plain log lines when not on a terminal, one redrawn line when live.
#include "output/progress.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace hellobench {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string slurp(std::FILE* file) {
  std::fflush(file);
  std::rewind(file);
  std::string text;
  char buffer[4096];
  std::size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, file)) > 0) text.append(buffer, n);
  std::fclose(file);
  return text;
}

TEST(Progress, PlainModeWritesOneLinePerStepWithAnEstimate) {
  std::FILE* out = std::tmpfile();
  Progress progress(out, /*live=*/false);
  progress.begin("trials", 4, 2.5);
  progress.step(1, "go hello r1");
  progress.note("scenario x skipped");
  const std::string text = slurp(out);
  EXPECT_THAT(text, HasSubstr("hellobench: trials (4 steps)\n"));
  // Nothing finished yet: the estimate, 4 items x 2.5 s = 10 s.
  EXPECT_THAT(text, HasSubstr("hellobench: trials 1/4: go hello r1  ETA 10s\n"));
  EXPECT_THAT(text, HasSubstr("hellobench: scenario x skipped\n"));
  EXPECT_THAT(text, Not(HasSubstr("\r")));
}

TEST(Progress, LiveModeRedrawsOneLineAndClearsItForNotes) {
  std::FILE* out = std::tmpfile();
  Progress progress(out, /*live=*/true);
  progress.begin("builds", 2);
  progress.step(1, "cpp dev clean #1");
  progress.note("build failed");
  progress.end();
  const std::string text = slurp(out);
  EXPECT_THAT(text, HasSubstr("\r\033[Kbuilds 1/2: cpp dev clean #1  ETA ?"));
  EXPECT_THAT(text, HasSubstr("\r\033[Khellobench: build failed\n"));
}

TEST(Progress, DurationsReadAsSecondsMinutesHours) {
  EXPECT_EQ(Progress::format_duration(42.4), "42s");
  EXPECT_EQ(Progress::format_duration(65), "1m05s");
  EXPECT_EQ(Progress::format_duration(3725), "1h02m");
  EXPECT_EQ(Progress::format_duration(-3), "0s");
}

}  // namespace
}  // namespace hellobench
