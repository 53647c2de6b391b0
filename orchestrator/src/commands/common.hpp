// What the subcommands share: the parsed options, loading the config, the run folder and the
// results document every phase fills in, build scratch copies. One file per subcommand beside
// this one (build, verify, run, report and microbench); cli.cpp only defines the command line.
#pragma once

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "output/progress.hpp"
#include "trial/environment.hpp"

namespace hellobench {

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
  std::string sweeps;  // comma-separated; empty: the profile's; "none": no sweep
  std::string
      microbench;  // a merged microbenchmark file (default: <bin_dir>/../microbench/json.json)
  std::vector<std::string> microbench_inputs;
  bool recompute = false;
  // compare, gate and report --html (commands/compare.cpp, gate.cpp, report.cpp)
  std::vector<std::string> compare_files;  // compare A B
  bool markdown = false;                   // compare, gate: Markdown tables (a PR comment)
  std::string metrics;                     // compare: comma-separated trial metrics
  std::string baseline;                    // gate: a stored baseline results file
  std::string candidate;                   // gate: the candidate results file (stored mode)
  std::string baseline_ref;                // gate: the git ref the baseline is built from
  std::string rules;                       // gate: rules file (default: gate.toml)
  std::string work_dir;                    // gate: worktree and builds (kept when given)
  std::string html_dir;                    // report --html DIR
  std::string history;                     // report: the runs folder of the history view
  std::string db;   // a database the user runs (run --db, db load --db)
  int live_mb = 0;  // db load --live-mb
  // sample PID (commands/sample.cpp)
  int sample_pid = 0;
  int sample_interval_ms = 50;
  double sample_duration_s = 10;
};

// The config (default: hellobench.toml of the source tree), with its claims validated.
Config load(const Options& options);
std::vector<const SweepConfig*> select_sweeps(const Config& config, const ProfileConfig& profile,
                                              const std::string& list);
nlohmann::json microbenchmarks_of(const Options& options, const std::filesystem::path& bin_dir);
std::filesystem::path bin_dir_of(const Options& options);
std::filesystem::path runs_root(const Config& config, const Options& options);
std::vector<std::string> names_of(const std::vector<const ServerConfig*>& servers);
nlohmann::json rules_bent_json(const CpuPlan& plan);
nlohmann::json servers_json(const std::vector<const ServerConfig*>& servers,
                            const std::filesystem::path& bin_dir,
                            const std::filesystem::path& scratch, bool inspect);
// A results document with every field of CONTRACT.md 2.2 present from the start; the phases
// fill it in and it is rewritten (atomically) after each, so an interrupted run leaves what it
// measured so far.
nlohmann::json new_results(const Config& config, const ProfileConfig* profile, const CpuPlan& plan,
                           const std::string& profile_name, int jobs,
                           std::chrono::system_clock::time_point started);
void save(const std::filesystem::path& run_dir, const nlohmann::json& doc);
// Marks the document complete, writes results.json and summary.md, prints the summary.
void finish(const std::filesystem::path& run_dir, nlohmann::json& doc, std::FILE* out);

// A scratch folder for build copies, removed afterwards and on Ctrl-C (unless kept).
struct ScratchDir {
  std::filesystem::path path;
  bool keep = false;
  ScratchDir(const std::string& parent, bool keep_it);
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
};

void run_builds(const std::vector<const ServerConfig*>& servers,
                const std::vector<std::string>& kinds, int repetitions, int jobs,
                const std::filesystem::path& run_dir, const ScratchDir& scratch, Progress& progress,
                nlohmann::json& doc);
std::vector<std::string> parse_kinds(const std::string& list);

int command_build(const Options& options, std::FILE* out);
int command_verify(const Options& options, std::FILE* out);
int command_run(const Options& options, std::FILE* out);
int command_report(const Options& options, std::FILE* out);
int command_microbench(const Options& options, std::FILE* out);
int command_compare(const Options& options, std::FILE* out);
int command_gate(const Options& options, std::FILE* out, std::FILE* err);
int command_report_html(const Options& options, std::FILE* out);
int command_db_load(const Options& options, std::FILE* out);
int command_sample(const Options& options, std::FILE* out);

}  // namespace hellobench
