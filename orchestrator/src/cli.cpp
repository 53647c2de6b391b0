#include "cli.hpp"

#include <fmt/format.h>

#include <CLI/CLI.hpp>

#include "commands/common.hpp"
#include "core/errors.hpp"

namespace hellobench {

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
      "build", "time builds in scratch copies: the servers' and the generated services' loops");
  add_config(build);
  add_servers(build);
  add_out(build);
  add_bin_dir(build);
  add_scratch(build);
  build
      ->add_option("--kinds", options.kinds,
                   "comma-separated: dev (the servers' debug clean, no-op, incremental), ci (their "
                   "release clean + tests), services (the generated services' [services] loops) "
                   "or one loop kind (native-clean, ..., container-cache-mount)")
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

  run->add_option("--db", options.db,
                  "use this database (a libpq URI, its users table loaded with `hellobench db "
                  "load`) instead of starting a private PostgreSQL");

  CLI::App* db = app.add_subcommand("db", "the database of the database routes");
  db->require_subcommand(1);
  CLI::App* db_load =
      db->add_subcommand("load", "create and load the users table in a database you run");
  add_config(db_load);
  db_load->add_option("--db", options.db, "libpq connection string or URI")->required();
  db_load->add_option("--live-mb", options.live_mb, "records: live_mb * 1024 (as --live-mb)")
      ->required();

  CLI::App* sample = app.add_subcommand(
      "sample",
      "print a process's memory and CPU from /proc as JSON lines (for a server on another host, "
      "run over the host's prefix)");
  sample->add_option("pid", options.sample_pid, "the process id")->required();
  sample->add_option("--interval-ms", options.sample_interval_ms, "between samples (default 50)")
      ->check(CLI::Range(1, 3600000));
  sample->add_option("--duration-s", options.sample_duration_s,
                     "how long to sample (default 10; 0: one sample)")
      ->check(CLI::Range(0.0, 86400.0));

  CLI::App* microbench = app.add_subcommand(
      "microbench", "merge the languages' JSON microbenchmark files into one and print a table");
  microbench->add_option("files", options.microbench_inputs, "hellobench-microbench/1 files")
      ->required();
  microbench->add_option("--out", options.microbench, "the merged file to write")->required();

  CLI::App* report = app.add_subcommand("report", "render a results.json as Markdown");
  report->add_option("results", options.results_file,
                     "a results.json (with --html: default the latest run under results/runs)");
  report->add_option("--html", options.html_dir,
                     "write a self-contained HTML dashboard (index.html) into this folder");
  report->add_option("--history", options.history,
                     "runs folder for the dashboard's history view (default: results/runs)");
  report->add_option("--out", options.report_out, "write to this file instead of stdout");
  report->add_flag("--recompute", options.recompute,
                   "recompute the summary and the claims from the raw trials first");

  CLI::App* compare = app.add_subcommand(
      "compare", "two results files side by side: the change of each figure, with its interval");
  compare->add_option("files", options.compare_files, "A.json B.json (B is compared with A)")
      ->required()
      ->expected(2);
  compare->add_flag("--markdown", options.markdown, "Markdown tables (for a pull request)");
  compare->add_option("--metrics", options.metrics,
                      "comma-separated trial metrics (default: rps, p50_us, p99_us, "
                      "cpu_us_per_request, rss_mean_kib, rss_peak_kib, startup_ms)");

  CLI::App* gate = app.add_subcommand(
      "gate", "judge a candidate against a baseline under rules; exit 1 on a regression");
  add_config(gate);
  add_servers(gate);
  add_bin_dir(gate);
  gate->add_option("--baseline-ref", options.baseline_ref,
                   "same-job mode: build the baseline from this git ref and measure it "
                   "interleaved with the working tree");
  gate->add_option("--baseline", options.baseline, "stored mode: an earlier results file");
  gate->add_option("--candidate", options.candidate,
                   "stored mode: the candidate results file");
  gate->add_option("--rules", options.rules, "rules file (default: gate.toml beside the config)");
  gate->add_option("--work-dir", options.work_dir,
                   "same-job mode: worktree and builds here, kept for the next gate (default: "
                   "a temporary folder, removed)");
  gate->add_option("--out", options.out, "folder for gate run folders (default: results/gate)");
  gate->add_option("--repetitions", options.repetitions, "override the rules' repetitions")
      ->check(CLI::Range(1, 1000));
  gate->add_option("--jobs", options.jobs, "build job count (default: CPUs)")
      ->check(CLI::Range(1, 1024));
  gate->add_flag("--markdown", options.markdown, "Markdown verdict table (for a pull request)");

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
    if (compare->parsed()) return command_compare(options, out);
    if (gate->parsed()) return command_gate(options, out, err);
    if (db_load->parsed()) return command_db_load(options, out);
    if (sample->parsed()) return command_sample(options, out);
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
