#include "trial/trials.hpp"

#include <fmt/format.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <fstream>
#include <map>
#include <optional>
#include <thread>

#include "core/errors.hpp"
#include "trial/database.hpp"
#include "trial/generator.hpp"
#include "trial/hosts.hpp"
#include "trial/launch.hpp"
#include "trial/sampler.hpp"
#include "trial/sweeps.hpp"

namespace hellobench {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

namespace {


std::chrono::milliseconds millis(double seconds) {
  return std::chrono::milliseconds(static_cast<long>(std::llround(seconds * 1000)));
}

// Children's CPU (user + system) reaped so far. The generator is the only child reaped while
// it runs, so the delta around its wait() is its CPU time, all threads included (the
// Generator interface hides its Process, hence this instead of Process::usage()).
double reaped_children_cpu_seconds() {
  struct rusage usage {};
  ::getrusage(RUSAGE_CHILDREN, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// Pins the calling thread (and the threads it starts later, such as the sampler) to cpus
// for its lifetime, restoring the previous mask afterwards.
class PinSelf {
 public:
  explicit PinSelf(const std::vector<int>& cpus) {
    CPU_ZERO(&previous_);
    pinned_ = !cpus.empty() && sched_getaffinity(0, sizeof previous_, &previous_) == 0;
    if (!pinned_) return;
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int cpu : cpus) CPU_SET(cpu, &set);
    pinned_ = sched_setaffinity(0, sizeof set, &set) == 0;
  }
  ~PinSelf() {
    if (pinned_) sched_setaffinity(0, sizeof previous_, &previous_);
  }
  PinSelf(const PinSelf&) = delete;
  PinSelf& operator=(const PinSelf&) = delete;

 private:
  cpu_set_t previous_;
  bool pinned_ = false;
};

std::string trial_label(const TrialPlan& plan) {
  if (!plan.sweep.empty()) {
    return fmt::format("{} {}@{} r{}", plan.server->name, plan.sweep, plan.point, plan.repetition);
  }
  return fmt::format("{} {} r{}", plan.server->name, plan.scenario->name, plan.repetition);
}

json latency_json(const LatencyMicros& l) {
  return {{"p50", l.p50},   {"p90", l.p90}, {"p95", l.p95},  {"p99", l.p99},
          {"p999", l.p999}, {"max", l.max}, {"mean", l.mean}};
}

// Size of a file now (0 when absent): the start and end of a window in a growing log.
std::uintmax_t file_size_or_zero(const fs::path& path) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  return ec ? 0 : size;
}

// Go's GODEBUG=gctrace=1 prints one line per collection, "gc N @...": the cycles in a window
// are the lines written between its start and end offsets of the server's stderr.
int count_gc_lines(const fs::path& path, std::uintmax_t from, std::uintmax_t to) {
  if (to <= from) return 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) return 0;
  in.seekg(static_cast<std::streamoff>(from));
  std::string text(static_cast<std::size_t>(to - from), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  int lines = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t end = text.find('\n', pos);
    const std::string_view line(text.data() + pos,
                                (end == std::string::npos ? text.size() : end) - pos);
    if (line.rfind("gc ", 0) == 0 && line.find(" @") != std::string_view::npos) ++lines;
    if (end == std::string::npos) break;
    pos = end + 1;
  }
  return lines;
}

}  // namespace

