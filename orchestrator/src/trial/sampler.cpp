// CPU and memory of a process from /proc (MEASUREMENT.md rules 5, 8, 9 and 15).
#include "trial/sampler.hpp"

#include <fmt/format.h>

#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <fstream>
#include <optional>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace hellobench {
namespace {

// Reads a whole /proc file in one go: /proc files are generated on read, so one read gives a
// consistent snapshot. Empty when the file (the process) is gone.
std::optional<std::string> read_proc_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return text.str();
}

// "VmRSS:\t   1234 kB" -> 1234 (the kernel prints these in KiB, labelled kB).
std::optional<std::int64_t> status_field(std::string_view text, std::string_view key) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t end = std::min(text.find('\n', pos), text.size());
    const std::string_view line = text.substr(pos, end - pos);
    if (line.size() > key.size() && line.substr(0, key.size()) == key && line[key.size()] == ':') {
      std::string_view value = line.substr(key.size() + 1);
      const std::size_t first = value.find_first_not_of(" \t");
      if (first == std::string_view::npos) return std::nullopt;
      value.remove_prefix(first);
      std::int64_t number = 0;
      const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
      if (ec != std::errc()) return std::nullopt;
      return number;
    }
    pos = end + 1;
  }
  return std::nullopt;
}

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double timeval_seconds(const timeval& tv) {
  return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) * 1e-6;
}

}  // namespace

std::optional<ProcStatus> read_proc_status(pid_t pid) {
  const auto text = read_proc_file("/proc/" + std::to_string(pid) + "/status");
  if (!text) return std::nullopt;
  // A zombie (exited, not yet reaped) has no Vm* lines: its memory is already gone.
  const auto rss = status_field(*text, "VmRSS");
  if (!rss) return std::nullopt;
  ProcStatus status;
  status.vm_rss_kib = *rss;
  status.rss_anon_kib = status_field(*text, "RssAnon").value_or(0);
  status.rss_file_kib = status_field(*text, "RssFile").value_or(0);
  status.vm_hwm_kib = status_field(*text, "VmHWM").value_or(*rss);
  status.threads = static_cast<int>(status_field(*text, "Threads").value_or(0));
  return status;
}

std::optional<std::int64_t> read_pss_kib(pid_t pid) {
  const auto text = read_proc_file("/proc/" + std::to_string(pid) + "/smaps_rollup");
  if (!text) return std::nullopt;
  return status_field(*text, "Pss");
}

std::optional<CpuTimes> read_proc_cpu(pid_t pid) {
  const auto text = read_proc_file("/proc/" + std::to_string(pid) + "/stat");
  if (!text) return std::nullopt;
  // Field 2 (comm) is in parentheses and may itself hold spaces and ')': the fields after it
  // start after the LAST ')'. The first of them is field 3 (state); utime and stime are fields
  // 14 and 15, counted in clock ticks, and include every thread, live or exited.
  const std::size_t close = text->rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(text->substr(close + 1));
  std::string field;
  std::uint64_t utime = 0;
  std::uint64_t stime = 0;
  for (int number = 3; number <= 15; ++number) {
    if (!(fields >> field)) return std::nullopt;
    if (number == 14 || number == 15) {
      std::uint64_t ticks = 0;
      const auto [ptr, ec] = std::from_chars(field.data(), field.data() + field.size(), ticks);
      if (ec != std::errc()) return std::nullopt;
      (number == 14 ? utime : stime) = ticks;
    }
  }
  static const double ticks_per_second = static_cast<double>(sysconf(_SC_CLK_TCK));
  return CpuTimes{static_cast<double>(utime) / ticks_per_second,
                  static_cast<double>(stime) / ticks_per_second};
}

CpuTimes read_self_cpu() {
  // getrusage(RUSAGE_SELF): every thread of this process, microsecond resolution (finer than
  // the tick-based /proc/self/stat).
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return CpuTimes{timeval_seconds(usage.ru_utime), timeval_seconds(usage.ru_stime)};
}

