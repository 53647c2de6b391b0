// From raw trials to figures: medians with 95% intervals per server, scenario and metric, and
// ratios against the first server with a Mann-Whitney U test (MEASUREMENT.md rules 11, 12);
// and the terminal table printed at the end of a run (<= 100 columns, pasteable into a PR).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace hellobench {

// The metrics summarised, with where each is read from a trial row ("latency_us/p99").
struct MetricDef {
  const char* name;     // "p99_us"
  const char* pointer;  // JSON pointer into a trial row: "/latency_us/p99"
  const char* label;    // "p99 ms" (for tables)
  double scale;         // multiply to get the label's unit (1e-3 for us -> ms)
  bool lower_is_better;
};
const std::vector<MetricDef>& summary_metrics();

// summary block of results.json from the trial rows: only valid trials count; outliers are
// marked (by repetition number), never dropped. servers: the order of comparison, the first
// being the baseline of every ratio.
nlohmann::json summarize_trials(const nlohmann::json& trials,
                                const std::vector<std::string>& servers);

// The table printed at the end of a run, from a whole results document.
std::string render_terminal_summary(const nlohmann::json& results);

// object[key] as a reference, or an empty object when absent or null (iterating it yields
// nothing).
// Use it instead of nlohmann's value(key, default), which returns a copy: pointers into a copy
// dangle.
const nlohmann::json& member(const nlohmann::json& object, const char* key);

// 52100 -> "52.1k", 0.01234 -> "0.0123": three significant figures, SI suffix from k up.
std::string format_number(double value);
// The median and interval with one suffix: "52.1k [51.0-53.2k]".
std::string format_interval(double median, double low, double high);

}  // namespace hellobench
