#include "loadgen/distribution.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <optional>
#include <vector>

#include "loadgen/draws.hpp"

namespace loadgen {
namespace {

constexpr const char* kExpectedKinds = "const, uniform, lognormal";
constexpr const char* kExpectedForms =
    "const:V, uniform:LOW:HIGH or lognormal:median=M,p95=Q (V: 100ms, 2s, 42...)";

// The 95th percentile of the standard normal distribution.
const double kZ95 = normal_quantile(0.95);

// One value of a spec and where it starts.
struct Value {
  double number = 0;                  // in the base unit: ns for durations
  std::optional<std::int64_t> whole;  // bare numbers written as integers
  bool duration = false;
  std::size_t position = 0;
  std::string_view text;
};

Value parse_value(std::string_view text, std::size_t position) {
  if (text.empty()) throw SpecError(position, "a value is missing");
  Value value;
  value.position = position;
  value.text = text;
  const char* begin = text.data();
  const char* end = begin + text.size();
  auto [ptr, ec] = std::from_chars(begin, end, value.number, std::chars_format::fixed);
  if (ec != std::errc() || !std::isfinite(value.number))
    throw SpecError(
        position,
        fmt::format("'{}' is not a number with an optional unit (ns, us, ms, s, m, h)", text));
  const std::string_view unit(ptr, static_cast<std::size_t>(end - ptr));
  if (unit.empty()) {
    std::int64_t whole = 0;
    auto [wptr, wec] = std::from_chars(begin, end, whole);
    if (wec == std::errc() && wptr == end) value.whole = whole;
    return value;
  }
  static constexpr std::array<std::pair<std::string_view, double>, 6> kUnits = {
      {{"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}}};
  const auto found =
      std::find_if(kUnits.begin(), kUnits.end(), [unit](const auto& u) { return u.first == unit; });
  if (found == kUnits.end())
    throw SpecError(position + static_cast<std::size_t>(ptr - begin),
                    fmt::format("unknown unit '{}' (expected ns, us, ms, s, m or h)", unit));
  if (value.number < 0) throw SpecError(position, fmt::format("'{}' is negative", text));
  value.number *= found->second;
  if (value.number > 1e18) throw SpecError(position, fmt::format("'{}' is too long", text));
  value.duration = true;
  return value;
}

// Every value of a spec has the unit of its first.
void check_same_unit(const Value& first, const Value& other) {
  if (first.duration == other.duration) return;
  throw SpecError(other.position,
                  first.duration
                      ? fmt::format("'{}' has no unit but '{}' has one (a spec's values are all "
                                    "durations or all integers)",
                                    other.text, first.text)
                      : fmt::format("'{}' has a unit but '{}' has none (a spec's values are all "
                                    "durations or all integers)",
                                    other.text, first.text));
}

std::int64_t whole_number(const Value& value) {
  if (!value.whole)
    throw SpecError(value.position,
                    fmt::format("'{}' is not a whole number (integers are drawn exactly; give "
                                "a unit such as ms for a duration)",
                                value.text));
  return *value.whole;
}

// Splits `text` (starting at `offset` in the spec) at `separator`, keeping each part's offset.
template <typename F>
void for_each_part(std::string_view text, std::size_t offset, char separator, F f) {
  std::size_t start = 0;
  for (;;) {
    const std::size_t end = text.find(separator, start);
    f(text.substr(start, end == std::string_view::npos ? end : end - start), offset + start);
    if (end == std::string_view::npos) return;
    start = end + 1;
  }
}

}  // namespace

std::string format_spec_error(std::string_view flag, std::string_view spec, const SpecError& e) {
  return fmt::format("{}: at '{}' position {}: {}", flag, spec, e.position() + 1, e.what());
}

Distribution Distribution::parse(std::string_view spec) {
  Distribution d;
  d.spec_ = std::string(spec);
  if (spec.empty()) throw SpecError(0, fmt::format("empty spec; expected {}", kExpectedForms));
  const std::size_t colon = spec.find(':');
  const std::string_view kind = spec.substr(0, colon);
  if (kind != "const" && kind != "uniform" && kind != "lognormal")
    throw SpecError(0,
                    fmt::format("unknown distribution '{}' (expected {})", kind, kExpectedKinds));
  if (colon == std::string_view::npos)
    throw SpecError(spec.size(), fmt::format("'{}' needs parameters after ':'; expected {}", kind,
                                             kExpectedForms));
  const std::size_t args_at = colon + 1;
  const std::string_view args = spec.substr(args_at);
  d.first_value_position_ = args_at;

  if (kind == "const" || kind == "uniform") {
    std::vector<Value> values;
    for_each_part(args, args_at, ':', [&](std::string_view part, std::size_t at) {
      const std::size_t wanted = kind == "const" ? 1 : 2;
      if (values.size() == wanted)
        throw SpecError(at - 1, kind == "const" ? "const takes one value: const:V"
                                                : "uniform takes two values: uniform:LOW:HIGH");
      values.push_back(parse_value(part, at));
      check_same_unit(values.front(), values.back());
    });
    if (kind == "uniform" && values.size() < 2)
      throw SpecError(spec.size(), "uniform takes two values: uniform:LOW:HIGH");
    d.kind_ = kind == "const" ? Kind::constant : Kind::uniform;
    d.unit_ = values.front().duration ? Unit::duration : Unit::integer;
    if (d.unit_ == Unit::integer) {
      d.low_ = static_cast<double>(whole_number(values.front()));
      d.high_ = static_cast<double>(whole_number(values.back()));
      d.low_whole_ = whole_number(values.front());
      d.high_whole_ = whole_number(values.back());
    } else {
      d.low_ = values.front().number;
      d.high_ = values.back().number;
    }
    if (d.high_ < d.low_)
      throw SpecError(values.back().position, fmt::format("HIGH '{}' is below LOW '{}'",
                                                          values.back().text, values.front().text));
    return d;
  }

  // lognormal:median=M,p95=Q
  std::optional<Value> median, p95;
  for_each_part(args, args_at, ',', [&](std::string_view part, std::size_t at) {
    const std::size_t equals = part.find('=');
    const std::string_view name = part.substr(0, equals);
    std::optional<Value>* slot = name == "median" ? &median : name == "p95" ? &p95 : nullptr;
    if (slot == nullptr)
      throw SpecError(at, fmt::format("unknown parameter '{}' (expected median, p95)", name));
    if (equals == std::string_view::npos)
      throw SpecError(at + part.size(), fmt::format("'{}' needs a value: {}=V", name, name));
    if (slot->has_value()) throw SpecError(at, fmt::format("'{}' is given twice", name));
    *slot = parse_value(part.substr(equals + 1), at + equals + 1);
  });
  if (!median) throw SpecError(spec.size(), "missing parameter median");
  if (!p95) throw SpecError(spec.size(), "missing parameter p95");
  check_same_unit(*median, *p95);
  if (!(median->number > 0))
    throw SpecError(median->position, fmt::format("median '{}' must be above 0", median->text));
  if (!(p95->number > median->number))
    throw SpecError(p95->position,
                    fmt::format("p95 '{}' must be above the median '{}'", p95->text, median->text));
  d.kind_ = Kind::lognormal;
  d.unit_ = median->duration ? Unit::duration : Unit::integer;
  d.median_ = median->number;
  d.p95_ = p95->number;
  d.mu_ = std::log(d.median_);
  d.sigma_ = std::log(d.p95_ / d.median_) / kZ95;
  return d;
}

double Distribution::sample(std::uint64_t bits) const {
  switch (kind_) {
    case Kind::constant:
      return low_;
    case Kind::uniform:
      if (unit_ == Unit::integer) return static_cast<double>(draw(bits));
      return low_ + draws::unit_interval(bits) * (high_ - low_);
    case Kind::lognormal: {
      // The midpoint of one of 2^53 equal slices of (0, 1): never 0 or 1.
      const double p = (static_cast<double>(bits >> 11) + 0.5) * 0x1p-53;
      return std::exp(mu_ + sigma_ * normal_quantile(p));
    }
  }
  return 0;
}

std::int64_t Distribution::draw(std::uint64_t bits) const {
  if (unit_ == Unit::integer) {
    if (kind_ == Kind::constant) return low_whole_;
    if (kind_ == Kind::uniform) {
      // Lemire's multiply-shift without rejection: the bias is below range / 2^64.
      const std::uint64_t range =
          static_cast<std::uint64_t>(high_whole_) - static_cast<std::uint64_t>(low_whole_) + 1;
      if (range == 0) return static_cast<std::int64_t>(bits);  // the whole 64-bit range
      __extension__ using u128 = unsigned __int128;
      const auto offset = static_cast<std::uint64_t>((static_cast<u128>(bits) * range) >> 64);
      return static_cast<std::int64_t>(static_cast<std::uint64_t>(low_whole_) + offset);
    }
    return std::llround(std::clamp(sample(bits), -9e18, 9e18));
  }
  // Durations: nanoseconds to whole milliseconds, rounded to nearest.
  return std::llround(std::clamp(sample(bits), 0.0, 9e18) / 1e6);
}

double normal_quantile(double p) {
  // Peter Acklam's algorithm: relative error below 1.15e-9, then one Halley step on the
  // exact CDF (via erfc) brings it to about machine precision.
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                 -2.759285104469687e+02, 1.383577518672690e+02,
                                 -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                 -1.556989798598866e+02, 6.680131188771972e+01,
                                 -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                                 -2.400758277161838e+00, -2.549732539343734e+00,
                                 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                                 2.445134137142996e+00, 3.754408661907416e+00};
  constexpr double kLow = 0.02425;
  if (!(p > 0)) return -HUGE_VAL;
  if (!(p < 1)) return HUGE_VAL;
  double x;
  if (p < kLow) {
    const double q = std::sqrt(-2 * std::log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= 1 - kLow) {
    const double q = p - 0.5;
    const double r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    const double q = std::sqrt(-2 * std::log1p(-p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  const double e = 0.5 * std::erfc(-x / std::sqrt(2.0)) - p;
  const double u = e * std::sqrt(2 * M_PI) * std::exp(x * x / 2);
  return x - u / (1 + x * u / 2);
}

}  // namespace loadgen
