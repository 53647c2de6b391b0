// Several hosts: host prefixes, the check before any load, loadgen on N hosts merged into one
// report, and the server on its own host (see hosts.hpp).
#include "trial/hosts.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <signal.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "core/errors.hpp"
#include "loadgen/merge.hpp"
#include "trial/launch.hpp"
#include "trial/loadgen_driver.hpp"
#include "trial/sampler.hpp"
#include "trial/trials.hpp"

namespace hellobench {

namespace fs = std::filesystem;
using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

namespace {

double wall_clock_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Keeps an error message readable when a tool prints pages.
std::string tail(const std::string& text, std::size_t max_chars = 600) {
  std::string trimmed = text;
  while (!trimmed.empty() && (trimmed.back() == '\n' || trimmed.back() == ' ')) trimmed.pop_back();
  if (trimmed.empty()) return "(nothing on stderr)";
  if (trimmed.size() <= max_chars) return trimmed;
  return "..." + trimmed.substr(trimmed.size() - max_chars);
}

std::string first_line_of(const std::string& text) {
  const std::string line = text.substr(0, text.find('\n'));
  return line;
}

// Runs argv to completion (at most `timeout`); nullopt status when it could not be started
// (the message in `error`) or did not finish.
struct Ran {
  std::optional<int> status;
  std::string out, err, error;
};
Ran run_to_end(const Argv& argv, std::chrono::milliseconds timeout) {
  Ran ran;
  ProcessSpec spec;
  spec.argv = argv;
  try {
    Process p = Process::spawn(spec);
    ran.status = p.wait_exit(timeout);
    if (!ran.status) {
      p.terminate(std::chrono::milliseconds(500));
      ran.error = fmt::format("did not finish within {} s", timeout.count() / 1000.0);
    }
    ran.out = p.stdout_text();
    ran.err = p.stderr_text();
  } catch (const ProcessError& e) {
    ran.error = e.what();
  }
  return ran;
}

std::string argv_text(const Argv& argv) { return fmt::format("{}", fmt::join(argv, " ")); }

// ---- loadgen on several hosts ---------------------------------------------------------------

struct Part {
  const HostConfig* host = nullptr;
  std::string part;  // "i/N"
  Argv argv;
  std::optional<Process> process;
  std::string launch_error;
};

class HostsLoad final : public RunningLoad {
 public:
  HostsLoad(std::vector<Part> parts, double start_at, std::chrono::milliseconds deadline,
            bool cpu_measured)
      : parts_(std::move(parts)),
        start_at_(start_at),
        deadline_(deadline),
        cpu_measured_(cpu_measured) {}

  pid_t pid() const override {
    for (const Part& p : parts_) {
      if (p.process) return p.process->pid();
    }
    return -1;
  }
  std::optional<double> start_at() const override { return start_at_; }

