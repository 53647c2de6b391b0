// `hellobench gate`: same-job (the default: --baseline-ref REF, main when no mode is given)
// or stored (--baseline FILE --candidate FILE). Exit 0 pass (soft failures warn), 1 a hard
// failure, 2 bad rules, files or flags.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "analysis/summary.hpp"
#include "cli.hpp"
#include "commands/common.hpp"
#include "core/errors.hpp"
#include "gate/judge.hpp"
#include "gate/rules.hpp"
#include "gate/same_job.hpp"
#include "output/progress.hpp"
#include "output/results.hpp"
#include "trial/environment.hpp"
#include "trial/launch.hpp"
#include "trial/trials.hpp"

namespace hellobench {

namespace fs = std::filesystem;
using nlohmann::json;
using SystemClock = std::chrono::system_clock;

namespace {

void print_verdict(const json& verdict, const Options& options, std::FILE* out) {
  fmt::print(out, "{}",
             options.markdown ? render_gate_markdown(verdict) : render_gate_text(verdict));
  std::fflush(out);
}

int stored_gate(const Options& options, const GateRules& rules, std::FILE* out) {
  if (options.candidate.empty()) {
    throw UsageError("--baseline FILE needs --candidate FILE (the run to judge)");
  }
  const json baseline = read_results(options.baseline);
  const json candidate = read_results(options.candidate);
  json verdict = judge_stored(baseline, candidate, rules);
  verdict["baseline_file"] = options.baseline;
  verdict["candidate_file"] = options.candidate;
  print_verdict(verdict, options, out);
  return gate_exit_code(verdict);
}

// Removes a temporary work folder (and its worktree registration) on every way out.
struct TemporaryWork {
  fs::path repo, worktree;
  bool active = false;
  ~TemporaryWork() {
    if (active) remove_worktree(repo, worktree);
  }
};

int same_job_gate(const Options& options, const Config& config, const GateRules& rules,
                  std::FILE* out) {
  const std::string ref = options.baseline_ref.empty() ? "main" : options.baseline_ref;
  const auto servers = select_servers(config, options.servers);
  const fs::path repo = git_top_level(config.base_dir);
  const std::string commit = resolve_git_ref(repo, ref);
  const std::string label = ref_label(ref);
  const fs::path bin_dir = bin_dir_of(options);
  const int jobs = options.jobs > 0 ? options.jobs : build_jobs(config);
  ProfileConfig profile = gate_profile(rules);
  if (options.repetitions > 0) profile.repetitions = options.repetitions;
  if (profile.scenarios.empty()) {
    throw ConfigError(
        fmt::format("{}: [measure].scenarios is empty: the same-job gate would "
                    "measure nothing",
                    rules.file.string()));
  }
  const auto scenarios = select_scenarios(config, profile, "");

  // The work folder: given (kept, builds reused) or temporary (removed afterwards).
  std::optional<ScratchDir> scratch;
  fs::path work;
  if (options.work_dir.empty()) {
    scratch.emplace(options.scratch_dir, options.keep_scratch);
    work = scratch->path;
  } else {
    work = fs::absolute(options.work_dir);
    fs::create_directories(work);
  }
  TemporaryWork cleanup{repo, work / "baseline-src", options.work_dir.empty()};

  const auto started = SystemClock::now();
  const fs::path runs =
      options.out.empty() ? config.base_dir / "results" / "gate" : fs::absolute(options.out);
  const fs::path run_dir = create_run_dir(runs, started);
  Progress progress;
  progress.note(fmt::format("gate: baseline {} ({}), candidate the working tree; run folder {}",
                            ref, commit.substr(0, 12), run_dir.string()));

  prepare_worktree(repo, commit, cleanup.worktree);
  std::vector<fs::path> baseline_binaries, candidate_binaries;
  progress.begin("gate builds", static_cast<int>(servers.size()) * 2);
  int k = 0;
  for (const ServerConfig* s : servers) {
    progress.step(++k, fmt::format("{} at {}", s->name, ref));
    baseline_binaries.push_back(build_release(*s, source_in(*s, repo, cleanup.worktree),
                                              work / "build" / "baseline" / s->name, jobs,
                                              run_dir / "logs" / "builds" / "baseline"));
    progress.step(++k, fmt::format("{} from the working tree", s->name));
    candidate_binaries.push_back(build_release(*s, s->source_dir,
                                               work / "build" / "candidate" / s->name, jobs,
                                               run_dir / "logs" / "builds" / "candidate"));
  }
  progress.end();

  const std::vector<ServerConfig> derived =
      same_job_servers(servers, baseline_binaries, candidate_binaries, label);
  std::vector<const ServerConfig*> derived_ptrs;
  for (const ServerConfig& s : derived) derived_ptrs.push_back(&s);

  const CpuPlan plan = plan_cpus(available_cpus());
  json doc = new_results(config, &profile, plan, profile.name, jobs, started);
  doc["servers"] = servers_json(derived_ptrs, bin_dir, work, true);
  doc["gate"] = {{"mode", "same-job"},
                 {"baseline_ref", ref},
                 {"baseline_commit", commit},
                 {"baseline_label", label},
                 {"rules_file", rules.file.string()},
                 {"order",
                  "counterbalanced: baseline first in odd rounds, candidate first in "
                  "even rounds"}};
  save(run_dir, doc);

  // Round by round, with the order within each pair counterbalanced (A B in odd rounds, B A in
  // even ones): an unchanged candidate measured always second was seen to differ by a steady
  // few percent on a busy machine, an order effect that the swap cancels.
  RunContext context;
  context.config = &config;
  context.cpus = plan;
  context.bin_dir = bin_dir;
  context.run_dir = run_dir;
  context.progress = &progress;
  ProfileConfig one_round = profile;
  one_round.repetitions = 1;
  int invalid = 0, order = 0;
  for (int round = 1; round <= profile.repetitions; ++round) {
    context.servers.clear();
    for (std::size_t i = 0; i + 1 < derived_ptrs.size(); i += 2) {
      const bool baseline_first = round % 2 == 1;
      context.servers.push_back(derived_ptrs[baseline_first ? i : i + 1]);
      context.servers.push_back(derived_ptrs[baseline_first ? i + 1 : i]);
    }
    progress.note(fmt::format("gate: round {} of {}", round, profile.repetitions));
    // Each round's logs in a folder of its own (every round is repetition 1 to run_trials).
    const std::string round_dir = fmt::format("rounds/{}", round);
    context.run_dir = run_dir / round_dir;
    TrialsOutcome trials = run_trials(context, one_round, scenarios);
    for (json& row : trials.trials) {
      row["repetition"] = round;
      row["log_dir"] = round_dir + "/" + row.value("log_dir", std::string());
      row["order"] = ++order;
      doc["trials"].push_back(std::move(row));
    }
    if (round == 1) doc["skipped"] = trials.skipped;
    invalid += trials.invalid;
    save(run_dir, doc);
  }
  if (invalid > 0) doc["failures"].push_back(fmt::format("{} invalid trials", invalid));
  doc["summary"] = summarize_trials(doc["trials"], names_of(derived_ptrs));
  doc["complete"] = true;
  doc["finished_at"] = utc_iso8601(SystemClock::now());
  save(run_dir, doc);

  json verdict = judge_same_job(doc, rules, names_of(servers), label);
  verdict["baseline_ref"] = ref;
  verdict["baseline_commit"] = commit;
  verdict["candidate_commit"] = member(doc, "environment").value("git_commit", json());
  verdict["candidate_dirty"] = member(doc, "environment").value("git_dirty", false);
  verdict["repetitions"] = profile.repetitions;
  verdict["results"] = (run_dir / "results.json").string();
  write_file_atomic(run_dir / "gate.json", verdict.dump(2) + "\n");
  write_file_atomic(run_dir / "gate.md", render_gate_markdown(verdict));
  print_verdict(verdict, options, out);
  fmt::print(out, "gate run: {}\n", run_dir.string());
  return gate_exit_code(verdict);
}

}  // namespace

int command_gate(const Options& options, std::FILE* out, std::FILE* err) {
  (void)err;
  if (!options.baseline.empty() && !options.baseline_ref.empty()) {
    throw UsageError("--baseline and --baseline-ref are two modes: give one");
  }
  if (options.baseline.empty() && !options.candidate.empty()) {
    throw UsageError("--candidate FILE needs --baseline FILE (stored mode)");
  }
  const Config config = load(options);
  const fs::path rules_file =
      options.rules.empty() ? default_rules_path(config) : fs::path(options.rules);
  const GateRules rules = load_gate_rules(rules_file, config);
  if (!options.baseline.empty()) return stored_gate(options, rules, out);
  return same_job_gate(options, config, rules, out);
}

}  // namespace hellobench
