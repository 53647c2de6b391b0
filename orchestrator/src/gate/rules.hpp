// The gate's rules (gate.toml beside hellobench.toml): what the same-job gate measures, and per
// rule a metric from the registry, the servers and scenario it applies to, the change it
// allows in the metric's worse direction, and whether breaking it fails the gate (hard) or
// warns (soft). MEASUREMENT.md rule 14: low-noise figures (binary size, CPU per request) gate
// hard, throughput and latency percentiles softly, with thresholds above the measured noise.
//
// Parsing is strict, as for hellobench.toml: bad syntax, a missing or mistyped field, an
// unknown key or an unknown name is a ConfigError reading "FILE:LINE:COLUMN: rule 'NAME'.FIELD:
// message" (exit 2).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "analysis/metrics.hpp"
#include "config/config.hpp"

namespace hellobench {

struct GateRule {
  std::string name;
  const Metric* metric = nullptr;
  std::vector<std::string> servers;  // empty: every server of the run
  std::string scenario;              // trial metrics: the scenario (binaries: none)
  double allowed_pct = 0;            // same-job: the allowed worsening, in percent
  double stored_allowed_pct = 0;     // stored baseline: the wider margin
  bool hard = true;                  // hard: a regression fails the gate; soft: a warning
  std::string where;                 // FILE:LINE:COLUMN of the rule
};

// How the same-job gate measures: a profile of its own, short and repeated, so that the paired
// ratio of every judged figure has enough rounds (6 give a 96.9% interval).
struct GateMeasure {
  int repetitions = 6;
  double warmup_seconds = 1;
  double window_seconds = 2;
  std::vector<std::string> scenarios;
};

struct GateRules {
  std::filesystem::path file;
  GateMeasure measure;
  double stored_margin_factor = 2;  // stored_allowed_pct defaults to allowed_pct times this
  std::vector<GateRule> rules;
};

// Rules from TOML text; `config` gives the known servers and scenarios (names are checked).
GateRules parse_gate_rules(const std::string& text, const std::filesystem::path& file,
                           const Config& config);
GateRules load_gate_rules(const std::filesystem::path& file, const Config& config);

// gate.toml beside the config file.
std::filesystem::path default_rules_path(const Config& config);

// The profile the same-job gate runs under (named "gate").
ProfileConfig gate_profile(const GateRules& rules);

}  // namespace hellobench
