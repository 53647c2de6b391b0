#include "gate/same_job.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "builds/builds.hpp"
#include "core/errors.hpp"
#include "gate/judge.hpp"

namespace hellobench {

namespace fs = std::filesystem;

namespace {

struct GitResult {
  int status = -1;
  std::string out;
  std::string err;
};

std::string slurp(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s;
}

GitResult git(const fs::path& dir, const Argv& args) {
  Argv argv = {"git", "-C", dir.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  StepOptions options;
  options.timeout = std::chrono::minutes(5);
  // Output to files of our own: a step's private temporaries go with its process.
  static int calls = 0;
  options.log_prefix =
      fs::temp_directory_path() / fmt::format("hellobench-git-{}-{}", ::getpid(), ++calls);
  const StepResult r = run_step(argv, options);
  GitResult out;
  out.status = r.exit_status;
  out.out = trim(slurp(r.stdout_path));
  out.err = trim(slurp(r.stderr_path));
  std::error_code ec;
  fs::remove(r.stdout_path, ec);
  fs::remove(r.stderr_path, ec);
  return out;
}

GitResult git_checked(const fs::path& dir, const Argv& args) {
  GitResult r = git(dir, args);
  if (r.status != 0) {
    throw std::runtime_error(fmt::format("git -C {} {} failed (status {}): {}", dir.string(),
                                         fmt::join(args, " "), r.status, r.err));
  }
  return r;
}

}  // namespace

fs::path git_top_level(const fs::path& folder) {
  const GitResult r = git(folder, {"rev-parse", "--show-toplevel"});
  if (r.status != 0 || r.out.empty()) {
    throw UsageError(fmt::format(
        "--baseline-ref: {} is not inside a git repository, so there is no baseline to build "
        "(use --baseline FILE --candidate FILE for a stored baseline)",
        folder.string()));
  }
  return r.out;
}

std::string resolve_git_ref(const fs::path& repo, const std::string& ref) {
  const GitResult r = git(repo, {"rev-parse", "--verify", "--quiet", ref + "^{commit}"});
  if (r.status != 0 || r.out.empty()) {
    throw UsageError(
        fmt::format("--baseline-ref: git does not know '{}' in {}", ref, repo.string()));
  }
  return r.out;
}

std::string ref_label(const std::string& ref) {
  std::string label;
  for (char c : ref) {
    const bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == '-';
    label += safe ? c : '-';
  }
  return label.empty() ? "baseline" : label;
}

void prepare_worktree(const fs::path& repo, const std::string& commit, const fs::path& folder) {
  git(repo, {"worktree", "prune"});
  std::error_code ec;
  if (fs::exists(folder / ".git", ec)) {
    // A worktree from an earlier gate: move it to the commit (incremental builds stay valid).
    if (git(folder, {"checkout", "--quiet", "--detach", "--force", commit}).status == 0) return;
    remove_worktree(repo, folder);
  }
  fs::remove_all(folder, ec);
  fs::create_directories(folder.parent_path());
  git_checked(repo, {"worktree", "add", "--quiet", "--detach", "--force", folder.string(), commit});
}

void remove_worktree(const fs::path& repo, const fs::path& folder) {
  git(repo, {"worktree", "remove", "--force", folder.string()});
  std::error_code ec;
  fs::remove_all(folder, ec);
  git(repo, {"worktree", "prune"});
}

fs::path source_in(const ServerConfig& server, const fs::path& repo, const fs::path& other) {
  return other / fs::relative(fs::weakly_canonical(server.source_dir), fs::weakly_canonical(repo));
}

fs::path build_release(const ServerConfig& server, const fs::path& source_dir,
                       const fs::path& build_dir, int jobs, const fs::path& log_dir) {
  const std::optional<BuildRecipe>& recipe =
      server.build.release ? server.build.release : server.build.debug;
  if (!recipe) {
    throw ConfigError(
        fmt::format("server '{}' has no [server.build.release] recipe, so the gate cannot build it",
                    server.name));
  }
  fs::create_directories(build_dir);
  fs::create_directories(log_dir);
  const std::map<std::string, std::string> vars = {
      {"src", source_dir.string()},
      {"build_dir", build_dir.string()},
      {"jobs", std::to_string(jobs)},
      {"out", (build_dir / "bin" / server.name).string()}};
  std::vector<std::pair<std::string, std::string>> env;
  for (const auto& [key, value] : server.build.env) env.emplace_back(key, expand(value, vars));
  int index = 0;
  auto run = [&](const std::vector<Argv>& steps, const char* what) {
    for (const Argv& command : steps) {
      StepOptions step;
      step.working_dir = source_dir;
      step.env = env;
      step.log_prefix = log_dir / fmt::format("{}-{}-{}", server.name, what, ++index);
      const StepResult r = run_step(expand(command, vars), step);
      if (!r.ok()) {
        throw std::runtime_error(fmt::format(
            "building {} from {}: `{}` failed with status {} (log: {})", server.name,
            source_dir.string(), fmt::join(r.argv, " "), r.exit_status, r.stderr_path.string()));
      }
    }
  };
  run(server.build.fetch, "fetch");
  // Configure once per build folder: a CMake folder reconfigures itself when it must.
  const fs::path stamp = build_dir / ".hellobench-configured";
  if (!fs::exists(stamp)) {
    run(recipe->configure, "configure");
    std::ofstream(stamp) << source_dir.string() << "\n";
  }
  run(recipe->build, "build");
  const fs::path binary = expand(recipe->binary, vars);
  if (!fs::exists(binary)) {
    throw std::runtime_error(
        fmt::format("building {}: the build left no binary at {}", server.name, binary.string()));
  }
  return binary;
}

std::vector<ServerConfig> same_job_servers(const std::vector<const ServerConfig*>& servers,
                                           const std::vector<fs::path>& baseline,
                                           const std::vector<fs::path>& candidate,
                                           const std::string& label) {
  std::vector<ServerConfig> out;
  for (std::size_t i = 0; i < servers.size(); ++i) {
    ServerConfig base = *servers[i];
    base.name = baseline_name(servers[i]->name, label);
    base.label = fmt::format("{} ({})", servers[i]->label, label);
    base.binary = fs::absolute(baseline.at(i)).string();
    out.push_back(base);
    ServerConfig cand = *servers[i];
    cand.binary = fs::absolute(candidate.at(i)).string();
    cand.label = fmt::format("{} (candidate)", servers[i]->label);
    out.push_back(cand);
  }
  return out;
}

}  // namespace hellobench