WindowMeasurement measure_window(const RunContext& context, int pid, Generator& generator,
                                 const LoadSpec& spec, const fs::path& log_dir,
                                 const fs::path& server_stderr, const HostServer* host_server) {
  WindowMeasurement m;
  // The server on another host: its /proc is read there, by `hellobench sample` (HostSampler).
  const bool local_server = host_server == nullptr;
  const bool server_cpus_here = local_server || !host_server->host->remote;
  std::optional<MemorySampler> sampler;
  std::optional<HostSampler> host_sampler;
  if (local_server) {
    sampler.emplace(pid);
  } else {
    const auto longest = std::chrono::duration_cast<std::chrono::seconds>(
        spec.duration + spec.timeout + std::chrono::seconds(30));
    host_sampler.emplace(*host_server, std::chrono::milliseconds(50), longest,
                         log_dir / "server-sample.jsonl");
  }
  // A load on generator hosts starts at an agreed moment: launch it first, then begin the
  // window's readings at that moment (so the start margin is not in the window).
  std::unique_ptr<RunningLoad> running;
  if (generator.starts_at_agreed_time()) {
    try {
      running = generator.start(spec, log_dir);
    } catch (const GeneratorError& e) {
      m.failure = fmt::format("load generator failed: {}", e.what());
    }
  }
  if (running && running->start_at()) {
    const auto at = std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::duration<double>(*running->start_at())));
    std::this_thread::sleep_until(at);
  }
  const double wall_start =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  std::optional<CpuTimes> server_cpu_start;
  std::optional<double> server_task_clock_start;
  if (local_server) {
    server_cpu_start = read_proc_cpu(pid);
    server_task_clock_start = read_task_clock_seconds(pid);
  }
  const CpuTimes self_start = read_self_cpu();
  const CpuJiffies server_cpus_start = read_cpu_jiffies(context.cpus.server);
  const CpuJiffies generator_cpus_start = read_cpu_jiffies(context.cpus.generator);
  const double children_start = reaped_children_cpu_seconds();
  const std::uintmax_t stderr_start = file_size_or_zero(server_stderr);
  const auto window_start = Clock::now();
  if (sampler) sampler->start();
  try {
    // A generator here starts at once, inside the readings.
    if (!running && !m.failure) running = generator.start(spec, log_dir);
    if (running) m.load = running->wait();
  } catch (const GeneratorError& e) {
    m.failure = fmt::format("load generator failed: {}", e.what());
  }
  std::optional<CpuTimes> server_cpu_end;
  std::optional<double> server_task_clock_end;
  if (local_server) {
    server_cpu_end = read_proc_cpu(pid);
    server_task_clock_end = read_task_clock_seconds(pid);
  }
  const double window_s = std::chrono::duration<double>(Clock::now() - window_start).count();
  const double wall_end =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  const double generator_cpu = reaped_children_cpu_seconds() - children_start;
  const CpuJiffies server_cpus_end = read_cpu_jiffies(context.cpus.server);
  const CpuJiffies generator_cpus_end = read_cpu_jiffies(context.cpus.generator);
  const CpuTimes self_end = read_self_cpu();
  MemorySummary memory;
  std::optional<ProcStatus> status_end;
  std::optional<std::int64_t> pss_end;
  if (sampler) {
    memory = sampler->stop();
    status_end = read_proc_status(pid);
    pss_end = read_pss_kib(pid);
  } else {
    // The samples of the window: from the last one taken before it began to the first one
    // taken after it ended (HostSampler::finish waits for that one).
    const std::vector<HostSample> samples = host_sampler->finish(wall_end);
    std::size_t first = 0;
    for (std::size_t i = 0; i < samples.size(); ++i) {
      if (samples[i].t <= wall_start) first = i;
    }
    if (!samples.empty()) {
      const HostSample& a = samples[first];
      const HostSample& b = samples.back();
      double rss = 0, anon = 0;
      for (std::size_t i = first; i < samples.size(); ++i) {
        const HostSample& x = samples[i];
        rss += static_cast<double>(x.vm_rss_kib);
        anon += static_cast<double>(x.rss_anon_kib);
        memory.rss_min_kib = i == first ? x.vm_rss_kib : std::min(memory.rss_min_kib, x.vm_rss_kib);
        memory.rss_peak_kib = std::max({memory.rss_peak_kib, x.vm_hwm_kib, x.vm_rss_kib});
        memory.threads_max = std::max(memory.threads_max, x.threads);
      }
      const auto n = static_cast<double>(samples.size() - first);
      memory.samples = samples.size() - first;
      memory.rss_mean_kib = static_cast<std::int64_t>(rss / n + 0.5);
      memory.rss_anon_mean_kib = static_cast<std::int64_t>(anon / n + 0.5);
      status_end = ProcStatus{b.vm_rss_kib, b.rss_anon_kib, b.rss_file_kib, b.vm_hwm_kib,
                              b.threads};
      if (a.task_clock && b.task_clock) {
        server_task_clock_start = a.cpu_seconds;
        server_task_clock_end = b.cpu_seconds;
      }
      server_cpu_start = CpuTimes{a.cpu_seconds_proc_stat, 0};
      server_cpu_end = CpuTimes{b.cpu_seconds_proc_stat, 0};
    }
  }

  json& row = m.fields;
  const double orchestrator_cpu = self_end.total() - self_start.total();
  m.orchestrator_cpu_seconds = orchestrator_cpu;
  m.window_seconds = window_s;
  row["window_s"] = window_s;
  row["orchestrator_cpu_seconds"] = orchestrator_cpu;
  row["orchestrator_cpu_share"] = window_s > 0 ? orchestrator_cpu / window_s : 0;
  row["sampler_cpu_seconds"] = memory.sampler_cpu_seconds;
  if (!local_server) row["sampler"] = "hellobench sample on the server's host (50 ms)";
  row["memory_samples"] = memory.samples;
  row["rss_mean_kib"] = memory.rss_mean_kib;
  row["rss_peak_kib"] = memory.rss_peak_kib;
  row["rss_min_kib"] = memory.rss_min_kib;
  row["rss_anon_mean_kib"] = memory.rss_anon_mean_kib;
  if (status_end) {
    row["rss_end_kib"] = status_end->vm_rss_kib;
    row["rss_anon_end_kib"] = status_end->rss_anon_kib;
    row["rss_file_end_kib"] = status_end->rss_file_kib;
  }
  row["pss_end_kib"] = pss_end ? json(*pss_end) : json(nullptr);
  row["threads"] = status_end ? status_end->threads : memory.threads_max;
  row["threads_max"] = memory.threads_max;
  const std::uintmax_t stderr_end = file_size_or_zero(server_stderr);
  if (const int gc = count_gc_lines(server_stderr, stderr_start, stderr_end); gc > 0) {
    row["gc_cycles"] = gc;
  }

  if (m.load) {
    const LoadResult& load = *m.load;
    const double server_cpu_ticks = server_cpu_start && server_cpu_end
                                        ? server_cpu_end->total() - server_cpu_start->total()
                                        : std::nan("");
    // The headline CPU figure is the task clock when the kernel provides it (rule 8 allows
    // either); the /proc/PID/stat figure is kept beside it.
    const bool task_clock = server_task_clock_start && server_task_clock_end &&
                            *server_task_clock_end > *server_task_clock_start;
    const double server_cpu =
        task_clock ? *server_task_clock_end - *server_task_clock_start : server_cpu_ticks;
    const double generator_side_busy = generator_cpus_end.busy - generator_cpus_start.busy;
    Saturation saturation =
        judge_saturation(server_cpu, static_cast<int>(context.cpus.server.size()), generator_cpu,
                         static_cast<int>(context.cpus.generator.size()), window_s,
                         generator_side_busy);
    if (!load.generator_cpu_measured) {
      // Generators on other machines: their CPU is not in this machine's accounts, so only the
      // server side can be judged. A saturated server, or a fixed rate held in full, describes
      // the server; anything else may be the generators' limit (rule 5: never overstate it).
      const bool held = spec.rate && load.extra.count("unsent") &&
                        rate_held(load.extra.at("unsent"), static_cast<double>(load.requests));
      if (saturation.server_cpu_share >= 0.9 || held) {
        saturation.bound = "server";
        saturation.why = fmt::format(
            "the generators ran on other hosts (CPU not measured here); the server used {:.0f}% "
            "of its CPU set{}",
            saturation.server_cpu_share * 100, held ? " and the offered rate was held" : "");
      } else {
        saturation.bound = "loadgen";
        saturation.why = fmt::format(
            "the generators ran on other hosts (CPU not measured here) and the server used only "
            "{:.0f}% of its CPU set: the throughput is a floor",
            saturation.server_cpu_share * 100);
      }
    }
    row["requests"] = load.requests;
    row["duration_s"] = load.duration_s;
    row["rps"] = load.rps;
    row["latency_us"] = latency_json(load.latency_us);
    if (load.overhead_us) row["overhead_us"] = latency_json(*load.overhead_us);
    if (!load.targets_json.empty()) row["targets"] = json::parse(load.targets_json, nullptr, false);
    row["errors"] = load.errors;
    row["errors_total"] = load.total_errors();
    row["generator_extra"] = load.extra;
    row["cpu_seconds"] = server_cpu;
    row["cpu_source"] = task_clock ? "task-clock" : "proc-stat";
    row["cpu_seconds_proc_stat"] = server_cpu_ticks;
    row["cpu_us_per_request"] =
        load.requests > 0 ? server_cpu * 1e6 / static_cast<double>(load.requests) : 0.0;
    row["generator_cpu_seconds"] =
        load.generator_cpu_measured ? json(generator_cpu) : json(nullptr);
    if (!load.generator_hosts.empty()) {
      // What ran where: the hosts, each one's part, requests and start lateness.
      row["generator_hosts"] = load.generator_hosts;
      row["hosts"] = json::parse(load.hosts_json, nullptr, false);
      if (load.start_at) row["start_at"] = *load.start_at;
      if (!load.generator_cpu_measured) {
        row["generator_cpu_note"] =
            "generators on other machines: generator_cpu_seconds is not measured here";
      }
    }
    if (!load.invalid_reason.empty()) m.failure = load.invalid_reason;
    // Interference on the server's CPUs (a shared or virtual machine): CPU time spent there
    // by anything but the server, and time the hypervisor gave to other guests (steal). A
    // high share means the window measured the machine's contention, not the server.
    const double cpus = static_cast<double>(std::max<std::size_t>(1, context.cpus.server.size()));
    if (server_cpus_here) {
      row["server_cpus_other_share"] = std::max(
          0.0, (server_cpus_end.busy - server_cpus_start.busy - server_cpu) / (window_s * cpus));
      row["server_cpus_steal_share"] =
          (server_cpus_end.steal - server_cpus_start.steal) / (window_s * cpus);
    }
    row["bound"] = saturation.bound;
    row["bound_reason"] = saturation.why;
    row["server_cpu_share"] = saturation.server_cpu_share;
    row["loadgen_cpu_share"] =
        load.generator_cpu_measured ? json(saturation.loadgen_cpu_share) : json(nullptr);
    row["generator_side_busy_share"] = saturation.generator_side_busy_share &&
                                               load.generator_cpu_measured
                                           ? json(*saturation.generator_side_busy_share)
                                           : json(nullptr);
  }
  return m;
}

