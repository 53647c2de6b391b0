// The build curve (CONTRACT.md 2.1): rebuild seconds against service size, per language and
// loop kind, with a least-squares line; and where along it the article's ratio would be reached.
//
// The fit: ordinary least squares of the median seconds y on the size x (modules), one point
// per measured size: slope = sum((x - mean x)(y - mean y)) / sum((x - mean x)^2), intercept =
// mean y - slope * mean x. With one size there is no slope (null, with the reason).
//
// The crossing: with the lines of a (rust) and b (go), their ratio at size n is
// (a0 + a1 n) / (b0 + b1 n); it tends to a1 / b1 as n grows. The ratio threshold t is reached
// at n* = (t b0 - a0) / (a1 - t b1) when a1 > t b1 (the asymptote lies above t) and n* >= 1;
// otherwise the fit says it is never reached (or is reached already at every size).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace hellobench {

struct LineFit {
  std::size_t n = 0;
  std::optional<double> slope;      // seconds per module
  std::optional<double> intercept;  // seconds
  std::optional<double> r_squared;
  std::string why_not;  // when there is no slope
};
LineFit fit_line(const std::vector<double>& x, const std::vector<double>& y);

struct Crossing {
  std::optional<double> asymptotic_ratio;  // a1 / b1
  std::optional<double> size_modules;      // n*, when the fit reaches the threshold
  std::string reason;                      // in words, always set
};
Crossing size_at_ratio(const LineFit& a, const LineFit& b, double threshold);

// Sets `largest_size` on every generated-service row of `builds`: true on the rows of the
// largest size at which every language measured that loop (with samples), false on the others.
// Claims select the curve's end with where = { largest_size = "true" }.
void mark_largest_sizes(nlohmann::json& builds);

// results.json `build_curves`: per loop kind and language the points (size, median, lines of
// code) and the fit; per loop and pair of languages the ratios by size; and, per build claim
// part that names a loop, the size at which its threshold would be reached.
nlohmann::json build_curves(const nlohmann::json& results);

// Adds `curve` (the crossing of the claim's regime loop) and `regime.parameters.size_modules`
// to the build claims of results `claims`, from `build_curves`.
void annotate_build_claims(nlohmann::json& results);

// The table printed after a run, and appended to summary.md: seconds per language, loop and
// size, the slopes, lines of code and dependencies, image sizes, and the crossings.
std::string render_build_curves(const nlohmann::json& results);

}  // namespace hellobench
