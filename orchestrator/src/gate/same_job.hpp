// The same-job gate's preparation (MEASUREMENT.md rule 14): the baseline's sources from a git
// worktree at a ref, both sides built by the same recipe ([server.build.release] of the
// config), and the servers of the run derived from the config's: for each server X a baseline
// "X@REF" (the binary built from REF) and the candidate "X" (the binary built from the working
// tree), listed in that order so that run_trials interleaves them A B A B within each round.
//
// Builds go to persistent folders under the work folder (WORK/build/{baseline,candidate}/X)
// and are incremental when the folder is reused (`make gate` keeps build/gate); the recipes
// must write only into {build_dir}, which they do (a CMake build folder, CARGO_TARGET_DIR,
// GOCACHE and -o).
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace hellobench {

// The top folder of the git repository holding `folder`; UsageError when it is not in one.
std::filesystem::path git_top_level(const std::filesystem::path& folder);

// REF as a full commit id; UsageError naming --baseline-ref when git does not know it.
std::string resolve_git_ref(const std::filesystem::path& repo, const std::string& ref);

// "origin/main" -> "origin-main": a server-name suffix safe in names and log folders.
std::string ref_label(const std::string& ref);

// A detached worktree of `repo` at `commit` in `folder` (created, or moved to the commit when
// it is a worktree already). Stale registrations are pruned first.
void prepare_worktree(const std::filesystem::path& repo, const std::string& commit,
                      const std::filesystem::path& folder);
// Unregisters and deletes the worktree (for a temporary work folder).
void remove_worktree(const std::filesystem::path& repo, const std::filesystem::path& folder);

// Builds one server with its release recipe from `source_dir` (the server's folder in some
// tree) into `build_dir`: dependencies fetched, configure steps on a fresh folder only, then
// the build. Returns the binary. Throws std::runtime_error naming the failed step and its log.
std::filesystem::path build_release(const ServerConfig& server,
                                    const std::filesystem::path& source_dir,
                                    const std::filesystem::path& build_dir, int jobs,
                                    const std::filesystem::path& log_dir);

// The server's folder inside another checkout of the same repository.
std::filesystem::path source_in(const ServerConfig& server, const std::filesystem::path& repo,
                                const std::filesystem::path& other_checkout);

// The run's servers: for each, the baseline (named baseline_name(X, label), with its binary)
// then the candidate (named X, with its binary); binaries are absolute paths.
std::vector<ServerConfig> same_job_servers(const std::vector<const ServerConfig*>& servers,
                                           const std::vector<std::filesystem::path>& baseline,
                                           const std::vector<std::filesystem::path>& candidate,
                                           const std::string& label);

}  // namespace hellobench