bool rate_held(double unsent, double sent) {
  return unsent <= 0 || unsent <= kUnsentTolerance * (sent + unsent);
}

bool needs_database(const ScenarioConfig& scenario) {
  for (const auto& [name, value] : scenario.settings) {
    if (value.find("{database}") != std::string::npos) return true;
  }
  return false;
}

std::map<std::string, std::string> launch_settings(const RunContext& context,
                                                   const TrialPlan& plan) {
  std::map<std::string, std::string> settings;
  for (const auto& [name, value] : plan.settings) {
    settings[name] = expand(value, {{"database", context.database_uri}});
  }
  return settings;
}

TrialPlan plan_trial(const ProfileConfig& profile, const ScenarioConfig& scenario,
                     const ServerConfig& server, int repetition) {
  TrialPlan plan;
  plan.server = &server;
  plan.scenario = &scenario;
  plan.repetition = repetition;
  plan.rate = scenario.rate;
  plan.settings = scenario.settings;
  plan.warmup_seconds = scenario.warmup_seconds.value_or(profile.warmup_seconds);
  plan.window_seconds = scenario.window_seconds.value_or(profile.window_seconds);
  return plan;
}

std::optional<std::string> unsupported_reason(const TrialPlan& plan) {
  const std::vector<std::string> missing = unsupported_settings(*plan.server, plan.settings);
  if (missing.empty()) return std::nullopt;
  return fmt::format("server '{}' has no option for {} (its [server.options])", plan.server->name,
                     fmt::join(missing, ", "));
}

