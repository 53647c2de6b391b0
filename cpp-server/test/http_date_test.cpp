#include "cpp_server/http_date.hpp"

#include <gtest/gtest.h>
#include <time.h>

#include <ctime>

namespace cpp_server {
namespace {

TEST(CppServerHttpDate, FormatsImfFixdate) {
  // RFC 7231's own example: 784111777 s after the epoch.
  EXPECT_EQ(format_http_date(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");
}

TEST(CppServerHttpDate, PadsDayAndTimeWithZeros) {
  EXPECT_EQ(format_http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  // 2026-01-01T00:00:00Z plus 1 day, 2 h, 3 min, 4 s.
  EXPECT_EQ(format_http_date(1767225600 + 86400 + 7384), "Fri, 02 Jan 2026 02:03:04 GMT");
}

TEST(CppServerHttpDate, CurrentDateIsThisSecond) {
  // Read the clock on both sides: the formatted second must be one of them.
  const std::time_t before = std::time(nullptr);
  const std::string now(current_http_date());
  const std::time_t after = std::time(nullptr);
  EXPECT_TRUE(now == format_http_date(before) || now == format_http_date(after)) << now;
}

}  // namespace
}  // namespace cpp_server
