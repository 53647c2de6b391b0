#include "builds/builds.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <fstream>
#include <set>
#include <sstream>

#include "trial/environment.hpp"
#include "core/errors.hpp"
#include "verify/http_client.hpp"
#include "trial/launch.hpp"
#include "trial/process.hpp"
#include "analysis/stats.hpp"

namespace hellobench {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

StepResult run_step(const Argv& argv, const StepOptions& options) {
  if (argv.empty() || !find_program(argv.front())) {
    throw MissingToolError(
        fmt::format("'{}' not found (needed by `{}`): install it or put it on PATH",
                    argv.empty() ? "" : argv.front(), fmt::join(argv, " ")));
  }
  ProcessSpec spec;
  spec.argv = argv;
  spec.working_dir = options.working_dir;
  spec.env = options.env;
  if (!options.log_prefix.empty()) {
    spec.stdout_path = options.log_prefix.string() + ".stdout";
    spec.stderr_path = options.log_prefix.string() + ".stderr";
  }
  StepResult result;
  result.argv = argv;
  Process process = Process::spawn(spec);
  const auto exit = process.wait_exit(options.timeout);
  // started_at() is taken just before fork; the clock stops once wait_exit has reaped it.
  result.seconds = std::chrono::duration<double>(Clock::now() - process.started_at()).count();
  result.exit_status = exit ? *exit : process.terminate(std::chrono::seconds(2));
  result.stdout_path = process.stdout_path();
  result.stderr_path = process.stderr_path();
  return result;
}

void copy_source_tree(const fs::path& from, const fs::path& to) {
  static const std::set<std::string> skipped = {"target", "build", ".git", ".cache"};
  fs::create_directories(to);
  for (const fs::directory_entry& entry : fs::directory_iterator(from)) {
    const std::string name = entry.path().filename().string();
    if (skipped.count(name)) continue;
    fs::copy(entry.path(), to / name,
             fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  }
}

void apply_field_edit(const fs::path& source_root, const FieldEdit& edit) {
  const fs::path file = source_root / edit.file;
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw ConfigError(fmt::format("edit.file: {} not found in the scratch copy", edit.file));
  }
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  in.close();
  std::vector<std::pair<std::string, std::string>> insertions = {{edit.marker, edit.line}};
  insertions.insert(insertions.end(), edit.also.begin(), edit.also.end());
  for (const auto& [marker, inserted] : insertions) {
    std::vector<std::size_t> hits;
    for (std::size_t i = 0; i < lines.size(); ++i) {
      if (lines[i].find(marker) != std::string::npos) hits.push_back(i);
    }
    if (hits.size() != 1) {
      throw ConfigError(fmt::format("edit.marker: '{}' found {} times in {} (needs exactly one)",
                                    marker, hits.size(), edit.file));
    }
    lines.insert(lines.begin() + static_cast<long>(hits.front()) + 1, inserted);
  }
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  for (const std::string& l : lines) out << l << '\n';
  if (!out) throw std::runtime_error(fmt::format("cannot write {}", file.string()));
}

BinaryInfo inspect_binary(const fs::path& binary, const fs::path& scratch) {
  BinaryInfo info;
  info.path = binary;
  info.bytes = fs::file_size(binary);
  fs::create_directories(scratch);
  const fs::path copy = scratch / (binary.filename().string() + ".stripped");
  // strip writes the copy itself; a strip that cannot (a file-size limit, a full scratch disk)
  // leaves the stripped size unknown rather than failing the run.
  if (capture_output({"strip", "-o", copy.string(), binary.string()})) {
    std::error_code ec;
    const auto size = fs::file_size(copy, ec);
    if (!ec) info.stripped_bytes = size;
  }
  std::error_code removed;
  fs::remove(copy, removed);
  if (const auto ldd = capture_output({"ldd", binary.string()})) {
    std::stringstream lines(*ldd);
    std::string line;
    while (std::getline(lines, line)) {
      line.erase(0, line.find_first_not_of(" \t"));
      if (line.find("not a dynamic executable") != std::string::npos ||
          line.find("statically linked") != std::string::npos) {
        info.is_static = true;
        continue;
      }
      const std::string soname = line.substr(0, line.find_first_of(" \t"));
      if (!soname.empty()) info.shared_libraries.push_back(soname);
    }
  }
  return info;
}

nlohmann::json to_json(const BinaryInfo& info) {
  return {{"path", info.path.string()},
          {"bytes", info.bytes},
          {"stripped_bytes", info.stripped_bytes ? nlohmann::json(*info.stripped_bytes) : nullptr},
          {"shared_libraries", info.shared_libraries},
          {"static", info.is_static}};
}

std::vector<std::string> missing_build_tools(const ServerConfig& server,
                                             const std::vector<std::string>& kinds) {
  std::vector<const std::vector<Argv>*> lists = {&server.build.fetch};
  for (const std::string& kind : kinds) {
    const auto& recipe = kind == "dev" ? server.build.debug : server.build.release;
    if (recipe) {
      lists.push_back(&recipe->configure);
      lists.push_back(&recipe->build);
    }
    if (kind == "ci") lists.push_back(&server.build.test);
  }
  std::set<std::string> missing;
  for (const auto* list : lists) {
    for (const Argv& argv : *list) {
      // Placeholders ({src}/...) name programs built by an earlier step: not a tool.
      if (argv.front().find('{') == std::string::npos && !find_program(argv.front())) {
        missing.insert(argv.front());
      }
    }
  }
  return {missing.begin(), missing.end()};
}

namespace {

struct Sandbox {
  fs::path root, src, build_dir;
  std::map<std::string, std::string> vars;
  std::vector<std::pair<std::string, std::string>> env;
};

Sandbox make_sandbox(const ServerConfig& server, const BuildTimingOptions& options,
                     const std::string& label, int sample) {
  Sandbox box;
  box.root = options.scratch_root / fmt::format("{}-{}-{}", server.name, label, sample);
  fs::remove_all(box.root);
  box.src = box.root / server.source_dir.filename();
  box.build_dir = box.root / "build";
  copy_source_tree(server.source_dir, box.src);
  // The servers' own tests read the shared contract (contract/vectors) beside their folder, as a
  // checkout of this repository has it: copied next to the server's copy, outside the timed
  // steps (without it, every CI build's test step failed in the scratch copy).
  for (fs::path dir = server.source_dir.parent_path(); !dir.empty(); dir = dir.parent_path()) {
    if (fs::is_directory(dir / "contract" / "vectors")) {
      copy_source_tree(dir / "contract", box.root / "contract");
      break;
    }
    if (dir == dir.parent_path()) break;
  }
  fs::create_directories(box.build_dir);
  box.vars = {{"src", box.src.string()},
              {"build_dir", box.build_dir.string()},
              {"jobs", std::to_string(options.jobs)},
              {"out", (box.build_dir / "bin" / server.name).string()}};
  for (const auto& [key, value] : server.build.env) {
    box.env.emplace_back(key, expand(value, box.vars));
  }
  return box;
}

// Runs a list of steps; total seconds, or the failed step.
struct StepsOutcome {
  double seconds = 0;
  std::vector<StepResult> steps;
  const StepResult* failed() const {
    for (const StepResult& s : steps) {
      if (!s.ok()) return &s;
    }
    return nullptr;
  }
};

StepsOutcome run_steps(const std::vector<Argv>& commands, const Sandbox& box,
                       const BuildTimingOptions& options, const std::string& log_name) {
  StepsOutcome outcome;
  int index = 0;
  for (const Argv& command : commands) {
    StepOptions step;
    step.working_dir = box.src;
    step.env = box.env;
    step.log_prefix = options.log_dir / fmt::format("{}-{}", log_name, ++index);
    outcome.steps.push_back(run_step(expand(command, box.vars), step));
    outcome.seconds += outcome.steps.back().seconds;
    if (!outcome.steps.back().ok()) break;
  }
  return outcome;
}

nlohmann::json steps_json(const StepsOutcome& outcome) {
  nlohmann::json steps = nlohmann::json::array();
  for (const StepResult& s : outcome.steps) {
    steps.push_back({{"argv", s.argv},
                     {"seconds", s.seconds},
                     {"exit_status", s.exit_status},
                     {"stderr_log", s.stderr_path.string()}});
  }
  return steps;
}

// One results row: (server, kind, build profile) with its samples.
struct Row {
  Row(std::string kind_name, std::string build_profile)
      : kind(std::move(kind_name)), profile(std::move(build_profile)) {}
  std::string kind, profile;
  std::vector<double> samples;
  nlohmann::json last_steps = nlohmann::json::array();
  std::optional<std::string> error;
  std::optional<BinaryInfo> binary;
  nlohmann::json to_json(const ServerConfig& server, int jobs) const {
    nlohmann::json row = {{"server", server.name},
                          {"kind", kind},
                          {"build_profile", profile},
                          {"jobs", jobs},
                          {"samples_s", samples},
                          {"n", samples.size()},
                          {"median_s", samples.empty() ? nlohmann::json(nullptr)
                                                       : nlohmann::json(stats::median(samples))},
                          {"ok", !error.has_value()},
                          {"error", error ? nlohmann::json(*error) : nullptr},
                          {"steps", last_steps}};
    if (binary) {
      row["binary_bytes"] = binary->bytes;
      row["binary_stripped_bytes"] =
          binary->stripped_bytes ? nlohmann::json(*binary->stripped_bytes) : nullptr;
      row["shared_libraries"] = binary->shared_libraries;
    }
    return row;
  }
};

std::string failure_text(const StepResult& step) {
  return fmt::format("`{}` exited with status {} (log: {})", fmt::join(step.argv, " "),
                     step.exit_status, step.stderr_path.string());
}

void fetch_dependencies(const ServerConfig& server, const BuildTimingOptions& options) {
  if (server.build.fetch.empty()) return;
  // Fetch in a throwaway copy: the downloads land in the shared caches (cargo registry, Go
  // module cache), so no timed build downloads anything.
  const Sandbox box = make_sandbox(server, options, "fetch", 0);
  const StepsOutcome outcome =
      run_steps(server.build.fetch, box, options, fmt::format("{}-fetch", server.name));
  if (!options.keep_scratch) fs::remove_all(box.root);
  if (const StepResult* failed = outcome.failed()) {
    throw std::runtime_error(
        fmt::format("{}: fetching dependencies failed: {}", server.name, failure_text(*failed)));
  }
}

// Starts the binary the incremental build produced and asks for /user: the new field must be
// there, or the timed "incremental build" did not really rebuild what the edit touched.
std::string check_edit_visible(const ServerConfig& server, const fs::path& binary,
                               const fs::path& log_dir) {
  ServerConfig built = server;
  built.binary = binary.string();
  LaunchOptions launch;
  launch.log_dir = log_dir;
  launch.cpus = {};
  try {
    RunningServer running = launch_server(built, launch);
    const HttpResponse answer = http_exchange(
        running.host, running.port, http_get("/user", running.host, "Connection: close\r\n"),
        std::chrono::seconds(3));
    running.process.terminate(std::chrono::seconds(2));
    if (answer.body.find("\"extra_field\"") == std::string::npos) {
      return fmt::format("after the edit, /user has no \"extra_field\": {}", answer.body);
    }
    return "";
  } catch (const std::exception& e) {
    return fmt::format("could not check the edited binary: {}", e.what());
  }
}

void time_dev(const ServerConfig& server, const BuildTimingOptions& options,
              std::vector<Row>& rows) {
  Row clean{"clean", "debug"}, noop{"noop", "debug"}, incremental{"incremental", "debug"};
  const BuildRecipe& recipe = *server.build.debug;
  auto notify = [&](const std::string& what, int sample) {
    if (options.on_step) options.on_step(server.name, what, sample);
  };
  for (int sample = options.first_sample; sample < options.first_sample + options.repetitions;
       ++sample) {
    const Sandbox box = make_sandbox(server, options, "dev", sample);
    const std::string log = fmt::format("{}-dev-{}", server.name, sample);

    notify("dev clean", sample);
    std::vector<Argv> clean_steps = recipe.configure;
    clean_steps.insert(clean_steps.end(), recipe.build.begin(), recipe.build.end());
    const StepsOutcome first = run_steps(clean_steps, box, options, log + "-clean");
    clean.last_steps = steps_json(first);
    if (const StepResult* failed = first.failed()) {
      clean.error = failure_text(*failed);
      break;
    }
    clean.samples.push_back(first.seconds);
    const fs::path binary = expand(recipe.binary, box.vars);
    if (!fs::exists(binary)) {
      clean.error =
          fmt::format("the build left no binary at {} (build.debug.binary)", binary.string());
      break;
    }
    clean.binary = inspect_binary(binary, box.root);

    notify("dev no-op", sample);
    const StepsOutcome second = run_steps(recipe.build, box, options, log + "-noop");
    noop.last_steps = steps_json(second);
    if (const StepResult* failed = second.failed()) {
      noop.error = failure_text(*failed);
      break;
    }
    noop.samples.push_back(second.seconds);

    notify("dev incremental", sample);
    apply_field_edit(box.src, server.edit);
    const StepsOutcome third = run_steps(recipe.build, box, options, log + "-incremental");
    incremental.last_steps = steps_json(third);
    if (const StepResult* failed = third.failed()) {
      incremental.error = failure_text(*failed);
      break;
    }
    incremental.samples.push_back(third.seconds);
    if (!server.run.empty()) {
      const std::string problem = check_edit_visible(server, expand(recipe.binary, box.vars),
                                                     options.log_dir / (log + "-edited-server"));
      if (!problem.empty()) {
        incremental.error = problem;
        break;
      }
    }
    if (!options.keep_scratch) fs::remove_all(box.root);
  }
  rows.push_back(std::move(clean));
  rows.push_back(std::move(noop));
  rows.push_back(std::move(incremental));
}

void time_ci(const ServerConfig& server, const BuildTimingOptions& options,
             std::vector<Row>& rows) {
  Row build{"clean", "release"}, test{"test", "release"}, ci{"ci", "release"};
  const BuildRecipe& recipe = *server.build.release;
  for (int sample = options.first_sample; sample < options.first_sample + options.repetitions;
       ++sample) {
    const Sandbox box = make_sandbox(server, options, "ci", sample);
    const std::string log = fmt::format("{}-ci-{}", server.name, sample);
    if (options.on_step) options.on_step(server.name, "ci release build", sample);
    std::vector<Argv> clean_steps = recipe.configure;
    clean_steps.insert(clean_steps.end(), recipe.build.begin(), recipe.build.end());
    const StepsOutcome built = run_steps(clean_steps, box, options, log + "-build");
    build.last_steps = steps_json(built);
    if (const StepResult* failed = built.failed()) {
      build.error = ci.error = failure_text(*failed);
      break;
    }
    build.samples.push_back(built.seconds);
    const fs::path binary = expand(recipe.binary, box.vars);
    if (!fs::exists(binary)) {
      build.error = ci.error =
          fmt::format("the build left no binary at {} (build.release.binary)", binary.string());
      break;
    }
    build.binary = inspect_binary(binary, box.root);

    if (options.on_step) options.on_step(server.name, "ci tests", sample);
    const StepsOutcome tested = run_steps(server.build.test, box, options, log + "-test");
    test.last_steps = steps_json(tested);
    if (const StepResult* failed = tested.failed()) {
      test.error = ci.error = failure_text(*failed);
      break;
    }
    test.samples.push_back(tested.seconds);
    ci.samples.push_back(built.seconds + tested.seconds);
    if (!options.keep_scratch) fs::remove_all(box.root);
  }
  rows.push_back(std::move(build));
  rows.push_back(std::move(test));
  rows.push_back(std::move(ci));
}

}  // namespace

nlohmann::json time_server_builds(const ServerConfig& server, const BuildTimingOptions& options) {
  fs::create_directories(options.log_dir);
  fs::create_directories(options.scratch_root);
  nlohmann::json out = nlohmann::json::array();
  std::vector<Row> rows;
  try {
    fetch_dependencies(server, options);
    for (const std::string& kind : options.kinds) {
      const bool has_recipe =
          kind == "dev" ? server.build.debug.has_value() : server.build.release.has_value();
      if (!has_recipe) {
        Row missing{kind == "dev" ? "clean" : "ci", kind == "dev" ? "debug" : "release"};
        missing.error = fmt::format("server '{}' has no build.{} recipe in the config", server.name,
                                    kind == "dev" ? "debug" : "release");
        rows.push_back(std::move(missing));
        continue;
      }
      if (kind == "dev") time_dev(server, options, rows);
      if (kind == "ci") time_ci(server, options, rows);
    }
  } catch (const MissingToolError&) {
    throw;
  } catch (const ConfigError&) {
    throw;
  } catch (const std::exception& e) {
    Row failed{"fetch", "none"};
    failed.error = e.what();
    rows.push_back(std::move(failed));
  }
  for (const Row& row : rows) out.push_back(row.to_json(server, options.jobs));
  return out;
}

}  // namespace hellobench