  LoadResult wait() override {
    const auto deadline = SteadyClock::now() + deadline_;
    std::vector<std::string> reports, names, lost, late;
    json hosts = json::array();
    for (Part& p : parts_) {
      json h = {{"host", p.host->name}, {"part", p.part}, {"exit_status", nullptr},
                {"lost", false}, {"argv", p.argv}};
      std::string why;
      std::optional<std::string> report;
      if (!p.process) {
        why = p.launch_error;
      } else {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - SteadyClock::now());
        std::optional<int> status =
            p.process->wait_exit(std::max(left, std::chrono::milliseconds(0)));
        if (!status) {
          p.process->terminate(std::chrono::milliseconds(1000));
          why = fmt::format("did not finish in time and was stopped; stderr: {}",
                            tail(p.process->stderr_text()));
        } else {
          h["exit_status"] = *status;
          const std::string out = p.process->stdout_text();
          const auto open = out.find('{');
          const auto close = out.rfind('}');
          // 0: done; 1: errors over the bound (the report carries them); 4: started late.
          const bool reports = *status == 0 || *status == 1 || *status == 4;
          if (reports && open != std::string::npos && close != std::string::npos &&
              close > open) {
            report = out.substr(open, close - open + 1);
          } else {
            why = fmt::format("exit status {}{}; stderr: {}", *status,
                              reports ? ", no report" : "", tail(p.process->stderr_text()));
          }
        }
      }
      if (report) {
        const json r = json::parse(*report, nullptr, false);
        if (r.is_discarded()) {
          why = "its report is not valid JSON";
          report.reset();
        } else {
          h["requests"] = r.value("requests", json(nullptr));
          h["rps"] = r.value("rps", json(nullptr));
          h["connections"] = r.value("connections", json(nullptr));
          h["threads"] = r.value("threads", json(nullptr));
          h["offered_rate"] = r.value("offered_rate", json(nullptr));
          h["engine"] = r.value("engine", json(nullptr));
          h["reported_host"] = r.value("host", json(nullptr));
          h["start_late_ms"] = r.value("start_late_ms", json(nullptr));
          h["started_late"] = r.value("started_late", json(false));
          h["unsent"] = r.value("unsent", json(nullptr));
          if (r.contains("latency_us") && r["latency_us"].is_object()) {
            h["latency_us"] = {{"p50", r["latency_us"].value("p50", 0.0)},
                               {"p99", r["latency_us"].value("p99", 0.0)},
                               {"max", r["latency_us"].value("max", 0.0)}};
          }
          std::uint64_t errors = 0;
          if (r.contains("errors") && r["errors"].is_object()) {
            for (const auto& [kind, n] : r["errors"].items()) {
              if (n.is_number()) errors += n.get<std::uint64_t>();
            }
          }
          h["errors_total"] = errors;
          if (h["started_late"].get<bool>() || h["exit_status"] == 4) {
            late.push_back(fmt::format(
                "host '{}' started {:.1f} ms after --start-at (bound {:.0f} ms): its window is not "
                "the others'",
                p.host->name, r.value("start_late_ms", json(0.0)).is_number()
                                   ? r["start_late_ms"].get<double>()
                                   : 0.0,
                p.host->max_start_late_ms));
          }
          reports.push_back(*report);
          names.push_back(p.host->name);
        }
      }
      if (!report) {
        h["lost"] = true;
        h["reason"] = why;
        lost.push_back(fmt::format("host '{}' lost: {}", p.host->name, why));
      }
      hosts.push_back(std::move(h));
    }
    if (reports.empty()) {
      throw GeneratorError(fmt::format("every generator host was lost: {}", fmt::join(lost, "; ")));
    }
    std::string merged;
    try {
      merged = ::loadgen::merge_reports(reports, names);
    } catch (const std::exception& e) {
      throw GeneratorError(fmt::format("the hosts' reports do not merge: {}", e.what()));
    }
    LoadResult result = loadgen::parse_output(merged);
    result.raw_output = merged;
    for (const Part& p : parts_) result.generator_hosts.push_back(p.host->name);
    result.hosts_json = hosts.dump();
    result.start_at = start_at_;
    result.generator_cpu_measured = cpu_measured_;
    std::vector<std::string> reasons = lost;
    reasons.insert(reasons.end(), late.begin(), late.end());
    if (!lost.empty()) {
      reasons.push_back(fmt::format("the figures are those of the {} host(s) that reported",
                                    reports.size()));
    }
    result.invalid_reason = fmt::format("{}", fmt::join(reasons, "; "));
    return result;
  }

 private:
  std::vector<Part> parts_;
  double start_at_;
  std::chrono::milliseconds deadline_;
  bool cpu_measured_;
};

class HostsGenerator final : public Generator {
 public:
  HostsGenerator(std::vector<const HostConfig*> hosts, std::vector<fs::path> programs)
      : hosts_(std::move(hosts)), programs_(std::move(programs)) {}

