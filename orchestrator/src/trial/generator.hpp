// Load generators behind one interface: wrk (closed loop) and hellobench's own loadgen
// (closed and open loop). Each runs as a separate process pinned to its CPU set, so the
// orchestrator can measure its CPU like the server's.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace hellobench {

struct LoadSpec {
  std::string url;  // http://127.0.0.1:PORT/path
  int connections = 16;
  int threads = 1;
  std::chrono::milliseconds duration{10000};
  std::optional<double> rate;  // requests/s for an open-loop trial; nullopt = closed loop
  std::chrono::milliseconds timeout{2000};
  std::vector<int> cpus;  // CPU set for the generator process
  // The request beyond a plain GET (loadgen only; wrk refuses these with GeneratorError).
  std::string method = "GET";
  std::vector<std::string> headers;  // "Name: value"
  std::filesystem::path body_file;
  std::filesystem::path targets_file;
  std::map<std::string, std::string> draws;  // placeholder -> distribution spec
  std::uint64_t seed = 1;                    // the same draws for every server
};

struct LatencyMicros {
  double p50 = 0, p90 = 0, p95 = 0, p99 = 0, p999 = 0, max = 0, mean = 0;
};

struct LoadResult {
  std::uint64_t requests = 0;
  double duration_s = 0;
  double rps = 0;
  LatencyMicros latency_us;
  // connect, read, write, timeout, parse, status_4xx, status_5xx (0 when none)
  std::map<std::string, std::uint64_t> errors;
  std::uint64_t total_errors() const;
  std::string raw_output;  // what the generator printed, kept for the run folder
  // Figures only one generator reports, by name: wrk "bytes", "latency_stdev_us"; loadgen
  // "latency_p9999_us", "latency_stddev_us", "reconnects", "late_sends", "unsent",
  // "connections", "offered_rate" (absent when closed loop).
  std::map<std::string, double> extra;
  // loadgen with a {wait} draw: latency minus the wait each request asked for.
  std::optional<LatencyMicros> overhead_us;
  // loadgen with a targets file: per target {requests, errors, latency_us}, as it reported it.
  std::string targets_json;
  // Load from several hosts (trial/hosts.hpp): which hosts, per host what it ran and measured
  // (a JSON array: host, part, exit_status, requests, start_late_ms, ...), and why the trial
  // cannot stand although figures came back (a host lost, a host started late); empty for a
  // generator on this machine.
  std::vector<std::string> generator_hosts;
  std::string hosts_json;
  std::string invalid_reason;
  std::optional<double> start_at;  // the agreed start (wall-clock seconds)
  // False when a generator ran on another machine: its CPU is not in this machine's accounts.
  bool generator_cpu_measured = true;
};

struct GeneratorError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class RunningLoad {
 public:
  virtual ~RunningLoad() = default;
  virtual pid_t pid() const = 0;
  // When the load's timeline begins (wall-clock seconds; loadgen --start-at), for a load that
  // starts at an agreed moment rather than at once: the caller starts its own measurements
  // there. nullopt: at once.
  virtual std::optional<double> start_at() const { return std::nullopt; }
  // Waits for the generator to finish and parses its output; throws GeneratorError when it
  // failed or printed something unparseable (the message carries its stderr).
  virtual LoadResult wait() = 0;
};

class Generator {
 public:
  virtual ~Generator() = default;
  virtual std::string name() const = 0;           // "wrk" or "loadgen"
  virtual bool supports_open_loop() const = 0;    // fixed offered rate
  virtual std::string version() const = 0;        // for results.json environment
  // True when start() launches a load that begins at an agreed moment (RunningLoad::start_at),
  // as loadgen on several hosts does: the caller launches it before its window's readings.
  virtual bool starts_at_agreed_time() const { return false; }
  // Starts the generator; its stdout and stderr go under log_dir (created if missing) as
  // <name>.stdout and <name>.stderr, with wrk's report script as wrk-report.lua: give each run
  // its own folder. Throws GeneratorError for a spec the generator cannot run (wrk: a rate or a
  // duration that is not whole seconds) or a program that cannot be started.
  virtual std::unique_ptr<RunningLoad> start(const LoadSpec& spec,
                                             const std::filesystem::path& log_dir) = 0;
};

// name: "wrk" or "loadgen"; program: the executable (path or name in PATH).
// Throws GeneratorError for an unknown name.
std::unique_ptr<Generator> make_generator(const std::string& name,
                                          const std::filesystem::path& program);

}  // namespace hellobench
