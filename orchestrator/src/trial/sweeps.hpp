// Load sweeps (CONTRACT.md 2, "Load sweeps and regimes"): a scenario measured at a list of
// points. With a [capacity] search, each server's capacity is found first (the highest offered
// rate it holds with p99 under a bound, by stepping the rate up on one running server, then
// bisecting); points can then be fractions of a reference server's capacity, or the rate at
// which the reference uses a given share of its CPU. Every point is a normal trial (fresh
// server, warm-up, window), repeated and interleaved A B C A B C.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "config/config.hpp"
#include "trial/trials.hpp"

namespace hellobench {

// One probe of a capacity search, as kept in results.json.
struct CapacityProbe {
  double rate = 0;
  bool held = false;
  std::string why_not;  // when not held: unsent, errors, p99 over the bound, generator-bound
  double p99_us = 0;
  double achieved_rate = 0;
  double cpu_share = 0;
  double cpu_us_per_request = 0;
  bool loadgen_bound = false;
};

// The rate at which a server would use `share` of its CPU set, from the probes it held: linear
// interpolation between the two held probes around it, extrapolated from the lowest two below
// them (CPU share grows about linearly with the offered rate below saturation). nullopt when no
// held probe reached the share and the line cannot be extended (fewer than two held probes).
std::optional<double> rate_for_cpu_share(const std::vector<CapacityProbe>& probes, double share);

// The trials a sweep will run under a profile (for the progress line).
int planned_sweep_trials(const RunContext& context, const ProfileConfig& profile,
                         const SweepConfig& sweep);

// Runs the capacity search (if any) and every point; trial rows go to outcome.trials, the
// sweep's curves and capacities to outcome.sweeps. `order` counts trials across the run.
void run_sweep(const RunContext& context, const ProfileConfig& profile, const SweepConfig& sweep,
               Generator& generator, int& order, TrialsOutcome& outcome);

}  // namespace hellobench