  std::string name() const override { return "loadgen"; }
  bool supports_open_loop() const override { return true; }
  bool starts_at_agreed_time() const override { return true; }
  std::string version() const override {
    const Ran ran = run_to_end(host_command(*hosts_.front(), {programs_.front().string(),
                                                               "--version"}),
                               std::chrono::seconds(20));
    const std::string line = first_line_of(ran.out);
    return line.empty() ? "unknown" : line;
  }

  std::unique_ptr<RunningLoad> start(const LoadSpec& spec, const fs::path& log_dir) override {
    std::error_code ec;
    fs::create_directories(log_dir, ec);
    if (ec) {
      throw GeneratorError(fmt::format("loadgen: cannot create log folder '{}': {}",
                                       log_dir.string(), ec.message()));
    }
    const int n = static_cast<int>(hosts_.size());
    // Equal parts: every host runs the same -t (the smallest any host allows).
    int threads = 0;
    double margin = 0;
    bool cpu_measured = true;
    for (const HostConfig* h : hosts_) {
      const int t = h->threads > 0 ? h->threads : spec.threads;
      threads = threads == 0 ? t : std::min(threads, t);
      margin = std::max(margin, h->start_margin_s);
      cpu_measured = cpu_measured && !h->remote;
    }
    // Every part is built (and its spec checked) before any is launched.
    std::vector<Part> parts;
    for (int i = 0; i < n; ++i) {
      Part p;
      p.host = hosts_[static_cast<std::size_t>(i)];
      p.part = fmt::format("{}/{}", i + 1, n);
      p.argv = loadgen::command_line(part_spec(spec, i, n, threads),
                                     programs_[static_cast<std::size_t>(i)]);
      if (std::find(p.argv.begin(), p.argv.end(), "--seed") == p.argv.end()) {
        p.argv.insert(p.argv.end(), {"--seed", std::to_string(spec.seed)});
      }
      p.argv.insert(p.argv.end(),
                    {"--part", p.part, "--host-name", p.host->name, "--max-start-late",
                     fmt::format("{}ms", std::llround(p.host->max_start_late_ms))});
      parts.push_back(std::move(p));
    }
    const double start_at = std::ceil((wall_clock_now() + margin) * 1000) / 1000;
    for (Part& p : parts) {
      p.argv.insert(p.argv.end(), {"--start-at", fmt::format("{:.3f}", start_at)});
      ProcessSpec process;
      process.argv = host_command(*p.host, p.argv);
      if (!p.host->remote) process.cpus = spec.cpus;  // a namespace here: the generator's CPUs
      process.stdout_path = log_dir / fmt::format("loadgen-{}.stdout", p.host->name);
      process.stderr_path = log_dir / fmt::format("loadgen-{}.stderr", p.host->name);
      try {
        p.process.emplace(Process::spawn(process));
      } catch (const ProcessError& e) {
        p.launch_error = fmt::format("its prefix could not be started: {}", e.what());
      }
    }
    const auto deadline = std::chrono::milliseconds(std::llround(margin * 1000)) + spec.duration +
                          spec.timeout + std::chrono::milliseconds(10000);
    return std::make_unique<HostsLoad>(std::move(parts), start_at, deadline, cpu_measured);
  }

 private:
  std::vector<const HostConfig*> hosts_;
  std::vector<fs::path> programs_;
};

}  // namespace

std::string shell_quote(const std::string& word) {
  if (!word.empty() &&
      word.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
                             "@%+=:,./-_") == std::string::npos) {
    return word;
  }
  std::string out = "'";
  for (const char c : word) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

Argv host_command(const HostConfig& host, const Argv& command) {
  Argv argv = host.prefix;
  for (const std::string& word : command) argv.push_back(host.remote ? shell_quote(word) : word);
  return argv;
}

