#include "loadgen/units.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <stdexcept>
#include <string>

namespace loadgen {
namespace {

// Splits "1.5k" into 1.5 and "k"; throws when there is no leading number.
double leading_number(std::string_view text, std::string_view& suffix, const char* expected) {
  if (text.empty()) throw std::invalid_argument(fmt::format("empty value; expected {}", expected));
  double value = 0;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(begin, end, value, std::chars_format::general);
  if (ec != std::errc() || !std::isfinite(value))
    throw std::invalid_argument(fmt::format("'{}' is not a number; expected {}", text, expected));
  suffix = std::string_view(ptr, static_cast<std::size_t>(end - ptr));
  return value;
}

}  // namespace

std::chrono::nanoseconds parse_duration(std::string_view text) {
  static constexpr const char* kExpected = "a duration such as 10s, 500ms, 250us, 2m or 1h";
  std::string_view suffix;
  const double value = leading_number(text, suffix, kExpected);
  double ns_per_unit = 0;
  if (suffix.empty() || suffix == "s") {
    ns_per_unit = 1e9;
  } else if (suffix == "ms") {
    ns_per_unit = 1e6;
  } else if (suffix == "us") {
    ns_per_unit = 1e3;
  } else if (suffix == "ns") {
    ns_per_unit = 1;
  } else if (suffix == "m") {
    ns_per_unit = 60e9;
  } else if (suffix == "h") {
    ns_per_unit = 3600e9;
  } else {
    throw std::invalid_argument(
        fmt::format("'{}' has an unknown unit '{}'; expected {}", text, suffix, kExpected));
  }
  if (value < 0) throw std::invalid_argument(fmt::format("'{}' is negative", text));
  const double ns = value * ns_per_unit;
  if (ns > 1e18) throw std::invalid_argument(fmt::format("'{}' is too long", text));
  return std::chrono::nanoseconds(static_cast<std::int64_t>(std::llround(ns)));
}

double parse_rate(std::string_view text) {
  static constexpr const char* kExpected = "a rate such as 500, 10k or 1.5M (requests/s)";
  std::string_view suffix;
  double value = leading_number(text, suffix, kExpected);
  if (suffix == "k" || suffix == "K") {
    value *= 1e3;
  } else if (suffix == "M") {
    value *= 1e6;
  } else if (suffix == "G") {
    value *= 1e9;
  } else if (!suffix.empty()) {
    throw std::invalid_argument(
        fmt::format("'{}' has an unknown suffix '{}'; expected {}", text, suffix, kExpected));
  }
  if (!(value > 0)) throw std::invalid_argument(fmt::format("'{}' must be greater than 0", text));
  return value;
}

double parse_fraction(std::string_view text) {
  static constexpr const char* kExpected = "a fraction such as 0.01 or a percentage such as 1%";
  std::string_view suffix;
  double value = leading_number(text, suffix, kExpected);
  if (suffix == "%") {
    value /= 100;
  } else if (!suffix.empty()) {
    throw std::invalid_argument(
        fmt::format("'{}' has an unknown suffix '{}'; expected {}", text, suffix, kExpected));
  }
  if (value < 0 || value > 1)
    throw std::invalid_argument(fmt::format("'{}' is outside 0..1 (0%..100%)", text));
  return value;
}

std::string format_duration_us(double microseconds) {
  if (microseconds < 1000) return fmt::format("{:.1f}us", microseconds);
  if (microseconds < 1e6) return fmt::format("{:.2f}ms", microseconds / 1e3);
  return fmt::format("{:.2f}s", microseconds / 1e6);
}

}  // namespace loadgen
