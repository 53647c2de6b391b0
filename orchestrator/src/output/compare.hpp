// `hellobench compare A B`: two results files side by side, benchstat-like. Per server, group
// (a scenario, or one point of a sweep) and metric: A, B (each a median with its
// order-statistic interval, from analysis/figures), and the change B/A with its interval and
// its stated coverage.
//
// The two files come from separate runs, so their rounds do not pair (round 3 of A and round 3
// of B did not run side by side): the change is the ratio of medians with the Bonferroni
// interval of stats::unpaired_ratio, whose coverage is a guaranteed lower bound (0.9375 with
// n = 6 per side, 0.5 with n = 3, 0 with n = 1). Within one run, compare servers with the
// summary's paired ratios instead; across runs on a shared machine, the same-job gate
// (gate/) is the comparison whose noise is known.
//
// The mark: `~` when the interval contains no change (B/A = 1); `?` when it excludes it but its
// coverage is below kMinDecidingCoverage (too few trials to call it); otherwise `better` or
// `worse`, by the metric's direction in the registry.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "analysis/figures.hpp"

namespace hellobench {

// The change of one figure between two separate runs: B over A (candidate over baseline).
struct Change {
  bool measured = false;
  std::string why_not;
  double ratio = 0;  // median(B) / median(A) (file sizes: exact)
  double low = 0;    // interval of the ratio
  double high = 0;
  double coverage = 0;  // stated lower bound (Bonferroni); 1 for exact figures
  double coverage_if_independent = 0;
  std::string method;  // "order-statistic, Bonferroni", "exact", "search brackets"
  std::size_t n_a = 0, n_b = 0;
  std::string mark;  // "~", "?", "better", "worse"
  nlohmann::json to_json() const;
};

// The change of `selection` between a server of run A and a server of run B (usually the same
// name). Values must be positive on A's side for a ratio (else not measured, with the reason).
Change unpaired_change(const Figures& a, const std::string& server_a, const Figures& b,
                       const std::string& server_b, const Selection& selection);

// The mark of a change, as described above.
std::string change_mark(const Metric& metric, double low, double high, double coverage);

struct CompareOptions {
  // Trial metrics compared per group (registry names); empty: default_compare_metrics().
  std::vector<std::string> metrics;
};
const std::vector<std::string>& default_compare_metrics();

// The comparison as data: {a: {file, commit, profile, started_at}, b: {...},
// environment_differences: [{field, a, b}], note, rows: [{server, scenario, sweep, point,
// group, metric, label, unit, lower_is_better, a: Estimate, b: Estimate, change: Change}],
// only_in_a: [...], only_in_b: [...]}. Throws UsageError for an unknown metric name.
nlohmann::json compare_results(const nlohmann::json& a, const nlohmann::json& b,
                               const CompareOptions& options = {});

// The environment fields that differ between two runs (CPU model, cores, kernel, OS, each
// toolchain): [{field, a, b}]. Used by compare and by the stored-baseline gate's warning.
nlohmann::json environment_differences(const nlohmann::json& a, const nlohmann::json& b);

// Rendered tables: one block per metric, a row per server and group.
std::string render_compare_text(const nlohmann::json& comparison);
std::string render_compare_markdown(const nlohmann::json& comparison);

// "+12.3%" for a ratio of 1.123; "-4.0%" for 0.96; "+0.0%" for 1.
std::string percent_change(double ratio);

}  // namespace hellobench
