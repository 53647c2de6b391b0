// The history view of the dashboard: every run folder under a runs folder (results/runs), oldest
// first, with each claim's verdict and measured figure (read from the run's own claims, which
// the claims module computed) and the headline figures of each scenario (the median and
// interval of CPU per request, throughput, p99 and mean RSS per server, from analysis/figures).
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>

namespace hellobench {

// {root, runs: [{id, started_at, commit, dirty, profile, complete, claims: [{id, verdict,
// value, low, high, coverage, unit, comparison}], figures: [{scenario, metric, label, unit,
// server, value, low, high, coverage, n}]}], skipped: [{id, reason}]}. Folders without a
// readable results.json of schema hellobench/1 are listed in `skipped`, never fatal.
nlohmann::json collect_history(const std::filesystem::path& runs_root);

// The newest run folder's results.json under runs_root (folder names sort by time); empty when
// there is none.
std::filesystem::path latest_results(const std::filesystem::path& runs_root);

// The metrics the history follows per scenario.
const std::vector<std::string>& history_metric_names();

}  // namespace hellobench
