// The distributions a request's placeholders draw from (`--wait uniform:80ms:150ms`,
// `--id uniform:0:102399`, `--wait lognormal:median=20ms,p95=40ms`): the spec language, its
// parser, and the draw from 64 random bits (see draws.hpp for where the bits come from).
//
//   const:V                      always V
//   uniform:LOW:HIGH             durations: continuous on [LOW, HIGH); integers: each of
//                                LOW..HIGH (inclusive) equally likely
//   lognormal:median=M,p95=Q     log-normal with that median and 95th percentile (Q > M > 0)
//
// A value is a number with a duration unit (ns, us, ms, s, m, h) or a bare number; a spec's
// values are all durations or all bare. Durations are drawn in nanoseconds and rendered as
// whole milliseconds, rounded to nearest (servers take `/io?ms=N`); bare numbers are integers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace loadgen {

// A bad spec. what() says what is wrong; position() is the 0-based offset in the spec of the
// character where it goes wrong. format_spec_error() makes the user-facing message.
class SpecError : public std::invalid_argument {
 public:
  SpecError(std::size_t position, const std::string& what)
      : std::invalid_argument(what), position_(position) {}
  std::size_t position() const { return position_; }

 private:
  std::size_t position_;
};

// "--wait: at 'lognormal:median=20ms,p9=40ms' position 23: unknown parameter 'p9' (expected
// median, p95)"; positions are 1-based, as an editor counts columns.
std::string format_spec_error(std::string_view flag, std::string_view spec, const SpecError& e);

class Distribution {
 public:
  enum class Kind { constant, uniform, lognormal };
  enum class Unit { integer, duration };

  // Throws SpecError.
  static Distribution parse(std::string_view spec);

  // The value for 64 uniformly random bits, unrounded, in the base unit (nanoseconds for
  // durations). One draw takes one 64-bit word: uniform by scaling, lognormal by the inverse
  // normal CDF, so a draw is a pure function of its bits.
  double sample(std::uint64_t bits) const;
  // The value as rendered into a request: whole milliseconds for durations (rounded to
  // nearest), the integer itself for integers. Integer uniform draws are exact: LOW + the
  // high 64 bits of bits * (HIGH - LOW + 1), whose bias is below (HIGH - LOW + 1) / 2^64.
  std::int64_t draw(std::uint64_t bits) const;

  Kind kind() const { return kind_; }
  Unit unit() const { return unit_; }
  const std::string& spec() const { return spec_; }
  // 0-based offset of the spec's first value (for messages about the spec as a whole).
  std::size_t first_value_position() const { return first_value_position_; }
  // Parameters in the base unit: const has low == high; lognormal has median and p95.
  double low() const { return low_; }
  double high() const { return high_; }
  double median() const { return median_; }
  double p95() const { return p95_; }

 private:
  Kind kind_ = Kind::constant;
  Unit unit_ = Unit::integer;
  std::string spec_;
  std::size_t first_value_position_ = 0;
  double low_ = 0, high_ = 0;
  std::int64_t low_whole_ = 0, high_whole_ = 0;  // integer const and uniform, exactly
  double median_ = 0, p95_ = 0;
  double mu_ = 0, sigma_ = 0;  // lognormal: log of the median, and log(p95 / median) / z(0.95)
};

// A named value that placeholders `{name}` draw from.
struct Variable {
  std::string name;
  Distribution distribution;
};

// The standard normal quantile (inverse CDF) for p in (0, 1): Acklam's rational approximation
// refined by one Halley step, accurate to about 1e-15.
double normal_quantile(double p);

}  // namespace loadgen
