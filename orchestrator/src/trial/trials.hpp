// The run loop: verify every server (contract section 1) before any load, then for each
// scenario and repetition start each server afresh, warm it up, measure one window, stop it.
// Trials interleave A B C A B C (rule 10) so drift of the machine hits all servers alike.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "trial/environment.hpp"
#include "output/progress.hpp"

namespace hellobench {

struct RunContext {
  const Config* config = nullptr;
  std::vector<const ServerConfig*> servers;
  CpuPlan cpus;
  std::filesystem::path bin_dir;
  std::filesystem::path run_dir;  // logs go under run_dir/logs
  Progress* progress = nullptr;
};

struct TrialsOutcome {
  nlohmann::json trials = nlohmann::json::array();   // one row per trial (CONTRACT.md 2.2)
  nlohmann::json skipped = nlohmann::json::array();  // scenarios not run, with the reason
  int invalid = 0;                      // trials marked invalid (generator errors, crash)
  int failures = 0;                     // server failures: crash, non-zero exit, no start
  double orchestrator_cpu_seconds = 0;  // this process over all measured windows
  double window_seconds = 0;            // the sum of all measured windows
};

// The generator program for a name, from [generators] with {bin_dir} expanded.
std::filesystem::path generator_program(const Config& config, const std::string& name,
                                        const std::filesystem::path& bin_dir);

TrialsOutcome run_trials(const RunContext& context, const ProfileConfig& profile,
                         const std::vector<const ScenarioConfig*>& scenarios);

}  // namespace hellobench