std::vector<const HostConfig*> generator_hosts_for(const Config& config,
                                                   const ProfileConfig& profile,
                                                   const ScenarioConfig& scenario) {
  std::vector<std::string> names = scenario.generator_hosts;
  if (names.empty() && scenario.generator == "loadgen") names = profile.generator_hosts;
  std::vector<const HostConfig*> hosts;
  for (const std::string& name : names) {
    const HostConfig* h = config.find_host(name);
    if (!h) throw ConfigError(fmt::format("unknown host '{}'", name));  // checked at load
    hosts.push_back(h);
  }
  return hosts;
}

const HostConfig* server_host_for(const Config& config, const ProfileConfig& profile) {
  const std::string& name = profile.server_host.empty() ? config.server_host : profile.server_host;
  return name.empty() ? nullptr : config.find_host(name);
}

fs::path host_loadgen(const Config& config, const HostConfig& host, const fs::path& bin_dir) {
  if (!host.loadgen.empty()) return expand(host.loadgen, {{"bin_dir", bin_dir.string()}});
  return generator_program(config, "loadgen", bin_dir);
}

fs::path host_hellobench(const HostConfig& host) {
  if (!host.hellobench.empty()) return host.hellobench;
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path("hellobench") : self;
}

std::vector<HostCheck> check_hosts(const Config& config,
                                   const std::vector<const HostConfig*>& generator_hosts,
                                   const HostConfig* server_host, const fs::path& bin_dir,
                                   std::chrono::milliseconds timeout) {
  std::vector<HostCheck> checks;
  auto check = [&](const HostConfig& host, const std::string& role, const fs::path& program) {
    HostCheck c;
    c.host = host.name;
    c.role = role;
    c.argv = host_command(host, {program.string(), "--version"});
    const Ran ran = run_to_end(c.argv, timeout);
    if (!ran.error.empty()) {
      c.error = ran.error;
    } else if (*ran.status != 0) {
      c.error = fmt::format("exit status {}: {}", *ran.status, tail(ran.err + ran.out, 400));
    } else if (first_line_of(ran.out).empty()) {
      c.error = "it printed no version";
    } else {
      c.ok = true;
      c.version = first_line_of(ran.out);
    }
    checks.push_back(std::move(c));
  };
  for (const HostConfig* h : generator_hosts) check(*h, "generator", host_loadgen(config, *h, bin_dir));
  if (server_host) check(*server_host, "server", host_hellobench(*server_host));
  return checks;
}

void require_hosts(const std::vector<HostCheck>& checks) {
  std::vector<std::string> failed;
  for (const HostCheck& c : checks) {
    if (c.ok) continue;
    failed.push_back(fmt::format("host '{}' ({}): `{}` failed: {}", c.host, c.role,
                                 argv_text(c.argv), c.error));
  }
  if (failed.empty()) return;
  throw ConfigError(fmt::format("{} (check the host's prefix in its [[host]] table); no load was "
                                "run",
                                fmt::join(failed, "; ")));
}

std::vector<const HostConfig*> hosts_of_run(const Config& config, const ProfileConfig& profile,
                                            const std::vector<const ScenarioConfig*>& scenarios,
                                            const std::vector<const SweepConfig*>& sweeps) {
  std::vector<const HostConfig*> hosts;
  auto add = [&](const ScenarioConfig& s) {
    for (const HostConfig* h : generator_hosts_for(config, profile, s)) {
      if (std::find(hosts.begin(), hosts.end(), h) == hosts.end()) hosts.push_back(h);
    }
  };
  for (const ScenarioConfig* s : scenarios) add(*s);
  for (const SweepConfig* s : sweeps) add(*config.find_scenario(s->scenario));
  return hosts;
}

std::unique_ptr<Generator> make_hosts_generator(const Config& config,
                                                std::vector<const HostConfig*> hosts,
                                                const fs::path& bin_dir) {
  if (hosts.empty()) throw GeneratorError("make_hosts_generator: no hosts");
  std::vector<fs::path> programs;
  for (const HostConfig* h : hosts) programs.push_back(host_loadgen(config, *h, bin_dir));
  return std::make_unique<HostsGenerator>(std::move(hosts), std::move(programs));
}