LoadSpec load_spec_for(const RunContext& context, const TrialPlan& plan, const std::string& host,
                       std::uint16_t port) {
  const ScenarioConfig& scenario = *plan.scenario;
  LoadSpec spec;
  spec.url = fmt::format("http://{}:{}{}",
                         host.find(':') != std::string::npos ? "[" + host + "]" : host, port,
                         scenario.path);
  spec.connections = scenario.connections;
  spec.threads = static_cast<int>(std::max<std::size_t>(1, context.cpus.generator.size()));
  spec.rate = plan.rate;
  spec.cpus = context.cpus.generator;
  spec.method = scenario.method;
  spec.headers = scenario.headers;
  spec.body_file = scenario.body_file;
  spec.targets_file = scenario.targets_file;
  spec.timeout = millis(scenario.timeout_seconds);
  // {last_id}: the last record of the store the server was asked to build (live_mb * 1024 - 1).
  std::map<std::string, std::string> vars;
  if (const auto live = plan.settings.find("live_mb"); live != plan.settings.end()) {
    const long records = std::stol(live->second) * 1024;
    vars["last_id"] = std::to_string(std::max(0L, records - 1));
  }
  // {last_db_id}: the last row of the run's users table.
  vars["last_db_id"] = std::to_string(std::max(0L, context.database_records - 1));
  for (const auto& [name, distribution] : scenario.draws) {
    spec.draws[name] = expand(distribution, vars);
  }
  return spec;
}

