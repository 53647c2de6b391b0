#include "cpp_server/http_date.hpp"

#include <time.h>

#include <array>

namespace cpp_server {
namespace {

constexpr std::size_t kHttpDateLength = 29;  // "Sun, 06 Nov 1994 08:49:37 GMT"

// Fixed English names: strftime's %a and %b follow the locale, the header must not.
constexpr std::array<const char*, 7> kWeekdays{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::array<const char*, 12> kMonths{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// Writes two (or four) decimal digits; gmtime_r keeps every field in range.
char* put_digits(char* out, int value, int width) {
  for (int i = width - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  return out + width;
}

char* put_text(char* out, std::string_view text) {
  for (char c : text) *out++ = c;
  return out;
}

void write_http_date(std::time_t seconds, char (&out)[kHttpDateLength]) {
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char* p = put_text(out, kWeekdays[utc.tm_wday]);
  p = put_text(p, ", ");
  p = put_digits(p, utc.tm_mday, 2);
  p = put_text(p, " ");
  p = put_text(p, kMonths[utc.tm_mon]);
  p = put_text(p, " ");
  p = put_digits(p, utc.tm_year + 1900, 4);
  p = put_text(p, " ");
  p = put_digits(p, utc.tm_hour, 2);
  p = put_text(p, ":");
  p = put_digits(p, utc.tm_min, 2);
  p = put_text(p, ":");
  p = put_digits(p, utc.tm_sec, 2);
  put_text(p, " GMT");
}

}  // namespace

std::string format_http_date(std::time_t seconds_since_epoch) {
  char text[kHttpDateLength];
  write_http_date(seconds_since_epoch, text);
  return std::string(text, kHttpDateLength);
}

std::string_view current_http_date() {
  // CLOCK_REALTIME_COARSE: the tick-granular clock, cheap to read; it trails by at most a tick
  // (a few ms), well inside the one-second precision of the header.
  timespec now{};
  clock_gettime(CLOCK_REALTIME_COARSE, &now);
  thread_local std::time_t cached_second = -1;
  thread_local char cached_text[kHttpDateLength];
  if (now.tv_sec != cached_second) {
    write_http_date(now.tv_sec, cached_text);
    cached_second = now.tv_sec;
  }
  return {cached_text, kHttpDateLength};
}

}  // namespace cpp_server
