#include "commands/common.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <optional>

#include "analysis/claims.hpp"
#include "analysis/stats.hpp"
#include "analysis/summary.hpp"
#include "builds/builds.hpp"
#include "builds/curves.hpp"
#include "config/config.hpp"
#include "core/errors.hpp"
#include "output/microbench.hpp"
#include "output/progress.hpp"
#include "output/report.hpp"
#include "output/sources.hpp"
#include "output/results.hpp"
#include "trial/environment.hpp"
#include "trial/launch.hpp"
#include "trial/process.hpp"
#include "trial/trials.hpp"
#include "verify/verify_servers.hpp"

namespace hellobench {

namespace fs = std::filesystem;
using nlohmann::json;
using SystemClock = std::chrono::system_clock;

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
  const fs::path file = options.microbench.empty() ? bin_dir / ".." / "microbench" / "json.json"
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
  doc["sources"] = count_server_sources(config);  // static: lines of code for the loc claim
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
  // Generated-service builds: the curve per loop kind, and where the claims' ratios would be
  // reached (builds/curves.hpp).
  std::string curves;
  if (doc.contains("services")) {
    doc["build_curves"] = build_curves(doc);
    annotate_build_claims(doc);
    curves = render_build_curves(doc);
  }
  save(run_dir, doc);
  write_file_atomic(run_dir / "summary.md",
                    render_markdown(doc) + (curves.empty() ? "" : "\n```\n" + curves + "```\n"));
  fmt::print(out, "{}\n{}results: {}\n", render_terminal_summary(doc), curves,
             (run_dir / "results.json").string());
  std::fflush(out);
}

ScratchDir::ScratchDir(const std::string& parent, bool keep_it) : keep(keep_it) {
  const fs::path base = parent.empty() ? fs::temp_directory_path() : fs::absolute(parent);
  path = base / fmt::format("hellobench-scratch-{}", ::getpid());
  fs::create_directories(path);
  if (!keep) remove_on_interrupt(path);  // Ctrl-C must not leave gigabytes of build trees
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  if (!keep) {
    remove_on_interrupt({});
    fs::remove_all(path, ec);
  }
}

// Adds one round's row to the rows gathered so far: the same (kind, build profile) gains the
// round's samples (n and the median worked again); a new one is appended.
void merge_build_round(json& rows, json row) {
  for (json& have : rows) {
    if (have.value("kind", "") != row.value("kind", "") ||
        have.value("build_profile", "") != row.value("build_profile", "")) {
      continue;
    }
    std::vector<double> samples = have["samples_s"].get<std::vector<double>>();
    for (const json& v : row["samples_s"]) samples.push_back(v.get<double>());
    const bool ok = have.value("ok", false) && row.value("ok", false);
    const json error = have.value("ok", false) ? row["error"] : have["error"];
    for (auto& [key, value] : row.items()) have[key] = value;  // binary sizes, steps: the last
    have["samples_s"] = samples;
    have["n"] = samples.size();
    have["median_s"] = samples.empty() ? json(nullptr) : json(stats::median(samples));
    have["ok"] = ok;
    have["error"] = error;
    return;
  }
  rows.push_back(std::move(row));
}

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
  // In rounds, every server once per round (A B A B ...): drift of the machine hits all alike
  // and the claims pair round i's values (MEASUREMENT.md 10 and 12). A server's rows gather the
  // rounds' samples; a round that fails marks its row failed and keeps the samples before it.
  std::vector<json> rows(servers.size(), json::array());
  if (!doc.contains("builds") || !doc["builds"].is_array()) doc["builds"] = json::array();
  const std::size_t before = doc["builds"].size();
  // results.json after each server's round: a run stopped part way keeps what it timed.
  auto save_rounds = [&] {
    json& builds = doc["builds"];
    builds.erase(builds.begin() + static_cast<std::ptrdiff_t>(before), builds.end());
    for (const json& server_rows : rows) {
      for (const json& row : server_rows) builds.push_back(row);
    }
    save(run_dir, doc);
  };
  for (int round = 1; round <= repetitions; ++round) {
    for (std::size_t s = 0; s < servers.size(); ++s) {
      const ServerConfig* server = servers[s];
      BuildTimingOptions options;
      options.kinds = kinds;
      options.repetitions = 1;
      options.first_sample = round;
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
        merge_build_round(rows[s], std::move(row));
      }
      save_rounds();
    }
  }
  progress.end();
}

std::vector<std::string> parse_kinds(const std::string& list) {
  std::vector<std::string> kinds;
  std::string item;
  for (std::size_t i = 0; i <= list.size(); ++i) {
    if (i == list.size() || list[i] == ',') {
      if (!item.empty()) {
        const auto& loops = service_loop_kinds();
        if (item != "dev" && item != "ci" && item != "services" &&
            std::find(loops.begin(), loops.end(), item) == loops.end()) {
          throw UsageError(fmt::format(
              "--kinds: '{}' is not 'dev', 'ci', 'services' or a loop kind ({})", item,
              fmt::join(loops, ", ")));
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

}  // namespace hellobench
