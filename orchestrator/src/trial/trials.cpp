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

#include "core/errors.hpp"
#include "trial/generator.hpp"
#include "trial/launch.hpp"
#include "trial/sampler.hpp"

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

std::string trial_label(const ServerConfig& server, const ScenarioConfig& scenario, int rep) {
  return fmt::format("{} {} r{}", server.name, scenario.name, rep);
}

json latency_json(const LatencyMicros& l) {
  return {{"p50", l.p50},   {"p90", l.p90}, {"p95", l.p95},  {"p99", l.p99},
          {"p999", l.p999}, {"max", l.max}, {"mean", l.mean}};
}

struct TrialInput {
  const ServerConfig* server;
  const ScenarioConfig* scenario;
  int repetition;
  int order;
};

// One trial: fresh server, warm-up, measured window, stop. Never throws for a server or
// generator failure: the row says what went wrong and the run goes on.
json run_one(const RunContext& context, const ProfileConfig& profile, const TrialInput& input,
             Generator& generator, TrialsOutcome& outcome) {
  const ServerConfig& server = *input.server;
  const ScenarioConfig& scenario = *input.scenario;
  const fs::path log_dir = context.run_dir / "logs" / scenario.name /
                           fmt::format("{}-r{}", server.name, input.repetition);
  json row = {{"server", server.name},
              {"scenario", scenario.name},
              {"path", scenario.path},
              {"generator", generator.name()},
              {"mode", to_string(scenario.mode)},
              {"connections", scenario.connections},
              {"offered_rate", scenario.rate ? json(*scenario.rate) : json(nullptr)},
              {"repetition", input.repetition},
              {"order", input.order},
              {"threads_requested", context.cpus.server.size()},
              {"server_cpus", context.cpus.server},
              {"generator_cpus", context.cpus.generator},
              {"window_target_s", profile.window_seconds},
              {"warmup_s", profile.warmup_seconds},
              {"log_dir", fs::relative(log_dir, context.run_dir).string()},
              {"valid", false},
              {"invalid_reason", nullptr},
              {"server_exit_status", nullptr}};
  auto invalid = [&](const std::string& reason) {
    row["valid"] = false;
    row["invalid_reason"] = reason;
    ++outcome.invalid;
    if (context.progress) {
      context.progress->note(
          fmt::format("{}: invalid: {}", trial_label(server, scenario, input.repetition), reason));
    }
  };

  LaunchOptions launch;
  launch.bin_dir = context.bin_dir;
  launch.bind = context.config->bind;
  launch.cpus = context.cpus.server;
  launch.log_dir = log_dir;
  std::optional<RunningServer> running;
  try {
    running.emplace(launch_server(server, launch));
  } catch (const MissingToolError&) {
    throw;
  } catch (const std::exception& e) {
    ++outcome.failures;
    invalid(fmt::format("server did not start: {}", e.what()));
    return row;
  }
  row["startup_ms"] = running->startup_ms;
  row["rss_idle_kib"] = running->idle.vm_rss_kib;
  row["rss_anon_idle_kib"] = running->idle.rss_anon_kib;
  row["threads_idle"] = running->idle.threads;
  const pid_t pid = running->process.pid();

  LoadSpec spec;
  spec.url = fmt::format(
      "http://{}:{}{}",
      running->host.find(':') != std::string::npos ? "[" + running->host + "]" : running->host,
      running->port, scenario.path);
  spec.connections = scenario.connections;
  spec.threads = static_cast<int>(std::max<std::size_t>(1, context.cpus.generator.size()));
  spec.rate = scenario.rate;
  spec.cpus = context.cpus.generator;

  std::optional<std::string> failure;
  // Warm-up: the same load, short and unmeasured (JIT-free languages still need caches,
  // allocator arenas and connection state warmed before the window).
  if (profile.warmup_seconds > 0) {
    spec.duration = millis(profile.warmup_seconds);
    try {
      generator.start(spec, log_dir / "warmup")->wait();
    } catch (const GeneratorError& e) {
      failure = fmt::format("warm-up failed: {}", e.what());
    }
  }

  if (!failure) {
    spec.duration = millis(profile.window_seconds);
    MemorySampler sampler(pid);
    const auto server_cpu_start = read_proc_cpu(pid);
    const auto server_task_clock_start = read_task_clock_seconds(pid);
    const CpuTimes self_start = read_self_cpu();
    const CpuJiffies server_cpus_start = read_cpu_jiffies(context.cpus.server);
    const double children_start = reaped_children_cpu_seconds();
    const auto window_start = Clock::now();
    sampler.start();
    std::optional<LoadResult> load;
    try {
      load = generator.start(spec, log_dir)->wait();
    } catch (const GeneratorError& e) {
      failure = fmt::format("load generator failed: {}", e.what());
    }
    const auto server_cpu_end = read_proc_cpu(pid);
    const auto server_task_clock_end = read_task_clock_seconds(pid);
    const double window_s = std::chrono::duration<double>(Clock::now() - window_start).count();
    const double generator_cpu = reaped_children_cpu_seconds() - children_start;
    const CpuJiffies server_cpus_end = read_cpu_jiffies(context.cpus.server);
    const CpuTimes self_end = read_self_cpu();
    const MemorySummary memory = sampler.stop();
    const auto status_end = read_proc_status(pid);

    const double orchestrator_cpu = self_end.total() - self_start.total();
    outcome.orchestrator_cpu_seconds += orchestrator_cpu;
    outcome.window_seconds += window_s;
    row["window_s"] = window_s;
    row["orchestrator_cpu_seconds"] = orchestrator_cpu;
    row["orchestrator_cpu_share"] = window_s > 0 ? orchestrator_cpu / window_s : 0;
    row["sampler_cpu_seconds"] = memory.sampler_cpu_seconds;
    row["memory_samples"] = memory.samples;
    row["rss_mean_kib"] = memory.rss_mean_kib;
    row["rss_peak_kib"] = memory.rss_peak_kib;
    row["rss_min_kib"] = memory.rss_min_kib;
    row["rss_anon_mean_kib"] = memory.rss_anon_mean_kib;
    row["threads"] = status_end ? status_end->threads : memory.threads_max;
    row["threads_max"] = memory.threads_max;

    if (load) {
      const double server_cpu_ticks = server_cpu_start && server_cpu_end
                                          ? server_cpu_end->total() - server_cpu_start->total()
                                          : std::nan("");
      // The headline CPU figure is the task clock when the kernel provides it (rule 8 allows
      // either); the /proc/PID/stat figure is kept beside it.
      const bool task_clock = server_task_clock_start && server_task_clock_end &&
                              *server_task_clock_end > *server_task_clock_start;
      const double server_cpu =
          task_clock ? *server_task_clock_end - *server_task_clock_start : server_cpu_ticks;
      const Saturation saturation =
          judge_saturation(server_cpu, static_cast<int>(context.cpus.server.size()), generator_cpu,
                           static_cast<int>(context.cpus.generator.size()), window_s);
      row["requests"] = load->requests;
      row["duration_s"] = load->duration_s;
      row["rps"] = load->rps;
      row["latency_us"] = latency_json(load->latency_us);
      row["errors"] = load->errors;
      row["errors_total"] = load->total_errors();
      row["generator_extra"] = load->extra;
      row["cpu_seconds"] = server_cpu;
      row["cpu_source"] = task_clock ? "task-clock" : "proc-stat";
      row["cpu_seconds_proc_stat"] = server_cpu_ticks;
      row["cpu_us_per_request"] =
          load->requests > 0 ? server_cpu * 1e6 / static_cast<double>(load->requests) : 0.0;
      row["generator_cpu_seconds"] = generator_cpu;
      // Interference on the server's CPUs (a shared or virtual machine): CPU time spent there
      // by anything but the server, and time the hypervisor gave to other guests (steal). A
      // high share means the window measured the machine's contention, not the server.
      const double cpus = static_cast<double>(std::max<std::size_t>(1, context.cpus.server.size()));
      row["server_cpus_other_share"] = std::max(
          0.0, (server_cpus_end.busy - server_cpus_start.busy - server_cpu) / (window_s * cpus));
      row["server_cpus_steal_share"] =
          (server_cpus_end.steal - server_cpus_start.steal) / (window_s * cpus);
      row["bound"] = saturation.bound;
      row["server_cpu_share"] = saturation.server_cpu_share;
      row["loadgen_cpu_share"] = saturation.loadgen_cpu_share;
    }
  }

  const bool alive = running->process.running();
  const int exit_status = running->process.terminate(std::chrono::milliseconds(2000));
  row["server_exit_status"] = exit_status;
  if (!alive) {
    ++outcome.failures;
    invalid(fmt::format("server exited during the trial (status {})", exit_status));
  } else if (failure) {
    invalid(*failure);
  } else if (row.value("errors_total", std::uint64_t{0}) > 0) {
    // Rule 7: any error makes the trial invalid; it is kept, and the report says so.
    invalid(
        fmt::format("the load generator saw {} errors", row["errors_total"].get<std::uint64_t>()));
  } else if (scenario.mode == LoadMode::open && row.contains("generator_extra") &&
             row["generator_extra"].value("unsent", 0.0) > 0) {
    // The offered rate was not held: latency at a lower rate is not the scenario's figure.
    invalid(fmt::format("the offered rate was not held: {} requests unsent",
                        row["generator_extra"]["unsent"].get<double>()));
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

}  // namespace

fs::path generator_program(const Config& config, const std::string& name, const fs::path& bin_dir) {
  const auto it = config.generators.find(name);
  const std::string program = it == config.generators.end() ? name : it->second;
  return expand(program, {{"bin_dir", bin_dir.string()}});
}

TrialsOutcome run_trials(const RunContext& context, const ProfileConfig& profile,
                         const std::vector<const ScenarioConfig*>& scenarios) {
  TrialsOutcome outcome;
  std::map<std::string, std::unique_ptr<Generator>> generators;
  std::vector<const ScenarioConfig*> runnable;
  for (const ScenarioConfig* scenario : scenarios) {
    const fs::path program =
        generator_program(*context.config, scenario->generator, context.bin_dir);
    const bool present = program.has_parent_path() ? fs::exists(program)
                                                   : find_program(program.string()).has_value();
    if (!present) {
      if (scenario->generator == "wrk") {
        throw MissingToolError(fmt::format(
            "wrk not found ({}): install it (Debian: apt-get install wrk) or set [generators] wrk",
            program.string()));
      }
      // Honest fallback: wrk cannot hold a fixed rate, so an open-loop scenario without
      // loadgen is not run at all rather than run as something else.
      outcome.skipped.push_back({{"scenario", scenario->name},
                                 {"reason", fmt::format("{} not built ({} missing)",
                                                        scenario->generator, program.string())}});
      if (context.progress) {
        context.progress->note(fmt::format("scenario {} skipped: {} not built ({} missing)",
                                           scenario->name, scenario->generator, program.string()));
      }
      continue;
    }
    if (!generators.count(scenario->generator)) {
      generators[scenario->generator] = make_generator(scenario->generator, program);
    }
    runnable.push_back(scenario);
  }

  const int total =
      static_cast<int>(runnable.size() * context.servers.size()) * profile.repetitions;
  if (context.progress) {
    context.progress->begin("trials", total, profile.warmup_seconds + profile.window_seconds + 0.5);
  }
  // The orchestrator and its sampler thread stay on their own CPU (rule 15; on 2 CPUs that is
  // the generator's, recorded in rules_bent).
  PinSelf pin(context.cpus.orchestrator);
  int order = 0;
  for (const ScenarioConfig* scenario : runnable) {
    Generator& generator = *generators.at(scenario->generator);
    for (int rep = 1; rep <= profile.repetitions; ++rep) {
      for (const ServerConfig* server : context.servers) {
        ++order;
        if (context.progress) context.progress->step(order, trial_label(*server, *scenario, rep));
        outcome.trials.push_back(
            run_one(context, profile, {server, scenario, rep, order}, generator, outcome));
      }
    }
  }
  if (context.progress) context.progress->end();
  return outcome;
}

}  // namespace hellobench
