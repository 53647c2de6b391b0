#include "cli.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <filesystem>
#include <optional>

#include "builds/builds.hpp"
#include "analysis/claims.hpp"
#include "config/config.hpp"
#include "trial/process.hpp"
#include "trial/environment.hpp"
#include "core/errors.hpp"
#include "trial/launch.hpp"
#include "output/progress.hpp"
#include "output/microbench.hpp"
#include "output/report.hpp"
#include "output/results.hpp"
#include "analysis/summary.hpp"
#include "trial/trials.hpp"
#include "verify/verify_servers.hpp"

namespace hellobench {

namespace fs = std::filesystem;
using nlohmann::json;
using SystemClock = std::chrono::system_clock;

namespace {

struct Options {
  std::string config;
  std::string servers;
  std::string scenarios;
  std::string profile = "quick";
  std::string out;
  std::string bin_dir;
  int jobs = 0;
  std::string kinds = "dev";
  int repetitions = 0;
  bool skip_builds = false;
  bool keep_scratch = false;
  bool slow_checks = false;
  std::string scratch_dir;
  std::string results_file;
  std::string report_out;
  std::string sweeps;      // comma-separated; empty: the profile's; "none": no sweep
  std::string microbench;  // a merged microbenchmark file (default: <bin_dir>/../microbench/json.json)
  std::vector<std::string> microbench_inputs;
  bool recompute = false;
};

Config load(const Options& options) {
  Config config =
      load_config(options.config.empty() ? default_config_path() : fs::path(options.config));
  validate_claims(config);  // unknown metric, server, scenario or sweep: FILE:LINE, exit 2
  return config;
}

std::vector<const SweepConfig*> select_sweeps(const Config& config, const ProfileConfig& profile,
                                              const std::string& list) {
  std::vector<const SweepConfig*> out;
  if (list == "none") return out;
  std::vector<std::string> names;
  if (list.empty()) {
    names = profile.sweeps;
  } else {
    std::string item;
    for (std::size_t i = 0; i <= list.size(); ++i) {
      if (i == list.size() || list[i] == ',') {
        if (!item.empty()) names.push_back(item);
        item.clear();
      } else if (list[i] != ' ') {
        item += list[i];
      }
    }
  }
  for (const std::string& name : names) {
    const SweepConfig* sweep = config.find_sweep(name);
    if (!sweep) {
      std::vector<std::string> known;
      for (const SweepConfig& s : config.sweeps) known.push_back(s.name);
      throw UsageError(fmt::format("--sweeps: unknown sweep '{}' (known: {}, or none)", name,
                                   fmt::join(known, ", ")));
    }
    out.push_back(sweep);
  }
  return out;
}

// The JSON microbenchmarks (`make microbench` merges each language's harness output into one
// file): read into results.json so the json claim can judge them; absent is not an error.
json microbenchmarks_of(const Options& options, const fs::path& bin_dir) {
  const fs::path file = options.microbench.empty()
                            ? bin_dir / ".." / "microbench" / "json.json"
                            : fs::absolute(options.microbench);
  std::error_code ec;
  if (!fs::exists(file, ec)) {
    if (!options.microbench.empty()) {
      throw UsageError(fmt::format("--microbench: {} does not exist", file.string()));
    }
    return {{"rows", json::array()},
            {"file", nullptr},
            {"note", "no microbenchmark file: run `make microbench` first"}};
  }
  json merged = read_microbench_file(file);
  merged["file"] = fs::weakly_canonical(file, ec).string();
  return merged;
}

fs::path bin_dir_of(const Options& options) {
  return options.bin_dir.empty() ? executable_dir() : fs::absolute(options.bin_dir);
}

fs::path runs_root(const Config& config, const Options& options) {
  return options.out.empty() ? config.base_dir / "results" / "runs" : fs::absolute(options.out);
}

std::vector<std::string> names_of(const std::vector<const ServerConfig*>& servers) {
  std::vector<std::string> names;
  for (const ServerConfig* s : servers) names.push_back(s->name);
  return names;
}

json rules_bent_json(const CpuPlan& plan) {
  json rules = json::array();
  for (const RuleBent& r : plan.rules_bent)
    rules.push_back({{"rule", r.rule}, {"reason", r.reason}});
  return rules;
}

json servers_json(const std::vector<const ServerConfig*>& servers, const fs::path& bin_dir,
                  const fs::path& scratch, bool inspect) {
  json out = json::array();
  for (const ServerConfig* s : servers) {
    json entry = {{"name", s->name},
                  {"label", s->label},
                  {"language", s->language},
                  {"tuning", s->tuning},
                  {"source_dir", s->source_dir.string()},
                  {"binary", nullptr}};
    const fs::path binary = server_binary(*s, bin_dir);
    if (inspect && fs::exists(binary)) entry["binary"] = to_json(inspect_binary(binary, scratch));
    out.push_back(entry);
  }
  return out;
}

// A results document with every field of CONTRACT.md 2.2 present from the start; the phases
// fill it in and it is rewritten (atomically) after each, so an interrupted run leaves what it
// measured so far.
json new_results(const Config& config, const ProfileConfig* profile, const CpuPlan& plan,
                 const std::string& profile_name, int jobs, SystemClock::time_point started) {
  json doc;
  doc["schema"] = kResultsSchema;
  doc["complete"] = false;
  doc["started_at"] = utc_iso8601(started);
  doc["finished_at"] = nullptr;
  doc["environment"] = collect_environment(config, plan, profile_name, jobs);
  if (profile) {
    doc["profile"] = {{"name", profile->name},
                      {"repetitions", profile->repetitions},
                      {"warmup_s", profile->warmup_seconds},
                      {"window_s", profile->window_seconds},
                      {"scenarios", profile->scenarios},
                      {"builds", profile->builds},
                      {"build_repetitions", profile->build_repetitions},
                      {"sweeps", profile->sweeps},
                      {"sweep_repetitions", profile->sweep_repetitions}};
  }
  doc["servers"] = json::array();
  doc["builds"] = json::array();
  doc["verify"] = json::object();
  doc["trials"] = json::array();
  doc["skipped"] = json::array();
  doc["summary"] = json::object();
  doc["claims"] = json::array();  // the verdicts, once the run has measured
  doc["claims_note"] = claims_note();
  doc["claims_config"] = claims_config_json(config.claims);
  doc["rules_bent"] = rules_bent_json(plan);
  doc["failures"] = json::array();
  return doc;
}

void save(const fs::path& run_dir, const json& doc) {
  write_file_atomic(run_dir / "results.json", doc.dump(2) + "\n");
}

void finish(const fs::path& run_dir, json& doc, std::FILE* out) {
  doc["complete"] = true;
  doc["finished_at"] = utc_iso8601(SystemClock::now());
  save(run_dir, doc);
  write_file_atomic(run_dir / "summary.md", render_markdown(doc));
  fmt::print(out, "{}\nresults: {}\n", render_terminal_summary(doc),
             (run_dir / "results.json").string());
  std::fflush(out);
}

struct ScratchDir {
  fs::path path;
  bool keep = false;
  ScratchDir(const std::string& parent, bool keep_it) : keep(keep_it) {
    const fs::path base = parent.empty() ? fs::temp_directory_path() : fs::absolute(parent);
    path = base / fmt::format("hellobench-scratch-{}", ::getpid());
    fs::create_directories(path);
    if (!keep) remove_on_interrupt(path);  // Ctrl-C must not leave gigabytes of build trees
  }
  ~ScratchDir() {
    std::error_code ec;
    if (!keep) {
      remove_on_interrupt({});
      fs::remove_all(path, ec);
    }
  }
};

void run_builds(const std::vector<const ServerConfig*>& servers,
                const std::vector<std::string>& kinds, int repetitions, int jobs,
                const fs::path& run_dir, const ScratchDir& scratch, Progress& progress, json& doc) {
  for (const ServerConfig* server : servers) {
    const auto missing = missing_build_tools(*server, kinds);
    if (!missing.empty()) {
      throw MissingToolError(
          fmt::format("server '{}': build tools not found: {} (install them, "
                      "or run `scripts/setup.sh`)",
                      server->name, fmt::join(missing, ", ")));
    }
  }
  int steps_per_server = 0;
  for (const std::string& kind : kinds) steps_per_server += (kind == "dev" ? 3 : 2) * repetitions;
  progress.begin("builds", steps_per_server * static_cast<int>(servers.size()));
  int k = 0;
  for (const ServerConfig* server : servers) {
    BuildTimingOptions options;
    options.kinds = kinds;
    options.repetitions = repetitions;
    options.jobs = jobs;
    options.scratch_root = scratch.path / "builds";
    options.log_dir = run_dir / "logs" / "builds";
    options.keep_scratch = scratch.keep;
    options.on_step = [&](const std::string& name, const std::string& what, int sample) {
      progress.step(++k, fmt::format("{} {} #{}", name, what, sample));
    };
    for (json& row : time_server_builds(*server, options)) {
      if (!row.value("ok", false)) {
        progress.note(fmt::format("build {} {} ({}) failed: {}", server->name,
                                  row.value("kind", ""), row.value("build_profile", ""),
                                  row.value("error", std::string())));
        doc["failures"].push_back(fmt::format("build {} {}: {}", server->name,
                                              row.value("kind", ""),
                                              row.value("error", std::string())));
      }
      doc["builds"].push_back(std::move(row));
    }
    save(run_dir, doc);
  }
  progress.end();
}

std::vector<std::string> parse_kinds(const std::string& list) {
  std::vector<std::string> kinds;
  std::string item;
  for (std::size_t i = 0; i <= list.size(); ++i) {
    if (i == list.size() || list[i] == ',') {
      if (!item.empty()) {
        if (item != "dev" && item != "ci") {
          throw UsageError(fmt::format("--kinds: '{}' is not 'dev' or 'ci'", item));
        }
        kinds.push_back(item);
      }
      item.clear();
    } else if (list[i] != ' ') {
      item += list[i];
    }
  }
  return kinds;
}

int command_build(const Options& options, std::FILE* out) {
  const Config config = load(options);
  const auto servers = select_servers(config, options.servers);
  const std::vector<std::string> kinds = parse_kinds(options.kinds);
  if (kinds.empty()) throw UsageError("--kinds: choose at least one of dev, ci");
  const int jobs = options.jobs > 0 ? options.jobs : build_jobs(config);
  const CpuPlan plan = plan_cpus(available_cpus());
  const auto started = SystemClock::now();
  const fs::path run_dir = create_run_dir(runs_root(config, options), started);
  ScratchDir scratch(options.scratch_dir, options.keep_scratch);
  json doc = new_results(config, nullptr, plan, "build", jobs, started);
  doc["servers"] = servers_json(servers, bin_dir_of(options), scratch.path, true);
  Progress progress;
  run_builds(servers, kinds, std::max(1, options.repetitions), jobs, run_dir, scratch, progress,
             doc);
  doc["summary"] = summarize_trials(json::array(), names_of(servers));
  doc["claims"] = evaluate_claims(doc, config.claims);
  finish(run_dir, doc, out);
  return doc["failures"].empty() ? kExitOk : kExitFailure;
}

int command_verify(const Options& options, std::FILE* out) {
  const Config config = load(options);
  const auto servers = select_servers(config, options.servers);
  ScratchDir logs(options.scratch_dir, /*keep=*/false);
  RunContext context;
  context.config = &config;
  context.servers = servers;
  context.cpus = plan_cpus(available_cpus());
  context.bin_dir = bin_dir_of(options);
  context.run_dir = logs.path;
  Progress progress;
  context.progress = &progress;
  const VerifyOutcome outcome = verify_servers(context, options.slow_checks);
  for (const auto& [name, v] : outcome.json["servers"].items()) {
    int passed = 0, total = 0;
    for (const json& c : v["checks"]) {
      ++total;
      if (c.value("passed", false)) ++passed;
    }
    fmt::print(out, "{:<10} {}  {}/{} checks\n", name, v.value("passed", false) ? "pass" : "FAIL",
               passed, total);
    for (const json& c : v["checks"]) {
      if (!c.value("passed", false)) {
        fmt::print(out, "    {}: {}\n", c.value("name", ""), c.value("detail", ""));
      }
    }
  }
  for (const json& c : outcome.json["parity"]) {
    fmt::print(out, "parity     {}  {}{}\n", c.value("passed", false) ? "pass" : "FAIL",
               c.value("name", ""),
               c.value("passed", false) ? "" : ": " + c.value("detail", std::string()));
  }
  return outcome.json.value("passed", false) ? kExitOk : kExitFailure;
}

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
  if (options.skip_builds) profile.builds.clear();
  const auto servers = select_servers(config, options.servers);
  const auto scenarios = select_scenarios(config, profile, options.scenarios);
  // --scenarios alone runs just those scenarios: no sweep unless --sweeps names some.
  const auto sweeps = select_sweeps(config, profile,
                                    !options.scenarios.empty() && options.sweeps.empty()
                                        ? std::string("none")
                                        : options.sweeps);
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