struct MemorySampler::State {
  pid_t pid;
  std::chrono::milliseconds interval;
  std::thread thread;
  std::mutex mutex;
  std::condition_variable wake;
  bool stop_requested = false;
  bool started = false;
  bool stopped = false;

  // Written by the sampling thread, read after join.
  double rss_sum_kib = 0;
  double rss_anon_sum_kib = 0;
  std::int64_t rss_min_kib = 0;
  std::int64_t rss_max_kib = 0;
  std::int64_t hwm_kib = 0;
  int threads_max = 0;
  std::size_t samples = 0;
  double sampler_cpu_seconds = 0;

  // false when the process is gone.
  bool take_sample() {
    const auto status = read_proc_status(pid);
    if (!status) return false;
    rss_sum_kib += static_cast<double>(status->vm_rss_kib);
    rss_anon_sum_kib += static_cast<double>(status->rss_anon_kib);
    rss_min_kib = samples == 0 ? status->vm_rss_kib : std::min(rss_min_kib, status->vm_rss_kib);
    rss_max_kib = std::max(rss_max_kib, status->vm_rss_kib);
    hwm_kib = std::max(hwm_kib, status->vm_hwm_kib);
    threads_max = std::max(threads_max, status->threads);
    ++samples;
    return true;
  }

  void run() {
    const double cpu_at_start = thread_cpu_seconds();
    // Absolute deadlines, so the rate does not drift by the time each sample takes.
    auto next = std::chrono::steady_clock::now();
    std::unique_lock lock(mutex);
    while (!stop_requested) {
      lock.unlock();
      const bool alive = take_sample();
      lock.lock();
      if (!alive) break;
      next += interval;
      // Fell behind (descheduled on a busy machine): resume the schedule from now rather than
      // take a burst of catch-up samples that would all describe the same moment.
      const auto now = std::chrono::steady_clock::now();
      if (next < now) next = now + interval;
      wake.wait_until(lock, next, [this] { return stop_requested; });
    }
    lock.unlock();
    // One last look at stop: VmHWM then covers the whole window up to now.
    take_sample();
    sampler_cpu_seconds = thread_cpu_seconds() - cpu_at_start;
  }
};

MemorySampler::MemorySampler(pid_t pid, std::chrono::milliseconds interval)
    : state_(std::make_unique<State>()) {
  if (interval.count() <= 0) {
    throw std::invalid_argument("MemorySampler: interval must be positive, got " +
                                std::to_string(interval.count()) + " ms");
  }
  state_->pid = pid;
  state_->interval = interval;
}

MemorySampler::~MemorySampler() {
  if (state_ && state_->started && !state_->stopped) {
    {
      std::lock_guard lock(state_->mutex);
      state_->stop_requested = true;
    }
    state_->wake.notify_all();
    state_->thread.join();
  }
}

void MemorySampler::start() {
  if (state_->started) throw std::logic_error("MemorySampler::start called twice");
  state_->started = true;
  state_->thread = std::thread([state = state_.get()] { state->run(); });
}

MemorySummary MemorySampler::stop() {
  if (!state_->started) throw std::logic_error("MemorySampler::stop called before start");
  if (state_->stopped) throw std::logic_error("MemorySampler::stop called twice");
  {
    std::lock_guard lock(state_->mutex);
    state_->stop_requested = true;
  }
  state_->wake.notify_all();
  state_->thread.join();
  state_->stopped = true;

  const State& s = *state_;
  MemorySummary summary;
  summary.samples = s.samples;
  summary.sampler_cpu_seconds = s.sampler_cpu_seconds;
  if (s.samples == 0) return summary;  // the process was gone before the first sample
  const double count = static_cast<double>(s.samples);
  summary.rss_mean_kib = static_cast<std::int64_t>(s.rss_sum_kib / count + 0.5);
  summary.rss_anon_mean_kib = static_cast<std::int64_t>(s.rss_anon_sum_kib / count + 0.5);
  summary.rss_min_kib = s.rss_min_kib;
  // VmHWM is the kernel's own peak, so it catches spikes between samples; the max with the
  // samples only matters if the process was gone at stop.
  summary.rss_peak_kib = std::max(s.hwm_kib, s.rss_max_kib);
  summary.threads_max = s.threads_max;
  return summary;
}

