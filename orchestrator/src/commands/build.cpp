// `hellobench build`.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
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
#include "trial/launch.hpp"
#include "trial/process.hpp"
#include "trial/trials.hpp"
#include "verify/verify_servers.hpp"

namespace hellobench {

namespace fs = std::filesystem;
using nlohmann::json;
using SystemClock = std::chrono::system_clock;

int command_build(const Options& options, std::FILE* out) {
  const Config config = load(options);
  const auto servers = select_servers(config, options.servers);
  std::vector<std::string> kinds = parse_kinds(options.kinds);
  if (kinds.empty()) throw UsageError("--kinds: choose at least one of dev, ci, services");
  // Generated services: `services` runs the [services] loops; a loop kind runs just that loop.
  std::vector<std::string> service_loops;
  for (const std::string& kind : kinds) {
    if (kind == "services") {
      service_loops.insert(service_loops.end(), config.services.loops.begin(),
                           config.services.loops.end());
    } else if (kind != "dev" && kind != "ci") {
      service_loops.push_back(kind);
    }
  }
  std::erase_if(kinds, [](const std::string& k) { return k != "dev" && k != "ci"; });
  if (!service_loops.empty() && config.services.sizes.empty()) {
    throw UsageError(fmt::format("--kinds {}: {} has no [services] sizes", options.kinds,
                                 config.file.string()));
  }
  const int jobs = options.jobs > 0 ? options.jobs : build_jobs(config);
  const CpuPlan plan = plan_cpus(available_cpus());
  const auto started = SystemClock::now();
  const fs::path run_dir = create_run_dir(runs_root(config, options), started);
  ScratchDir scratch(options.scratch_dir, options.keep_scratch);
  json doc = new_results(config, nullptr, plan, "build", jobs, started);
  doc["servers"] = servers_json(servers, bin_dir_of(options), scratch.path, true);
  Progress progress;
  if (!kinds.empty()) {
    run_builds(servers, kinds, std::max(1, options.repetitions), jobs, run_dir, scratch, progress,
               doc);
  }
  if (!service_loops.empty()) {
    run_service_builds(config, options.servers.empty() ? std::vector<std::string>{}
                                                       : names_of(servers),
                       config.services.sizes, service_loops,
                       options.repetitions > 0 ? options.repetitions : config.services.repetitions,
                       jobs, run_dir, scratch.path, scratch.keep, bin_dir_of(options), progress,
                       doc);
  }
  doc["summary"] = summarize_trials(json::array(), names_of(servers));
  doc["claims"] = evaluate_claims(doc, config.claims);
  finish(run_dir, doc, out);
  return doc["failures"].empty() ? kExitOk : kExitFailure;
}

}  // namespace hellobench
