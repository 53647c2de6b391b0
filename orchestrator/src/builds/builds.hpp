// Build timing (CONTRACT.md 2.1, MEASUREMENT.md rule 13), always in a scratch copy of the
// server's sources so the repository stays untouched:
//   dev: the everyday debug build: clean (dependencies fetched beforehand, fresh build dir and
//        compile caches), no-op, and incremental after the one-field edit of the /user struct;
//   ci:  the release build from clean plus the server's own tests.
// Every build step is an argv list run through Process (no shell), with the same job count.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace hellobench {

struct StepResult {
  Argv argv;
  double seconds = 0;
  int exit_status = -1;  // 128 + signal when killed
  std::filesystem::path stdout_path;
  std::filesystem::path stderr_path;
  bool ok() const { return exit_status == 0; }
};

struct StepOptions {
  std::filesystem::path working_dir;
  std::vector<std::pair<std::string, std::string>> env;
  std::filesystem::path log_prefix;  // <prefix>.stdout / .stderr; empty: private temporaries
  std::chrono::milliseconds timeout{std::chrono::minutes(20)};
};

// Runs one command and times it with the steady clock, from just before fork to its reaping.
// Throws MissingToolError when the program cannot be found.
StepResult run_step(const Argv& argv, const StepOptions& options);

// Copies a server's source folder into destination, leaving out build output (target/,
// build/, .git): the scratch copy every timed build works in.
void copy_source_tree(const std::filesystem::path& from, const std::filesystem::path& to);

// Inserts edit.line after the one line of source_root/edit.file that contains edit.marker.
// Throws ConfigError when the file is missing or the marker is absent or not unique.
void apply_field_edit(const std::filesystem::path& source_root, const FieldEdit& edit);

// Size as built and stripped (strip run on a copy), and the shared libraries `ldd` lists.
struct BinaryInfo {
  std::filesystem::path path;
  std::uintmax_t bytes = 0;
  std::optional<std::uintmax_t> stripped_bytes;
  std::vector<std::string> shared_libraries;  // sonames; empty for a static binary
  bool is_static = false;
};
BinaryInfo inspect_binary(const std::filesystem::path& binary,
                          const std::filesystem::path& scratch);
nlohmann::json to_json(const BinaryInfo& info);

struct BuildTimingOptions {
  std::vector<std::string> kinds;  // "dev", "ci"
  int repetitions = 1;
  int first_sample = 1;  // samples first_sample .. first_sample + repetitions - 1 (names, logs)
  int jobs = 1;
  std::filesystem::path scratch_root;  // a fresh folder is made under it per server and sample
  std::filesystem::path log_dir;       // build logs go here
  bool keep_scratch = false;
  // Called before each timed build: (server, "dev clean", sample index 1..n).
  std::function<void(const std::string&, const std::string&, int)> on_step;
};

// Runs the build timings for one server. Returns the "builds" rows for results.json: one per
// (kind, build profile) with every sample in seconds, the median, and binary sizes; a failed
// step is recorded (ok: false, with its log) and ends that server's timings.
nlohmann::json time_server_builds(const ServerConfig& server, const BuildTimingOptions& options);

// The programs the chosen build kinds need (argv[0] of every step), missing from PATH.
std::vector<std::string> missing_build_tools(const ServerConfig& server,
                                             const std::vector<std::string>& kinds);

}  // namespace hellobench