  const CpuPlan plan = plan_cpus(available_cpus());
  const auto started = SystemClock::now();
  const fs::path run_dir = create_run_dir(runs_root(config, options), started);
  ScratchDir scratch(options.scratch_dir, options.keep_scratch);
  Progress progress;
  progress.note(fmt::format("run folder {}", run_dir.string()));
  json doc = new_results(config, &profile, plan, profile.name, jobs, started);
  doc["servers"] = servers_json(servers, bin_dir, scratch.path, true);
  doc["microbenchmarks"] = microbenchmarks_of(options, bin_dir);
  save(run_dir, doc);

  if (!profile.builds.empty()) {
    run_builds(servers, profile.builds, profile.build_repetitions, jobs, run_dir, scratch, progress,
               doc);
  }

  RunContext context;
  context.config = &config;
  context.servers = servers;
  context.cpus = plan;
  context.bin_dir = bin_dir;
  context.run_dir = run_dir;
  context.progress = &progress;
  const VerifyOutcome verified = verify_servers(context);
  doc["verify"] = verified.json;
  for (const std::string& name : verified.failed_servers) {
    doc["failures"].push_back(fmt::format("verify {}: failed; not benchmarked", name));
  }
  if (!verified.json.value("passed", true) && verified.failed_servers.empty()) {
    doc["failures"].push_back("verify: the servers' answers differ (parity)");
  }
  save(run_dir, doc);

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
  save(run_dir, doc);  // the raw trials are safe before any analysis runs
  doc["summary"] = summarize_trials(doc["trials"], names_of(servers));
  doc["claims"] = evaluate_claims(doc, config.claims);
  if (const int errors = claim_errors(doc["claims"]); errors > 0) {
    doc["failures"].push_back(fmt::format("{} claim(s) could not be evaluated (verdict error)",
                                          errors));
  }
  finish(run_dir, doc, out);
  return doc["failures"].empty() ? kExitOk : kExitFailure;
}

int command_microbench(const Options& options, std::FILE* out) {
  if (options.microbench.empty()) throw UsageError("microbench: --out FILE is required");
  const json merged = merge_microbench_files(options.microbench_inputs);
  write_file_atomic(fs::absolute(options.microbench), merged.dump(1) + "\n");
  fmt::print(out, "{}", render_microbench_table(merged));
  return kExitOk;
}

int command_report(const Options& options, std::FILE* out) {
  json doc = read_results(options.results_file);
  if (options.recompute) {
    // The figures again from the raw rows, with this build's analysis and the file's own claims.
    std::vector<std::string> servers;
    for (const json& s : member(doc, "servers")) servers.push_back(s.value("name", ""));
    doc["summary"] = summarize_trials(doc["trials"], servers);
    doc["claims"] = evaluate_claims(doc, claims_from_json(doc["claims_config"]));
  }
  const std::string markdown = render_markdown(doc);
  if (options.report_out.empty()) {
    fmt::print(out, "{}", markdown);
  } else {
    write_file_atomic(fs::absolute(options.report_out), markdown);
  }
  return kExitOk;
}

}  // namespace

