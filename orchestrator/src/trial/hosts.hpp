// Several hosts (CONTRACT.md 3, "Several hosts"): commands run on another machine, a network
// namespace or a container through the argv prefix of its [[host]] table (`ssh gen1`,
// `ip netns exec gen1`).
//
// - Before any load every host the run uses is checked (`PREFIX loadgen --version`, or for the
//   server's host `PREFIX hellobench --version`); a host that fails is named and the run ends
//   with exit 2 (configuration).
// - A trial on N generator hosts starts one loadgen per host through its prefix, all with the
//   same seed and the same --start-at, as parts 1/N..N/N of one load (each host an Nth of the
//   connections and of the rate: loadgen's --part numbers its streams and due times after the
//   earlier parts'), waits for all, and merges their reports with loadgen's merge library
//   (loadgen::merge_reports, linked in). A host lost (no report, an exit status other than 0,
//   1 or 4) or started late (exit 4) makes the trial invalid with the reason; the figures of
//   the hosts that reported are kept in the row.
// - The server can run on its own host (server_host): started through the prefix, its /proc
//   read there by `hellobench sample` over the same prefix.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "trial/generator.hpp"
#include "trial/launch.hpp"
#include "trial/process.hpp"

namespace hellobench {

// 'it'\''s' quoting for a POSIX shell: the remote shell ssh hands its command line to.
std::string shell_quote(const std::string& word);

// The argv that runs `command` on `host`: its prefix, then the command (each word quoted for
// the remote shell when the host is remote).
Argv host_command(const HostConfig& host, const Argv& command);

// The hosts a scenario's load comes from under a profile: the scenario's generator_hosts, else
// (for a loadgen scenario) the profile's; empty: this machine.
std::vector<const HostConfig*> generator_hosts_for(const Config& config,
                                                   const ProfileConfig& profile,
                                                   const ScenarioConfig& scenario);
// The host the servers run on (the profile's server_host, else the config's); nullptr: here.
const HostConfig* server_host_for(const Config& config, const ProfileConfig& profile);

// loadgen and hellobench on a host: the host's own paths, else the local ones.
std::filesystem::path host_loadgen(const Config& config, const HostConfig& host,
                                   const std::filesystem::path& bin_dir);
std::filesystem::path host_hellobench(const HostConfig& host);

struct HostCheck {
  std::string host;
  std::string role;  // "generator" or "server"
  Argv argv;         // what was run
  bool ok = false;
  std::string version;  // the first line it printed
  std::string error;    // why not ok
};

// Runs `PREFIX loadgen --version` on every generator host and `PREFIX hellobench --version` on
// the server's host (each at most `timeout`). Returns every check.
std::vector<HostCheck> check_hosts(const Config& config,
                                   const std::vector<const HostConfig*>& generator_hosts,
                                   const HostConfig* server_host,
                                   const std::filesystem::path& bin_dir,
                                   std::chrono::milliseconds timeout = std::chrono::seconds(20));
// Throws ConfigError (exit 2) naming every host whose check failed.
void require_hosts(const std::vector<HostCheck>& checks);

// Every host a run would use: the selected scenarios' and sweeps' generator hosts, and the
// server's host. Check these before any load.
std::vector<const HostConfig*> hosts_of_run(const Config& config, const ProfileConfig& profile,
                                            const std::vector<const ScenarioConfig*>& scenarios,
                                            const std::vector<const SweepConfig*>& sweeps);

// loadgen on several hosts behind the Generator interface: start() launches every part with
// --start-at now + the largest start_margin_s of the hosts; RunningLoad::start_at() says when
// the window begins, so the caller can begin its own measurements there.
std::unique_ptr<Generator> make_hosts_generator(const Config& config,
                                                std::vector<const HostConfig*> hosts,
                                                const std::filesystem::path& bin_dir);

// The per-host LoadSpec of part `index` (0-based) of `parts`: an equal share of the
// connections and of the rate, `threads` threads. Throws GeneratorError when the connections
// do not split evenly.
LoadSpec part_spec(const LoadSpec& whole, int index, int parts, int threads);

// ---- The server on its own host -----------------------------------------------------------

// A server started through its host's prefix, wrapped as `sh -c 'echo hellobench-pid $$; exec
// "$@"'` so that the host's process id is known (for `hellobench sample` and for the stop,
// which is `PREFIX kill -TERM PID`: a signal to ssh does not reach the remote process).
struct HostServer {
  const HostConfig* host = nullptr;
  RunningServer running;  // process: the local prefix process; host/port: where to send load
  pid_t host_pid = 0;     // the server's process id on its host
  std::filesystem::path hellobench;
  // SIGTERM there, up to `grace` for it to exit, then SIGKILL; returns its exit status (as
  // the prefix reports it).
  int terminate(std::chrono::milliseconds grace);
};

// Starts `server` on `host` (bound to the host's address) and waits until it answers GET / as
// launch_server does; the idle memory comes from one `hellobench sample` there.
HostServer launch_server_on_host(const HostConfig& host, const ServerConfig& server,
                                 const LaunchOptions& options);

// `hellobench sample PID --interval-ms N --duration-s S` over the host's prefix: the lines it
// printed, read back as the window's figures.
struct HostSample {
  double t = 0;  // wall-clock seconds on the host
  std::int64_t vm_rss_kib = 0, vm_hwm_kib = 0, rss_anon_kib = 0, rss_file_kib = 0;
  int threads = 0;
  double cpu_seconds = 0;            // task clock (schedstat), all threads
  double cpu_seconds_proc_stat = 0;  // utime + stime
  bool task_clock = false;
};
std::optional<HostSample> parse_sample_line(const std::string& line);
std::vector<HostSample> parse_sample_lines(const std::string& text);

class HostSampler {
 public:
  HostSampler(const HostServer& server, std::chrono::milliseconds interval,
              std::chrono::seconds longest, const std::filesystem::path& out);
  ~HostSampler();
  HostSampler(const HostSampler&) = delete;
  HostSampler& operator=(const HostSampler&) = delete;
  // Waits (up to 2 s) for a sample taken at or after `wall_clock_end`, then stops the sampler
  // and returns every sample it printed.
  std::vector<HostSample> finish(double wall_clock_end);

 private:
  std::optional<Process> process_;
};

}  // namespace hellobench