LoadSpec part_spec(const LoadSpec& whole, int index, int parts, int threads) {
  if (parts < 1 || index < 0 || index >= parts) {
    throw GeneratorError(fmt::format("part {} of {}: no such part", index + 1, parts));
  }
  if (whole.connections % parts != 0) {
    throw GeneratorError(fmt::format("{} connections do not split into {} equal parts",
                                     whole.connections, parts));
  }
  LoadSpec part = whole;
  part.connections = whole.connections / parts;
  // loadgen never runs more threads than connections.
  part.threads = std::max(1, std::min(threads, part.connections));
  if (whole.rate) part.rate = *whole.rate / parts;
  return part;
}

// ---- The server on its own host -------------------------------------------------------------

namespace {

// One `hellobench sample PID --duration-s 0` there: the process's memory now.
std::optional<HostSample> sample_once(const HostConfig& host, const fs::path& hellobench,
                                      pid_t pid) {
  const Ran ran = run_to_end(host_command(host, {hellobench.string(), "sample",
                                                 std::to_string(pid), "--duration-s", "0"}),
                             std::chrono::seconds(20));
  if (!ran.status || *ran.status != 0) return std::nullopt;
  const auto samples = parse_sample_lines(ran.out);
  if (samples.empty()) return std::nullopt;
  return samples.front();
}

}  // namespace

int HostServer::terminate(std::chrono::milliseconds grace) {
  if (!running.process.running()) return running.process.wait_exit(grace).value_or(-1);
  run_to_end(host_command(*host, {"kill", "-TERM", std::to_string(host_pid)}),
             std::chrono::seconds(20));
  if (const auto status = running.process.wait_exit(grace)) return *status;
  run_to_end(host_command(*host, {"kill", "-KILL", std::to_string(host_pid)}),
             std::chrono::seconds(20));
  return running.process.terminate(std::chrono::milliseconds(2000));
}

