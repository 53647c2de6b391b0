// `hellobench sample PID [--interval-ms N] [--duration-s S]`: a process's memory and CPU from
// /proc, one JSON line per sample, for a server on another host (the orchestrator runs it over
// the host's prefix and reads the lines back: trial/hosts.hpp, HostSampler).
//
//   {"t":1767225600.123,"pid":4242,"vm_rss_kib":10240,"vm_hwm_kib":11000,"rss_anon_kib":4100,
//    "rss_file_kib":6140,"threads":3,"cpu_s":1.234,"cpu_source":"task-clock",
//    "cpu_proc_stat_s":1.23}
//
// t: wall-clock seconds when the sample was taken; cpu_s: on-CPU seconds of every thread (the
// task clock from /proc/PID/task/*/schedstat, else utime + stime, as cpu_source says);
// cpu_proc_stat_s: utime + stime from /proc/PID/stat. The first line at once, then one every
// interval (absolute deadlines) until S seconds have passed (S = 0: that one line) or the
// process is gone. Exit 0; 1 when the process does not exist (no line printed).
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "cli.hpp"
#include "commands/common.hpp"
#include "core/errors.hpp"
#include "trial/sampler.hpp"

namespace hellobench {

namespace {

bool print_sample(std::FILE* out, int pid) {
  const auto status = read_proc_status(pid);
  if (!status) return false;
  const auto task_clock = read_task_clock_seconds(pid);
  const auto stat = read_proc_cpu(pid);
  const double t =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  const bool have_task_clock = task_clock && *task_clock > 0;
  const double proc_stat = stat ? stat->total() : 0.0;
  fmt::print(out,
             "{{\"t\":{:.6f},\"pid\":{},\"vm_rss_kib\":{},\"vm_hwm_kib\":{},\"rss_anon_kib\":{},"
             "\"rss_file_kib\":{},\"threads\":{},\"cpu_s\":{:.9f},\"cpu_source\":\"{}\","
             "\"cpu_proc_stat_s\":{:.2f}}}\n",
             t, pid, status->vm_rss_kib, status->vm_hwm_kib, status->rss_anon_kib,
             status->rss_file_kib, status->threads, have_task_clock ? *task_clock : proc_stat,
             have_task_clock ? "task-clock" : "proc-stat", proc_stat);
  std::fflush(out);
  return true;
}

}  // namespace

int command_sample(const Options& options, std::FILE* out) {
  if (options.sample_pid <= 0) throw UsageError("sample: PID must be a positive process id");
  if (options.sample_interval_ms < 1) throw UsageError("--interval-ms: must be at least 1");
  if (options.sample_duration_s < 0) throw UsageError("--duration-s: must be at least 0");
  const auto start = std::chrono::steady_clock::now();
  const auto end = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                               std::chrono::duration<double>(options.sample_duration_s));
  const auto interval = std::chrono::milliseconds(options.sample_interval_ms);
  if (!print_sample(out, options.sample_pid)) {
    throw std::runtime_error(fmt::format("sample: no process {}", options.sample_pid));
  }
  auto next = start + interval;
  while (next <= end) {
    std::this_thread::sleep_until(next);
    if (!print_sample(out, options.sample_pid)) break;  // the process is gone
    next += interval;
    // Fell behind (descheduled): resume from now rather than print a burst of samples.
    if (const auto now = std::chrono::steady_clock::now(); next < now) next = now + interval;
  }
  return kExitOk;
}

}  // namespace hellobench
