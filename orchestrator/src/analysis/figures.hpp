// Figures from a results document: a metric selected from trials, sweeps, builds, binaries or
// microbenchmarks, estimated as a value, a ratio or a difference between two servers, with an
// interval whose coverage is stated (MEASUREMENT.md rules 11, 12). The summary, the claims,
// compare and the report call these functions, so a figure shown in several places is computed
// once, the same way.
#pragma once

#include <cstddef>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "analysis/metrics.hpp"

namespace hellobench {

// The coverage intervals aim at; an interval below `kMinDecidingCoverage` never decides a verdict.
inline constexpr double kTargetCoverage = 0.95;
inline constexpr double kMinDecidingCoverage = 0.90;

// What to read: a metric, from rows matching the selectors.
struct Selection {
  const Metric* metric = nullptr;
  std::string scenario;  // trials: the scenario (empty: any)
  std::string sweep;     // trials of one sweep (empty: trials outside any sweep), or the
                         // sweep of a capacity figure
  std::string point;     // trials of one sweep point
  // trials: per round, the metric on `scenario` minus the metric on this scenario (same server,
  // same repetition): a marginal cost.
  std::string minus_scenario;
  // Extra equality filters on row fields: builds {kind, loop, build_profile, size_modules},
  // microbenchmarks {payload, operation}.
  std::map<std::string, std::string> where;
};

// One server's samples, each with the round it came from (trials: the repetition, so that the
// rounds of two servers, which ran interleaved, can be paired).
struct Samples {
  std::vector<double> values;
  std::vector<int> rounds;
  int left_out_loadgen_bound = 0;  // valid trials left out: the generator was the bottleneck
  int invalid = 0;                 // trials that were invalid (never counted)
  int without_value = 0;           // counted trials whose row lacks the metric
  bool exact = false;              // file sizes: one value is the whole truth
  // The samples never pair with another server's, whatever their round numbers: each
  // language's microbenchmark samples ran in its own harness at its own time, so sample i of
  // go and sample i of rust share nothing (compare takes the unpaired path).
  bool unpaired = false;
  std::optional<double> bracket_high;  // capacity: the first rate that failed (none when no
                                       // rate failed, or the failure was the generator's)
};

struct Estimate {
  bool measured = false;
  std::string why_not;  // when not measured: what is missing and how to measure it
  std::string estimator;  // value, ratio, difference, held_rate
  double value = 0;
  double low = 0, high = 0;
  double coverage = 0;    // stated coverage of [low, high]; 1 for exact figures
  bool coverage_reached = false;  // coverage >= kTargetCoverage
  std::string method;     // how the interval was computed, in words
  std::size_t n = 0;      // samples (pairs, for a paired comparison)
  bool paired = false;
  int rounds_left_out = 0;  // paired: rounds of one server with no partner in the other
  std::map<std::string, double> medians;  // per server (or language)
  int left_out_loadgen_bound = 0;
  nlohmann::json to_json() const;
};

class Figures {
 public:
  explicit Figures(const nlohmann::json& results);

  // The samples of one server (or language, for microbenchmarks) under a selection.
  Samples samples(const Selection& selection, const std::string& server) const;

  // Estimators. value: the median of a's samples; ratio: a/b (per-round ratios when the rounds
  // pair up); difference: a - b likewise; held_rate: a's capacity with its search bracket.
  Estimate value(const Selection& selection, const std::string& a) const;
  Estimate ratio(const Selection& selection, const std::string& a, const std::string& b) const;
  Estimate difference(const Selection& selection, const std::string& a,
                      const std::string& b) const;
  Estimate held_rate(const Selection& selection, const std::string& a) const;
  Estimate estimate(const std::string& estimator, const Selection& selection,
                    const std::string& a, const std::string& b) const;

  // Servers of the run in config order; the profile name.
  const std::vector<std::string>& servers() const { return servers_; }
  const std::string& profile() const { return profile_; }
  const nlohmann::json& results() const { return results_; }

  // Why a selection has no samples for a server (for a reason a reader can act on).
  std::string why_missing(const Selection& selection, const std::string& server) const;

 private:
  const nlohmann::json& results_;
  std::vector<std::string> servers_;
  std::string profile_;
};

}  // namespace hellobench
