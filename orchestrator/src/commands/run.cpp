// `hellobench run`.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>

#include "analysis/claims.hpp"
#include "analysis/summary.hpp"
#include "builds/builds.hpp"
#include "builds/services.hpp"
#include "cli.hpp"
#include "commands/common.hpp"
#include "config/config.hpp"
#include "core/errors.hpp"
#include "output/microbench.hpp"
#include "output/progress.hpp"
#include "output/report.hpp"
#include "output/results.hpp"
#include "trial/environment.hpp"
#include "trial/hosts.hpp"
#include "trial/launch.hpp"
#include "trial/process.hpp"
#include "trial/trials.hpp"
#include "trial/database.hpp"
#include "verify/verify_servers.hpp"

namespace hellobench {

namespace fs = std::filesystem;
using nlohmann::json;
using SystemClock = std::chrono::system_clock;

int command_run(const Options& options, std::FILE* out) {
  const Config config = load(options);
  const ProfileConfig* profile_config = config.find_profile(options.profile);
  if (!profile_config) {
    std::vector<std::string> known;
    for (const auto& [name, p] : config.profiles) known.push_back(name);
    throw UsageError(fmt::format("--profile: unknown profile '{}' (known: {})", options.profile,
                                 fmt::join(known, ", ")));
  }
  ProfileConfig profile = *profile_config;
  if (options.repetitions > 0) profile.repetitions = options.repetitions;
  if (options.skip_builds) {
    profile.builds.clear();
    profile.service_loops.clear();
  }
  const auto servers = select_servers(config, options.servers);
  const auto scenarios = select_scenarios(config, profile, options.scenarios);
  // --scenarios alone runs just those scenarios: no sweep unless --sweeps names some.
  const auto sweeps = select_sweeps(
      config, profile,
      !options.scenarios.empty() && options.sweeps.empty() ? std::string("none") : options.sweeps);
  const int jobs = options.jobs > 0 ? options.jobs : build_jobs(config);
  const fs::path bin_dir = bin_dir_of(options);
  for (const ServerConfig* s : servers) {
    if (!fs::exists(server_binary(*s, bin_dir))) {
      throw MissingToolError(fmt::format(
          "server '{}': binary {} not found; build the servers first (`make servers`) or point "
          "--bin-dir at them",
          s->name, server_binary(*s, bin_dir).string()));
    }
  }
  // Every host the run uses answers through its prefix before anything else happens: a host
  // that does not is named, and the run ends here with exit 2 (configuration).
  const HostConfig* server_host = server_host_for(config, profile);
  const auto generator_hosts = hosts_of_run(config, profile, scenarios, sweeps);
  json hosts_json = nullptr;
  if (!generator_hosts.empty() || server_host) {
    const auto checks = check_hosts(config, generator_hosts, server_host, bin_dir);
    require_hosts(checks);
    hosts_json = {{"server_host", server_host ? json(server_host->name) : json("local")},
                  {"checks", json::array()}};
    for (const HostCheck& c : checks) {
      const HostConfig* h = config.find_host(c.host);
      hosts_json["checks"].push_back({{"host", c.host},
                                      {"role", c.role},
                                      {"prefix", h->prefix},
                                      {"remote", h->remote},
                                      {"version", c.version}});
    }
  }

  const CpuPlan plan = plan_cpus(available_cpus());
  const auto started = SystemClock::now();
  const fs::path run_dir = create_run_dir(runs_root(config, options), started);
  ScratchDir scratch(options.scratch_dir, options.keep_scratch);
  Progress progress;
  progress.note(fmt::format("run folder {}", run_dir.string()));
  json doc = new_results(config, &profile, plan, profile.name, jobs, started);
  doc["servers"] = servers_json(servers, bin_dir, scratch.path, true);
  doc["microbenchmarks"] = microbenchmarks_of(options, bin_dir);
  if (!hosts_json.is_null()) doc["hosts"] = hosts_json;
  // The results folder must take files before anything is measured: this first save is that
  // check. A folder that cannot be written (read-only, full, over a file-size limit) is named
  // here, exit 2, before any load; a save that fails later ends the run saying what was kept.
  std::string last_saved;  // the phase whose results.json the folder holds (writes are atomic)
  const auto save_phase = [&](const std::string& phase, const std::function<void()>& write) {
    try {
      write();
      last_saved = phase;
    } catch (const std::exception& e) {
      if (last_saved.empty()) {
        throw UsageError(fmt::format("--out {}: the results folder cannot be written ({}); "
                                     "nothing was measured",
                                     run_dir.parent_path().string(), e.what()));
      }
      throw std::runtime_error(fmt::format(
          "writing the results failed at {}: {}; kept: {} as of {}, and the logs in {}", phase,
          e.what(), (run_dir / "results.json").string(), last_saved,
          (run_dir / "logs").string()));
    }
  };
  save_phase("the start", [&] { save(run_dir, doc); });

  if (!profile.builds.empty()) {
    run_builds(servers, profile.builds, profile.build_repetitions, jobs, run_dir, scratch, progress,
               doc);
  }
  if (!profile.service_loops.empty()) {
    run_service_builds(config, options.servers.empty() ? std::vector<std::string>{}
                                                       : names_of(servers),
                       profile.service_sizes, profile.service_loops, profile.service_repetitions,
                       jobs, run_dir, scratch.path, scratch.keep, bin_dir, progress, doc);
  }

  RunContext context;
  context.config = &config;
  context.servers = servers;
  context.cpus = plan;
  context.bin_dir = bin_dir;
  context.run_dir = run_dir;
  context.progress = &progress;
  context.server_host = server_host;
  const VerifyOutcome verified = verify_servers(context);
  doc["verify"] = verified.json;
  for (const std::string& name : verified.failed_servers) {
    doc["failures"].push_back(fmt::format("verify {}: failed; not benchmarked", name));
  }
  if (!verified.json.value("passed", true) && verified.failed_servers.empty()) {
    doc["failures"].push_back("verify: the servers' answers differ (parity)");
  }
  save_phase("verify", [&] { save(run_dir, doc); });

  // The database behind the database scenarios: the user's (--db), or a private PostgreSQL for
  // this run, on the CPU set [database] names, loaded with the --live-mb records.
  std::unique_ptr<PrivateDatabase> database;
  bool wants_database = false;
  for (const ScenarioConfig* s : scenarios) wants_database = wants_database || needs_database(*s);
  for (const SweepConfig* s : sweeps) {
    wants_database = wants_database || needs_database(*config.find_scenario(s->scenario));
  }
  if (wants_database) {
    context.database_records = static_cast<long>(config.database.live_mb) * 1024;
    if (!options.db.empty()) {
      context.database_uri = options.db;
      doc["database"] = {{"uri", options.db}, {"private", false},
                         {"records_assumed", context.database_records}};
    } else {
      progress.note(fmt::format("starting a private PostgreSQL ({} records)",
                                context.database_records));
      DatabaseOptions db_options;
      db_options.parent_dir = fs::temp_directory_path();
      db_options.cpus = config.database.cpus == "server" ? plan.server : plan.generator;
      db_options.records = context.database_records;
      db_options.max_connections = config.database.max_connections;
      db_options.users_sql = users_sql_path(config.base_dir);
      db_options.log_dir = run_dir / "logs" / "database";
      database = PrivateDatabase::start(db_options);
      context.database_uri = database->uri();
      context.private_database = database.get();
      doc["database"] = database->describe();
      doc["database"]["cpu_set"] = config.database.cpus;
    }
    save_phase("the database start", [&] { save(run_dir, doc); });
  }

  std::erase_if(context.servers, [&](const ServerConfig* s) {
    return std::find(verified.failed_servers.begin(), verified.failed_servers.end(), s->name) !=
           verified.failed_servers.end();
  });
  TrialsOutcome trials;
  if (!context.servers.empty()) trials = run_trials(context, profile, scenarios, sweeps);
  doc["trials"] = trials.trials;
  doc["sweeps"] = trials.sweeps;
  doc["skipped"] = trials.skipped;
  doc["orchestrator"] = {
      {"cpu_seconds_in_windows", trials.orchestrator_cpu_seconds},
      {"window_seconds", trials.window_seconds},
      {"cpu_share_in_windows",
       trials.window_seconds > 0 ? trials.orchestrator_cpu_seconds / trials.window_seconds : 0.0}};
  if (trials.invalid > 0) {
    doc["failures"].push_back(fmt::format("{} invalid trials", trials.invalid));
  }
  if (trials.failures > 0) {
    doc["failures"].push_back(fmt::format("{} server failures during trials", trials.failures));
  }
  // The raw trials are safe before any analysis runs.
  save_phase("the trials", [&] { save(run_dir, doc); });
  doc["summary"] = summarize_trials(doc["trials"], names_of(servers));
  doc["claims"] = evaluate_claims(doc, config.claims);
  if (const int errors = claim_errors(doc["claims"]); errors > 0) {
    doc["failures"].push_back(
        fmt::format("{} claim(s) could not be evaluated (verdict error)", errors));
  }
  save_phase("the summary", [&] { finish(run_dir, doc, out); });
  return doc["failures"].empty() ? kExitOk : kExitFailure;
}

}  // namespace hellobench
