// Build loops on generated services (CONTRACT.md 2.1 and 2.2, MEASUREMENT.md rule 13): per
// language and size, the service is emitted from its template into a scratch folder, counted
// (cloc, dependencies), and built in each loop kind with the same job count:
//   native-clean        dev build from a fresh build folder and empty compile caches
//                       (dependencies downloaded beforehand, not timed);
//   native-noop         the same build again, nothing changed;
//   native-incremental  the dev build after the one-field edit of the shared record;
//   check               what an editor waits for after that edit (cargo check, go vet),
//                       in a tree whose check results were warm before the edit;
//   ci                  release build plus the service's tests, from empty caches;
//   container-*         the image rebuilt after the edit (builds/container.hpp).
// Every size is also checked: it builds, its tests pass (ci), it answers GET /health, and
// after the edit every module's sample carries the new field.
#pragma once

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "output/progress.hpp"

namespace hellobench {

struct ServiceBuildOptions {
  std::vector<int> sizes;
  std::vector<std::string> loops;
  int repetitions = 1;
  int jobs = 1;
  std::filesystem::path scratch_root;  // one folder per language and size below it
  std::filesystem::path log_dir;
  bool keep_scratch = false;
  std::function<void(const std::string&)> on_step;  // "rust 10 modules: native-clean #1"
};

struct ServiceBuildOutcome {
  nlohmann::json rows = nlohmann::json::array();      // results.json `builds` rows
  nlohmann::json services = nlohmann::json::array();  // per language and size: lines, deps, checks
  nlohmann::json container = nlohmann::json::object();  // the engine: usable, or why not
  std::vector<std::string> failures;                  // one line each, for results `failures`
};

// The loop rows of each language at each size. At a size, the samples run in rounds, every
// language once per round (A B A B ...), so round i's values pair up. Where the container
// engine cannot run, the container loops are skipped with the reason. Never throws for a failing build (the row says why, with the
// compiler's last lines); throws MissingToolError / ConfigError for a missing tool or config.
ServiceBuildOutcome time_service_builds(const ServicesConfig& services,
                                        const std::vector<const ServiceLanguage*>& languages,
                                        const ServiceBuildOptions& options);

// The last `lines` lines of a build step's output (stderr, then stdout when stderr is empty).
std::string last_lines(const std::filesystem::path& stdout_path,
                       const std::filesystem::path& stderr_path, int lines = 15);

// Counts the dependency lines of a command's output: lines matching `match` (ECMAScript),
// with a trailing " (*)" (cargo tree's repeat mark) removed, counted once each.
int count_dependency_lines(const std::string& output, const std::string& match);

// Starts a built service (--port 0), asks GET /health, and, when `field` is not empty, asks
// every module's /mNNN/sample and checks the field is in each. Empty when all is well, else
// what went wrong.
std::string check_generated_service(const std::filesystem::path& binary, int size,
                                    const std::string& field,
                                    const std::filesystem::path& log_dir);

// The service-build phase of `hellobench build` and `run`: the languages of `server_names`
// (all of [services] when empty) at `sizes` in `loops`, into the results document: `builds`
// rows (with `largest_size` marked), `services` (per language and size), `container` (the
// engine, usable or why not), `images` (the smallest runnable image of each server, when a
// container loop ran) and `failures`. Saved after each language.
void run_service_builds(const Config& config, const std::vector<std::string>& server_names,
                        const std::vector<int>& sizes, const std::vector<std::string>& loops,
                        int repetitions, int jobs, const std::filesystem::path& run_dir,
                        const std::filesystem::path& scratch, bool keep_scratch,
                        const std::filesystem::path& bin_dir, Progress& progress,
                        nlohmann::json& doc);

}  // namespace hellobench
