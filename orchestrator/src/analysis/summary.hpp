// From raw trials to figures (MEASUREMENT.md rules 11, 12): per group (a scenario, or one point
// of a sweep) and server, each metric's median with an order-statistic interval and its stated
// coverage; per group, metric and server the comparison with the first server (paired per-round
// ratio where the rounds pair up), and a rank test only where n lets it decide. Every figure
// comes from analysis/figures (the same code the claims use). And the terminal table printed
// at the end of a run (<= 100 columns, pasteable into a PR).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace hellobench {

// The metrics the summary keeps per group (a subset of the registry's trial metrics).
const std::vector<std::string>& summary_metric_names();

// summary block of results.json from the trial rows: only valid trials count (throughput and
// latency also leave out generator-bound trials); outliers are marked (by repetition number),
// never dropped. servers: the order of comparison, the first being the baseline of every ratio.
// groups[]: {scenario, sweep, point, server, trials, valid_trials, loadgen_bound_trials,
// metrics: {name: {n, median, interval, coverage, method, min, max, outlier_repetitions,
// samples}}}; comparisons[]: {scenario, sweep, point, metric, server, baseline, ratio,
// interval, coverage, method, n, paired, rank_test}; servers: startup and idle memory pooled.
nlohmann::json summarize_trials(const nlohmann::json& trials,
                                const std::vector<std::string>& servers);

// The table printed at the end of a run, from a whole results document.
std::string render_terminal_summary(const nlohmann::json& results);

// object[key] as a reference, or an empty object when absent or null (iterating it yields
// nothing). Use it instead of nlohmann's value(key, default), which returns a copy: pointers
// into a copy dangle.
const nlohmann::json& member(const nlohmann::json& object, const char* key);

// 52100 -> "52.1k", 0.01234 -> "0.0123": three significant figures, SI suffix from k up.
std::string format_number(double value);
// The median and interval with one suffix: "52.1k [51.0-53.2k]".
std::string format_interval(double median, double low, double high);

}  // namespace hellobench