json run_trial(const RunContext& context, const TrialPlan& plan, Generator& generator,
               TrialsOutcome& outcome) {
  const ServerConfig& server = *plan.server;
  const ScenarioConfig& scenario = *plan.scenario;
  const fs::path log_dir =
      context.run_dir / "logs" / (plan.sweep.empty() ? scenario.name : plan.sweep) /
      (plan.sweep.empty() ? fmt::format("{}-r{}", server.name, plan.repetition)
                          : fmt::format("{}-{}-r{}", server.name, plan.point, plan.repetition));
  json row = {{"server", server.name},
              {"scenario", scenario.name},
              {"path", scenario.path},
              {"generator", generator.name()},
              {"mode", to_string(scenario.mode)},
              {"connections", scenario.connections},
              {"offered_rate", plan.rate ? json(*plan.rate) : json(nullptr)},
              {"settings", plan.settings},
              {"repetition", plan.repetition},
              {"order", plan.order},
              {"threads_requested", context.cpus.server.size()},
              {"server_cpus", context.cpus.server},
              {"generator_cpus", context.cpus.generator},
              {"window_target_s", plan.window_seconds},
              {"warmup_s", plan.warmup_seconds},
              {"log_dir", fs::relative(log_dir, context.run_dir).string()},
              // What ran where ("local": this machine); a load on hosts replaces
              // generator_hosts and adds `hosts` (each one's part, requests, start lateness).
              {"generator_hosts", json::array({"local"})},
              {"server_host", context.server_host ? context.server_host->name : "local"},
              {"valid", false},
              {"invalid_reason", nullptr},
              {"server_exit_status", nullptr}};
  if (!plan.sweep.empty()) {
    row["sweep"] = plan.sweep;
    row["point"] = plan.point;
  }
  if (const auto live = plan.settings.find("live_mb"); live != plan.settings.end()) {
    row["live_mb"] = std::stod(live->second);
  }
  auto invalid = [&](const std::string& reason) {
    row["valid"] = false;
    row["invalid_reason"] = reason;
    ++outcome.invalid;
    if (context.progress) context.progress->note(fmt::format("{}: invalid: {}", trial_label(plan), reason));
  };

  const bool uses_database = needs_database(scenario);
  if (uses_database && context.database_uri.empty()) {
    invalid("the scenario needs a database and the run has none");
    return row;
  }
  LaunchOptions launch;
  launch.bin_dir = context.bin_dir;
  launch.bind = context.config->bind;
  launch.cpus = context.cpus.server;
  launch.log_dir = log_dir;
  launch.settings = launch_settings(context, plan);
  std::optional<RunningServer> local;
  std::optional<HostServer> on_host;  // the server on its own host (server_host)
  try {
    if (context.server_host) {
      on_host.emplace(launch_server_on_host(*context.server_host, server, launch));
    } else {
      local.emplace(launch_server(server, launch));
    }
  } catch (const MissingToolError&) {
    throw;
  } catch (const std::exception& e) {
    ++outcome.failures;
    invalid(fmt::format("server did not start: {}", e.what()));
    return row;
  }
  RunningServer* running = on_host ? &on_host->running : &*local;
  row["startup_ms"] = running->startup_ms;
  row["rss_idle_kib"] = running->idle.vm_rss_kib;
  row["rss_anon_idle_kib"] = running->idle.rss_anon_kib;
  row["rss_file_idle_kib"] = running->idle.rss_file_kib;
  row["threads_idle"] = running->idle.threads;
  const pid_t pid = running->process.pid();

  LoadSpec spec = load_spec_for(context, plan, running->host, running->port);
  std::optional<std::string> failure;
  // Warm-up: the same load, short and unmeasured (JIT-free languages still need caches,
  // allocator arenas and connection state warmed before the window).
  if (plan.warmup_seconds > 0) {
    spec.duration = millis(plan.warmup_seconds);
    try {
      generator.start(spec, log_dir / "warmup")->wait();
    } catch (const GeneratorError& e) {
      failure = fmt::format("warm-up failed: {}", e.what());
    }
  }
  if (!failure) {
    spec.duration = millis(plan.window_seconds);
    WindowMeasurement m = measure_window(context, pid, generator, spec, log_dir,
                                         log_dir / "server.stderr", on_host ? &*on_host : nullptr);
    outcome.orchestrator_cpu_seconds += m.orchestrator_cpu_seconds;
    outcome.window_seconds += m.window_seconds;
    row.update(m.fields);
    if (m.failure) failure = m.failure;
  }

  const bool alive = running->process.running();
  const int exit_status = on_host
                              ? on_host->terminate(std::chrono::milliseconds(2000))
                              : running->process.terminate(std::chrono::milliseconds(2000));
  row["server_exit_status"] = exit_status;
  // A database that died under the trial makes it invalid (the servers answered 503 meanwhile);
  // the private one is started again so the run goes on.
  bool database_died = false;
  if (uses_database && context.private_database && !context.private_database->alive()) {
    database_died = true;
    try {
      context.private_database->restart();
      row["database_restarted"] = true;
    } catch (const std::exception& e) {
      row["database_restarted"] = false;
      row["database_error"] = e.what();
    }
  }
  if (database_died) {
    invalid("the database died during the trial (restarted for the next one)");
  } else if (!alive) {
    ++outcome.failures;
    invalid(fmt::format("server exited during the trial (status {})", exit_status));
  } else if (failure) {
    invalid(*failure);
  } else if (row.value("errors_total", std::uint64_t{0}) > 0) {
    // Rule 7: any error makes the trial invalid; it is kept, and the report says so.
    invalid(
        fmt::format("the load generator saw {} errors", row["errors_total"].get<std::uint64_t>()));
  } else if (scenario.mode == LoadMode::open && row.contains("generator_extra") &&
             !rate_held(row["generator_extra"].value("unsent", 0.0),
                        static_cast<double>(row.value("requests", std::uint64_t{0})))) {
    // The offered rate was not held: latency at a lower rate is not the scenario's figure.
    const std::string why = fmt::format("the offered rate was not held: {} requests unsent",
                                        row["generator_extra"]["unsent"].get<double>());
    if (plan.rate && plan.failed_capacity_rate && *plan.rate >= *plan.failed_capacity_rate) {
      // Expected: the capacity search already saw this server fail at a lower rate.
      row["over_capacity"] = true;
      row["invalid_reason"] = fmt::format(
          "{} (over its capacity: its search failed at {} req/s)", why, *plan.failed_capacity_rate);
      ++outcome.over_capacity;
      if (context.progress) {
        context.progress->note(fmt::format("{}: over capacity, not held (expected)",
                                           trial_label(plan)));
      }
    } else {
      invalid(why);
    }
  } else if (row.value("requests", std::uint64_t{0}) == 0) {
    invalid("no request completed in the window");
  } else {
    row["valid"] = true;
  }
  if (alive && exit_status != 0) {
    // SIGTERM must end a server with 0 within 2 s (contract section 1): a failure, but the
    // trial's figures were taken before the stop and stay valid.
    ++outcome.failures;
    row["server_exit_note"] =
        fmt::format("exit status {} after SIGTERM (expected 0 within 2 s)", exit_status);
  }
  return row;
}