HostServer launch_server_on_host(const HostConfig& host, const ServerConfig& server,
                                 const LaunchOptions& options) {
  // The binary's path is the same there (a shared checkout, or a namespace of this machine);
  // whether it exists there, the start says.
  const int threads = static_cast<int>(std::max<std::size_t>(1, options.cpus.size()));
  Argv command = {"sh", "-c", "echo hellobench-pid $$; exec \"$@\"", "sh"};
  for (const std::string& arg :
       server_argv(server, options.bin_dir, host.address, threads, 0, options.settings)) {
    command.push_back(arg);
  }
  ProcessSpec spec;
  spec.argv = host_command(host, command);
  if (!host.remote) spec.cpus = options.cpus;  // a namespace here: pinned as a local server
  if (!server.env.empty()) {
    // The server's environment must reach it there: `env NAME=VALUE ... sh -c ...`.
    Argv with_env = {"env"};
    for (const auto& [name, value] : server.env) with_env.push_back(name + "=" + value);
    with_env.insert(with_env.end(), command.begin(), command.end());
    spec.argv = host_command(host, with_env);
  }
  log_server_output(spec, options.log_dir);
  Process process = Process::spawn(spec);
  const auto deadline = process.started_at() + options.ready_timeout;
  auto fail = [&](const std::string& why) {
    return server_start_failure(
        process, fmt::format("server '{}' on host '{}'", server.name, host.name), why);
  };
  const auto pid_line = process.wait_for_stdout_line("hellobench-pid ", options.ready_timeout);
  if (!pid_line) throw fail("did not start (no process id came back through the prefix)");
  const pid_t host_pid = static_cast<pid_t>(std::atol(pid_line->c_str() + 15));
  if (host_pid <= 0) throw fail(fmt::format("printed a malformed process id line '{}'", *pid_line));
  const auto left = [&] {
    return std::max(std::chrono::milliseconds(1), std::chrono::duration_cast<std::chrono::milliseconds>(
                                                      deadline - SteadyClock::now()));
  };
  const auto line = process.wait_for_stdout_line("listening on", left());
  if (!line) throw fail("printed no 'listening on ADDR:PORT' line");
  const auto port = parse_listening_port(*line);
  if (!port) throw fail(fmt::format("printed a malformed ready line: '{}'", *line));
  // Ready = a 200 to GET / from here, as for a local server (this machine must reach the
  // host's address, as the generators do).
  while (true) {
    if (SteadyClock::now() >= deadline) throw fail("did not answer GET / with 200 in time");
    if (!process.running()) throw fail("exited before answering GET /");
    const auto status =
        probe_status(host.address, *port, "/", std::min(left(), std::chrono::milliseconds(1000)));
    if (status == 200) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  HostServer out{&host, RunningServer{std::move(process), host.address, *port, 0, {}}, host_pid,
                 host_hellobench(host)};
  out.running.startup_ms = std::chrono::duration<double, std::milli>(
                               SteadyClock::now() - out.running.process.started_at())
                               .count();
  if (const auto idle = sample_once(host, out.hellobench, host_pid)) {
    out.running.idle.vm_rss_kib = idle->vm_rss_kib;
    out.running.idle.rss_anon_kib = idle->rss_anon_kib;
    out.running.idle.rss_file_kib = idle->rss_file_kib;
    out.running.idle.vm_hwm_kib = idle->vm_hwm_kib;
    out.running.idle.threads = idle->threads;
  }
  return out;
}

std::optional<HostSample> parse_sample_line(const std::string& line) {
  const json j = json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("t") || !j["t"].is_number() ||
      !j.contains("vm_rss_kib")) {
    return std::nullopt;
  }
  HostSample s;
  s.t = j["t"].get<double>();
  s.vm_rss_kib = j.value("vm_rss_kib", std::int64_t{0});
  s.vm_hwm_kib = j.value("vm_hwm_kib", std::int64_t{0});
  s.rss_anon_kib = j.value("rss_anon_kib", std::int64_t{0});
  s.rss_file_kib = j.value("rss_file_kib", std::int64_t{0});
  s.threads = j.value("threads", 0);
  s.cpu_seconds = j.value("cpu_s", 0.0);
  s.cpu_seconds_proc_stat = j.value("cpu_proc_stat_s", 0.0);
  s.task_clock = j.value("cpu_source", std::string()) == "task-clock";
  return s;
}

std::vector<HostSample> parse_sample_lines(const std::string& text) {
  std::vector<HostSample> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (auto s = parse_sample_line(line)) out.push_back(*s);
  }
  return out;
}

HostSampler::HostSampler(const HostServer& server, std::chrono::milliseconds interval,
                         std::chrono::seconds longest, const fs::path& out) {
  ProcessSpec spec;
  spec.argv = host_command(*server.host,
                           {server.hellobench.string(), "sample", std::to_string(server.host_pid),
                            "--interval-ms", std::to_string(interval.count()), "--duration-s",
                            std::to_string(longest.count())});
  spec.stdout_path = out;
  spec.stderr_path = fs::path(out).replace_extension(".stderr");
  try {
    process_.emplace(Process::spawn(spec));
  } catch (const ProcessError&) {
    // finish() returns no samples; the trial says the server's figures are missing.
  }
}

HostSampler::~HostSampler() {
  if (process_) process_->terminate(std::chrono::milliseconds(200));
}

std::vector<HostSample> HostSampler::finish(double wall_clock_end) {
  if (!process_) return {};
  const auto give_up = SteadyClock::now() + std::chrono::seconds(2);
  std::vector<HostSample> samples;
  while (true) {
    std::ifstream in(process_->stdout_path());
    std::stringstream text;
    text << in.rdbuf();
    samples = parse_sample_lines(text.str());
    if (!samples.empty() && samples.back().t >= wall_clock_end) break;
    if (!process_->running() || SteadyClock::now() >= give_up) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  process_->terminate(std::chrono::milliseconds(200));
  process_.reset();
  return samples;
}

}  // namespace hellobench