Saturation judge_saturation(double server_cpu_seconds, int server_cpus, double loadgen_cpu_seconds,
                            int loadgen_cpus, double window_seconds,
                            std::optional<double> generator_side_busy_seconds) {
  if (!(window_seconds > 0)) {
    throw std::invalid_argument("judge_saturation: window_seconds must be positive, got " +
                                std::to_string(window_seconds));
  }
  if (server_cpus < 1 || loadgen_cpus < 1) {
    throw std::invalid_argument("judge_saturation: CPU set sizes must be at least 1 (server " +
                                std::to_string(server_cpus) + ", loadgen " +
                                std::to_string(loadgen_cpus) + ")");
  }
  if (server_cpu_seconds < 0 || loadgen_cpu_seconds < 0) {
    throw std::invalid_argument("judge_saturation: CPU seconds must not be negative");
  }
  constexpr double saturated = 0.9;  // a side using >= 90% of its CPU set is the bottleneck
  Saturation s;
  s.server_cpu_share = server_cpu_seconds / (window_seconds * server_cpus);
  s.loadgen_cpu_share = loadgen_cpu_seconds / (window_seconds * loadgen_cpus);
  if (generator_side_busy_seconds) {
    s.generator_side_busy_share =
        std::clamp(*generator_side_busy_seconds / (window_seconds * loadgen_cpus), 0.0, 1.0);
  }
  // When the generator side is saturated the throughput is only a floor for the server, whether
  // or not the server is saturated too (rule 5): both saturated is therefore "loadgen", the
  // verdict that never overstates the server. The side counts whole: the generator's own CPU,
  // and everything else its CPU set carried (the orchestrator, the kernel's network work).
  // Neither saturated (a fixed rate, or an I/O-bound scenario) is "server": the figure
  // describes the server at that load.
  if (s.loadgen_cpu_share >= saturated) {
    s.bound = "loadgen";
    s.why = fmt::format("the generator used {:.0f}% of its CPU set", s.loadgen_cpu_share * 100);
  } else if (s.generator_side_busy_share && *s.generator_side_busy_share >= saturated) {
    s.bound = "loadgen";
    s.why = fmt::format("the generator's CPU set was {:.0f}% busy (generator {:.0f}%)",
                        *s.generator_side_busy_share * 100, s.loadgen_cpu_share * 100);
  } else {
    s.bound = "server";
    s.why = s.generator_side_busy_share
                ? fmt::format("the generator's CPU set was {:.0f}% busy",
                              *s.generator_side_busy_share * 100)
                : fmt::format("the generator used {:.0f}% of its CPU set",
                              s.loadgen_cpu_share * 100);
  }
  return s;
}

CpuJiffies read_cpu_jiffies(const std::vector<int>& cpus) {
  CpuJiffies total;
  std::ifstream in("/proc/stat");
  std::string name;
  while (in >> name) {
    if (name.rfind("cpu", 0) != 0 || name == "cpu") {
      in.ignore(4096, '\n');
      continue;
    }
    const int cpu = std::atoi(name.c_str() + 3);
    double user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
    in >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;
    in.ignore(4096, '\n');
    if (std::find(cpus.begin(), cpus.end(), cpu) == cpus.end()) continue;
    total.busy += user + nice + system + irq + softirq;
    total.steal += steal;
  }
  const double ticks_per_second = static_cast<double>(::sysconf(_SC_CLK_TCK));
  total.busy /= ticks_per_second;
  total.steal /= ticks_per_second;
  return total;
}

std::optional<double> read_task_clock_seconds(pid_t pid) {
  std::error_code ec;
  std::filesystem::directory_iterator tasks("/proc/" + std::to_string(pid) + "/task", ec);
  if (ec) return std::nullopt;
  double total_ns = 0;
  for (const auto& task : tasks) {
    std::ifstream in(task.path() / "schedstat");
    double run_ns = 0;
    if (in >> run_ns) total_ns += run_ns;
  }
  return total_ns / 1e9;
}

}  // namespace hellobench
