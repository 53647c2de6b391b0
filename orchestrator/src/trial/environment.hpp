// What the run happened on (MEASUREMENT.md rule 1) and how the CPUs are shared out between
// server, load generator and orchestrator (rules 4 and 15).
#pragma once

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace hellobench {

// The CPUs this process may run on (its affinity mask), ascending.
std::vector<int> available_cpus();

struct RuleBent {
  int rule = 0;  // MEASUREMENT.md rule number
  std::string reason;
};

// Server and generator get disjoint sets; the orchestrator (and its sampler thread) takes a
// CPU of its own when there are at least three, else it shares the generator's.
struct CpuPlan {
  std::vector<int> server;
  std::vector<int> generator;
  std::vector<int> orchestrator;
  std::vector<RuleBent> rules_bent;
};
CpuPlan plan_cpus(const std::vector<int>& available);

// argv[0] as given when it contains '/', else looked up in PATH; nullopt when not executable.
std::optional<std::filesystem::path> find_program(const std::string& name);

// Adds the usual install folders of Go and Rust (/usr/local/go/bin, ~/go/bin, ~/.cargo/bin) to
// PATH when they are missing from it, as the Makefile does, so `hellobench` run by hand finds
// the same toolchains as `make bench`.
void extend_path_with_toolchains();

// Runs argv (no shell) and returns its stdout and stderr, trimmed; nullopt when it cannot be
// started or does not end within timeout.
std::optional<std::string> capture_output(
    const Argv& argv, std::chrono::milliseconds timeout = std::chrono::seconds(10),
    const std::filesystem::path& working_dir = {});
std::string first_line(const std::string& text);

// The environment block of results.json: CPU model, cores, kernel, toolchain versions (from
// the config's [toolchains] commands, plus Boost from the headers), git commit, CPU sets.
nlohmann::json collect_environment(const Config& config, const CpuPlan& plan,
                                   const std::string& profile, int jobs);

// Build jobs: the config's value, else the CPUs available (the same count for every server).
int build_jobs(const Config& config);

}  // namespace hellobench
