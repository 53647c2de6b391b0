// The gate's verdicts: every rule, for every server it names, judged on the change of its
// figure from baseline to candidate.
//
// Same-job mode (the recommended one): baseline and candidate binaries of each server ran
// interleaved in one run (A B A B), so round i of both shared the machine's state; the change
// is the paired within-run ratio candidate/baseline (stats::paired_ratio on the samples
// analysis/figures selects: the median of the per-round ratios, order-statistic interval, 96.9%
// coverage with 6 rounds, 93.75% with 5). A round in which either binary has no valid trial is
// left out, and the reason says how many rounds paired.
// Stored mode: two separate runs; the change is the unpaired ratio of medians (Bonferroni,
// a stated lower bound on coverage), judged against the rules' wider stored margins.
//
// The rule of a verdict, for a rule allowing a worsening of p% (for a lower-is-better metric:
// ratio 1 + p/100; for a higher-is-better one: 1 - p/100):
//   regression    the median ratio is worse than allowed AND the whole interval is on the worse
//                 side of "no change" with coverage >= 90% (or the figure is exact): the
//                 figure moved, and by more than allowed;
//   unclear       the median ratio is worse than allowed, but the interval reaches "no change"
//                 or its coverage is too low to say so: a warning, never a failure;
//   pass          otherwise;
//   not measured  the run has no such figure (the reason names what is missing).
// A hard rule's regression fails the gate (exit 1), and so does a hard rule that could not be
// measured; anything soft only warns (exit 0).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "analysis/figures.hpp"
#include "gate/rules.hpp"

namespace hellobench {

inline constexpr const char* kGatePass = "pass";
inline constexpr const char* kGateRegression = "regression";
inline constexpr const char* kGateUnclear = "unclear";
inline constexpr const char* kGateNotMeasured = "not measured";

// The verdict of one figure's change under one rule (see above). `allowed_pct` is the margin
// that applies in this mode.
struct GateCheck {
  std::string verdict;
  std::string reason;
};
GateCheck judge_change(const Metric& metric, double allowed_pct, double ratio, double low,
                       double high, double coverage, bool exact);

// Same-job: `doc` is one run whose servers include, for each name in `servers`, the candidate
// under that name and the baseline under baseline_name(name, baseline_label).
nlohmann::json judge_same_job(const nlohmann::json& doc, const GateRules& rules,
                              const std::vector<std::string>& servers,
                              const std::string& baseline_label);
std::string baseline_name(const std::string& server, const std::string& baseline_label);

// Stored: two results files; every server the rules name that both runs measured.
nlohmann::json judge_stored(const nlohmann::json& baseline, const nlohmann::json& candidate,
                            const GateRules& rules);

// The verdict document: {mode, rules_file, rows[], hard_failures, soft_failures, warnings[],
// passed}. rows[]: {rule, server, scenario, metric, label, severity, allowed_pct, ratio, low,
// high, coverage, method, n, per_round, verdict, reason, failed}.
// Exit code of a verdict: 0 pass (soft failures only warn), 1 a hard failure.
int gate_exit_code(const nlohmann::json& verdict);

std::string render_gate_text(const nlohmann::json& verdict);
std::string render_gate_markdown(const nlohmann::json& verdict);

}  // namespace hellobench
