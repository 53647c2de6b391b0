// CPU and memory of a process, from /proc (MEASUREMENT.md rules 8 and 9).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace hellobench {

// /proc/PID/status, in KiB. VmHWM: peak resident set since exec; VmRSS: resident now;
// RssAnon: anonymous resident memory (heap, stacks), without file-backed pages.
struct ProcStatus {
  std::int64_t vm_rss_kib = 0;
  std::int64_t rss_anon_kib = 0;
  std::int64_t rss_file_kib = 0;  // RssFile: mapped files (the binary, shared libraries)
  std::int64_t vm_hwm_kib = 0;
  int threads = 0;
};
std::optional<ProcStatus> read_proc_status(pid_t pid);  // nullopt when the process is gone

// Pss from /proc/PID/smaps_rollup (kernel >= 4.14): resident memory with each shared page
// divided among the processes that map it. nullopt when the kernel does not provide it.
std::optional<std::int64_t> read_pss_kib(pid_t pid);

// /proc/PID/stat utime + stime (all threads), converted from clock ticks to seconds.
struct CpuTimes {
  double user_seconds = 0;
  double system_seconds = 0;
  double total() const { return user_seconds + system_seconds; }
};
std::optional<CpuTimes> read_proc_cpu(pid_t pid);
CpuTimes read_self_cpu();  // this process, all threads (the orchestrator's own cost)

// On-CPU time of every thread of pid, in seconds, from /proc/PID/task/*/schedstat (first
// field: nanoseconds run, the scheduler's own clock). Unlike /proc/PID/stat's 10 ms ticks it
// resolves a window that uses little CPU (the /io scenario). Caveat: a thread that exits
// inside the window takes its time with it (the servers keep fixed worker pools).
// nullopt when the process is gone.
std::optional<double> read_task_clock_seconds(pid_t pid);

// Time the CPUs in `cpus` spent busy (user..softirq, any process) and stolen by the
// hypervisor, from /proc/stat, in seconds: deltas over a window show how much of a server's
// CPU set went to other work.
struct CpuJiffies {
  double busy = 0;
  double steal = 0;
};
CpuJiffies read_cpu_jiffies(const std::vector<int>& cpus);

struct MemorySummary {
  std::int64_t rss_mean_kib = 0;  // mean of the VmRSS samples
  std::int64_t rss_peak_kib = 0;  // VmHWM at stop (>= every sample)
  std::int64_t rss_min_kib = 0;
  std::int64_t rss_anon_mean_kib = 0;
  int threads_max = 0;
  std::size_t samples = 0;
  double sampler_cpu_seconds = 0;  // the sampler thread's own CPU (MEASUREMENT.md rule 15)
};

// Samples /proc/PID/status on its own thread at a fixed interval (default 50 ms = 20 Hz)
// between start() and stop().
class MemorySampler {
 public:
  explicit MemorySampler(pid_t pid, std::chrono::milliseconds interval = std::chrono::milliseconds(50));
  ~MemorySampler();
  MemorySampler(const MemorySampler&) = delete;
  MemorySampler& operator=(const MemorySampler&) = delete;
  void start();
  MemorySummary stop();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Who was the bottleneck over a window (MEASUREMENT.md rule 5). A share is CPU seconds over
// (window seconds x CPUs in the set), 0..1.
struct Saturation {
  double server_cpu_share = 0;
  double loadgen_cpu_share = 0;
  // Busy share of the generator's whole CPU set (generator, orchestrator, kernel work, anything
  // else there), when measured: the generator side is saturated when this reaches 90% even if
  // the generator's own share does not.
  std::optional<double> generator_side_busy_share;
  const char* bound = "server";  // "server" or "loadgen"
  std::string why;               // which figure decided, in words
};
Saturation judge_saturation(double server_cpu_seconds, int server_cpus, double loadgen_cpu_seconds,
                            int loadgen_cpus, double window_seconds,
                            std::optional<double> generator_side_busy_seconds = std::nullopt);

}  // namespace hellobench
