// The run loop: verify every server (contract section 1) before any load, then for each
// scenario and repetition start each server afresh, warm it up, measure one window, stop it.
// Trials interleave A B C A B C (rule 10) so drift of the machine hits all servers alike.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "trial/generator.hpp"
#include "trial/environment.hpp"
#include "output/progress.hpp"

namespace hellobench {

struct HostServer;  // trial/hosts.hpp

struct RunContext {
  const Config* config = nullptr;
  std::vector<const ServerConfig*> servers;
  CpuPlan cpus;
  std::filesystem::path bin_dir;
  std::filesystem::path run_dir;  // logs go under run_dir/logs
  Progress* progress = nullptr;
  // The database scenarios use ({database} in a setting): its URI and rows, and the private
  // server when the run started one (checked after each trial that used it, restarted if dead).
  std::string database_uri;
  long database_records = 0;
  class PrivateDatabase* private_database = nullptr;
  // The [[host]] the servers run on (trial/hosts.hpp), nullptr: this machine. Scenario trials
  // start the server there and read its /proc there with `hellobench sample`.
  const HostConfig* server_host = nullptr;
};

// Whether a scenario needs the run's database (a setting names {database}).
bool needs_database(const ScenarioConfig& scenario);

// Whether an open-loop load held its offered rate: at most 0.1% of the requests due in the
// window were left unsent (a handful of late sends at the window's end on a shared core is not a
// rate that was not held; more is). Trials, capacity probes and hosts all judge it here.
constexpr double kUnsentTolerance = 0.001;
bool rate_held(double unsent, double sent);

struct TrialsOutcome {
  nlohmann::json trials = nlohmann::json::array();   // one row per trial (CONTRACT.md 2.2)
  nlohmann::json skipped = nlohmann::json::array();  // scenarios not run, with the reason
  int invalid = 0;                      // trials marked invalid (generator errors, crash)
  int over_capacity = 0;                // sweep trials offered more than the server held
  int failures = 0;                     // server failures: crash, non-zero exit, no start
  double orchestrator_cpu_seconds = 0;  // this process over all measured windows
  double window_seconds = 0;            // the sum of all measured windows
  nlohmann::json sweeps = nlohmann::json::array();  // per sweep: capacity and points
};

// One trial as planned: which server, scenario and repetition, and what a sweep changes
// (the offered rate, a server setting such as live_mb).
struct TrialPlan {
  const ServerConfig* server = nullptr;
  const ScenarioConfig* scenario = nullptr;
  int repetition = 1;
  int order = 0;
  std::optional<double> rate;                   // overrides scenario->rate
  std::map<std::string, std::string> settings;  // scenario->settings with a sweep's value
  std::string sweep;                            // empty outside sweeps
  std::string point;                            // the sweep point's label
  // The lowest rate this server's capacity search (in this sweep) did not hold: a trial offered
  // at least that much is expected not to hold it, a finding about the server rather than a
  // failure of the run (the row says over_capacity, and it does not count as invalid).
  std::optional<double> failed_capacity_rate;
  double warmup_seconds = 1;
  double window_seconds = 2;
};

// The plan of a scenario's trial under a profile: settings and windows resolved.
TrialPlan plan_trial(const ProfileConfig& profile, const ScenarioConfig& scenario,
                     const ServerConfig& server, int repetition);

// The plan's server settings with {database} replaced by the run's database URI: what a server
// of a trial or of a capacity search is started with.
std::map<std::string, std::string> launch_settings(const RunContext& context,
                                                   const TrialPlan& plan);

// The settings a server lacks for a plan (the trial is skipped for it, with this reason).
std::optional<std::string> unsupported_reason(const TrialPlan& plan);

// The load the plan asks for, against a server at host:port: URL, connections, rate, the
// request (method, headers, body, targets) and the draws ({last_id} resolved from live_mb).
LoadSpec load_spec_for(const RunContext& context, const TrialPlan& plan, const std::string& host,
                       std::uint16_t port);

// One measured window on a running server: the load, the server's CPU (task clock) and memory,
// the generator's CPU and its CPU set's busy time (who was the bottleneck), GC cycles from the
// server's stderr (Go's gctrace). `fields` are the trial-row fields it measured. A load that
// starts at an agreed moment (generator hosts, RunningLoad::start_at) is launched first and the
// window's readings begin at that moment. With `host_server` the server runs on another host and
// its CPU and memory come from `hellobench sample` there (pid is then unused).
struct WindowMeasurement {
  std::optional<LoadResult> load;
  std::optional<std::string> failure;
  nlohmann::json fields = nlohmann::json::object();
  double orchestrator_cpu_seconds = 0;
  double window_seconds = 0;
};
WindowMeasurement measure_window(const RunContext& context, int pid, Generator& generator,
                                 const LoadSpec& spec, const std::filesystem::path& log_dir,
                                 const std::filesystem::path& server_stderr,
                                 const HostServer* host_server = nullptr);

// One trial: fresh server, warm-up, measured window, stop. Never throws for a server or
// generator failure: the row says what went wrong and the run goes on.
nlohmann::json run_trial(const RunContext& context, const TrialPlan& plan, Generator& generator,
                         TrialsOutcome& outcome);

// The generator program for a name, from [generators] with {bin_dir} expanded.
std::filesystem::path generator_program(const Config& config, const std::string& name,
                                        const std::filesystem::path& bin_dir);

// Every scenario of the list, then every sweep of the profile (trial rows in `trials`, the
// sweep curves and capacities in `sweeps`).
TrialsOutcome run_trials(const RunContext& context, const ProfileConfig& profile,
                         const std::vector<const ScenarioConfig*>& scenarios,
                         const std::vector<const SweepConfig*>& sweeps = {});

}  // namespace hellobench