int run_cli(int argc, const char* const* argv, std::FILE* out, std::FILE* err) {
  Options options;
  CLI::App app{
      "hellobench: equivalent minimal HTTP servers in C++, Go and Rust, built, verified "
      "and measured side by side",
      "hellobench"};
  app.require_subcommand(1);
  app.set_version_flag("--version", HELLOBENCH_VERSION);

  auto add_config = [&](CLI::App* sub) {
    sub->add_option("--config", options.config,
                    "config file (default: hellobench.toml of the source tree)");
  };
  auto add_servers = [&](CLI::App* sub) {
    sub->add_option("--servers", options.servers, "comma-separated server names (default: all)");
  };
  auto add_out = [&](CLI::App* sub) {
    sub->add_option("--out", options.out, "folder for run folders (default: results/runs)");
  };
  auto add_bin_dir = [&](CLI::App* sub) {
    sub->add_option("--bin-dir", options.bin_dir,
                    "where the server binaries are ({bin_dir}; default: hellobench's own folder)");
  };
  auto add_scratch = [&](CLI::App* sub) {
    sub->add_option("--scratch-dir", options.scratch_dir,
                    "where build scratch copies go (default: the system temp folder)");
    sub->add_flag("--keep-scratch", options.keep_scratch, "keep the scratch copies afterwards");
  };

  CLI::App* build = app.add_subcommand(
      "build", "time clean, no-op and one-field incremental builds in scratch copies");
  add_config(build);
  add_servers(build);
  add_out(build);
  add_bin_dir(build);
  add_scratch(build);
  build
      ->add_option("--kinds", options.kinds,
                   "dev (debug clean, no-op, incremental), ci (release clean + tests), or both")
      ->capture_default_str();
  build->add_option("--repetitions", options.repetitions, "samples of each build (default 1)")
      ->check(CLI::Range(1, 100));
  build->add_option("--jobs", options.jobs, "build job count, the same for all (default: CPUs)")
      ->check(CLI::Range(1, 1024));

  CLI::App* verify =
      app.add_subcommand("verify", "start each server and check it against the contract");
  add_config(verify);
  add_servers(verify);
  add_bin_dir(verify);
  verify->add_flag("--slow", options.slow_checks, "include the 10 s header and 60 s idle timeouts");

  CLI::App* run = app.add_subcommand("run", "the whole job: builds, verify, load trials, summary");
  add_config(run);
  add_servers(run);
  add_out(run);
  add_bin_dir(run);
  add_scratch(run);
  run->add_option("--profile", options.profile, "smoke, quick or full (or any [profile.NAME])")
      ->capture_default_str();
  run->add_option("--scenarios", options.scenarios,
                  "comma-separated scenario names (default: the profile's)");
  run->add_option("--repetitions", options.repetitions, "override the profile's repetitions")
      ->check(CLI::Range(1, 1000));
  run->add_option("--jobs", options.jobs, "build job count (default: CPUs)")
      ->check(CLI::Range(1, 1024));
  run->add_flag("--skip-builds", options.skip_builds, "no build timing, whatever the profile says");
  run->add_option("--sweeps", options.sweeps,
                  "comma-separated sweep names, or none (default: the profile's; none when "
                  "--scenarios is given)");
  run->add_option("--microbench", options.microbench,
                  "merged JSON microbenchmark file (default: build/microbench/json.json if there)");

  CLI::App* microbench = app.add_subcommand(
      "microbench", "merge the languages' JSON microbenchmark files into one and print a table");
  microbench->add_option("files", options.microbench_inputs, "hellobench-microbench/1 files")
      ->required();
  microbench->add_option("--out", options.microbench, "the merged file to write")->required();

  CLI::App* report = app.add_subcommand("report", "render a results.json as Markdown");
  report->add_option("results", options.results_file, "a results.json")->required();
  report->add_option("--out", options.report_out, "write to this file instead of stdout");
  report->add_flag("--recompute", options.recompute,
                   "recompute the summary and the claims from the raw trials first");

  try {
    try {
      app.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
      // help() shows the chosen subcommand's help when there is one.
      fmt::print(out, "{}", app.help());
      return kExitOk;
    } catch (const CLI::CallForAllHelp&) {
      fmt::print(out, "{}", app.help("", CLI::AppFormatMode::All));
      return kExitOk;
    } catch (const CLI::CallForVersion&) {
      fmt::print(out, "hellobench {}\n", HELLOBENCH_VERSION);
      return kExitOk;
    } catch (const CLI::ParseError& e) {
      throw UsageError(e.what());
    }
    if (build->parsed()) return command_build(options, out);
    if (verify->parsed()) return command_verify(options, out);
    if (run->parsed()) return command_run(options, out);
    if (report->parsed()) return command_report(options, out);
    if (microbench->parsed()) return command_microbench(options, out);
    throw UsageError("choose a subcommand: build, verify, run or report (see --help)");
  } catch (const UsageError& e) {
    fmt::print(err, "hellobench: error: {}\n", e.what());
    return kExitUsage;
  } catch (const MissingToolError& e) {
    fmt::print(err, "hellobench: error: {}\n", e.what());
    return kExitMissingTool;
  } catch (const std::exception& e) {
    fmt::print(err, "hellobench: error: {}\n", e.what());
    return kExitFailure;
  }
}

int run_cli(const std::vector<std::string>& args, std::FILE* out, std::FILE* err) {
  std::vector<const char*> argv = {"hellobench"};
  for (const std::string& a : args) argv.push_back(a.c_str());
  return run_cli(static_cast<int>(argv.size()), argv.data(), out, err);
}

}  // namespace hellobench