namespace {

}  // namespace

fs::path generator_program(const Config& config, const std::string& name, const fs::path& bin_dir) {
  const auto it = config.generators.find(name);
  const std::string program = it == config.generators.end() ? name : it->second;
  return expand(program, {{"bin_dir", bin_dir.string()}});
}

TrialsOutcome run_trials(const RunContext& context, const ProfileConfig& profile,
                         const std::vector<const ScenarioConfig*>& scenarios,
                         const std::vector<const SweepConfig*>& sweeps) {
  TrialsOutcome outcome;
  std::map<std::string, std::unique_ptr<Generator>> generators;
  auto generator_for = [&](const ScenarioConfig& scenario) -> Generator* {
    // loadgen on generator hosts (checked before any load: commands/run.cpp).
    if (const auto hosts = generator_hosts_for(*context.config, profile, scenario);
        !hosts.empty()) {
      std::string key = "loadgen@";
      for (const HostConfig* h : hosts) key += h->name + ",";
      if (!generators.count(key)) {
        generators[key] = make_hosts_generator(*context.config, hosts, context.bin_dir);
      }
      return generators.at(key).get();
    }
    if (generators.count(scenario.generator)) return generators.at(scenario.generator).get();
    const fs::path program =
        generator_program(*context.config, scenario.generator, context.bin_dir);
    const bool present = program.has_parent_path() ? fs::exists(program)
                                                   : find_program(program.string()).has_value();
    if (!present) {
      if (scenario.generator == "wrk") {
        throw MissingToolError(fmt::format(
            "wrk not found ({}): install it (Debian: apt-get install wrk) or set [generators] wrk",
            program.string()));
      }
      return nullptr;
    }
    generators[scenario.generator] = make_generator(scenario.generator, program);
    return generators.at(scenario.generator).get();
  };
  auto skip = [&](const std::string& what, const std::string& reason) {
    // Honest fallback: wrk cannot hold a fixed rate, so an open-loop scenario without loadgen
    // is not run at all rather than run as something else.
    outcome.skipped.push_back({{"scenario", what}, {"reason", reason}});
    if (context.progress) context.progress->note(fmt::format("{} skipped: {}", what, reason));
  };

  std::vector<const ScenarioConfig*> runnable;
  for (const ScenarioConfig* scenario : scenarios) {
    if (!generator_for(*scenario)) {
      skip(scenario->name, fmt::format("{} not built", scenario->generator));
      continue;
    }
    runnable.push_back(scenario);
  }
  int total = 0;
  for (const ScenarioConfig* s : runnable) {
    total += static_cast<int>(context.servers.size()) * profile.repetitions;
    (void)s;
  }
  for (const SweepConfig* sweep : sweeps) total += planned_sweep_trials(context, profile, *sweep);
  if (context.progress) {
    context.progress->begin("trials", total, profile.warmup_seconds + profile.window_seconds + 0.5);
  }
  // The orchestrator and its sampler thread stay on their own CPU (rule 15; on 2 CPUs that is
  // the generator's, recorded in rules_bent).
  PinSelf pin(context.cpus.orchestrator);
  int order = 0;
  for (const ScenarioConfig* scenario : runnable) {
    Generator& generator = *generator_for(*scenario);
    for (int rep = 1; rep <= profile.repetitions; ++rep) {
      for (const ServerConfig* server : context.servers) {
        TrialPlan plan = plan_trial(profile, *scenario, *server, rep);
        plan.order = ++order;
        if (const auto why = unsupported_reason(plan)) {
          if (rep == 1) skip(fmt::format("{} on {}", scenario->name, server->name), *why);
          continue;
        }
        if (context.progress) context.progress->step(order, trial_label(plan));
        outcome.trials.push_back(run_trial(context, plan, generator, outcome));
      }
    }
  }
  for (const SweepConfig* sweep : sweeps) {
    const ScenarioConfig& scenario = *context.config->find_scenario(sweep->scenario);
    if (context.server_host && sweep->capacity) {
      // The capacity search (trial/sweeps.cpp) starts its server on this machine.
      skip("sweep " + sweep->name,
           "its capacity search runs the server on this machine only, and the servers run on "
           "host '" + context.server_host->name + "'");
      continue;
    }
    Generator* generator = generator_for(scenario);
    if (!generator) {
      skip("sweep " + sweep->name, fmt::format("{} not built", scenario.generator));
      continue;
    }
    run_sweep(context, profile, *sweep, *generator, order, outcome);
  }
  if (context.progress) context.progress->end();
  return outcome;
}

}  // namespace hellobench
