#include "builds/container.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "builds/builds.hpp"
#include "builds/services.hpp"
#include "core/errors.hpp"
#include "trial/environment.hpp"
#include "trial/process.hpp"

namespace hellobench {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

Argv with(Argv argv, std::initializer_list<std::string> more) {
  argv.insert(argv.end(), more.begin(), more.end());
  return argv;
}

StepResult run_logged(const Argv& argv, const fs::path& log_prefix,
                      std::chrono::milliseconds timeout = std::chrono::minutes(60),
                      const fs::path& working_dir = {}) {
  StepOptions options;
  options.log_prefix = log_prefix;
  options.timeout = timeout;
  options.working_dir = working_dir;
  return run_step(argv, options);
}

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

bool image_exists(const ContainerEngine& engine, const std::string& name, const fs::path& log) {
  return run_logged(with(engine.engine, {"image", "exists", name}), log, std::chrono::seconds(30))
      .ok();
}

std::optional<std::uintmax_t> image_size(const ContainerEngine& engine, const std::string& name,
                                         const fs::path& log) {
  const StepResult r = run_logged(
      with(engine.engine, {"image", "inspect", "--format", "{{.Size}}", name}), log,
      std::chrono::seconds(30));
  if (!r.ok()) return std::nullopt;
  try {
    return std::stoull(trimmed(read_text(r.stdout_path)));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::string step_error(const StepResult& step) {
  return fmt::format("`{}` exited with status {}; its last lines:\n{}", fmt::join(step.argv, " "),
                     step.exit_status, last_lines(step.stdout_path, step.stderr_path));
}

// Makes one missing stand-in image. Empty on success, else why it failed.
std::string make_image(const ContainerEngine& engine, const ContainerImage& image,
                       const fs::path& scratch, const fs::path& log_dir) {
  const std::string slug = std::regex_replace(image.name, std::regex("[^A-Za-z0-9]+"), "-");
  const fs::path log = log_dir / slug;
  if (!image.containerfile.empty()) {
    Argv argv = with(engine.engine, {"build"});
    argv.insert(argv.end(), engine.build_options.begin(), engine.build_options.end());
    argv = with(argv, {"-f", image.containerfile.string(), "-t", image.name,
                       image.containerfile.parent_path().string()});
    const StepResult built = run_logged(argv, log);
    return built.ok() ? "" : step_error(built);
  }
  if (!find_program("debootstrap")) {
    return fmt::format("'debootstrap' not found (needed to make {}): apt-get install debootstrap",
                       image.name);
  }
  const auto mirror = apt_mirror();
  if (!mirror) return "no apt mirror found in /etc/apt (needed by debootstrap)";
  const fs::path root = scratch / (slug + "-root");
  fs::remove_all(root);
  fs::create_directories(scratch);
  const StepResult strapped = run_logged(
      {"debootstrap", "--variant=minbase", image.debootstrap, root.string(), *mirror},
      log.string() + "-debootstrap");
  if (!strapped.ok()) {
    fs::remove_all(root);
    return step_error(strapped);
  }
  const fs::path tarball = scratch / (slug + ".tar");
  const StepResult packed = run_logged({"tar", "-C", root.string(), "-cf", tarball.string(), "."},
                                       log.string() + "-tar");
  fs::remove_all(root);
  if (!packed.ok()) return step_error(packed);
  const StepResult imported =
      run_logged(with(engine.engine, {"import", "--change", "CMD [\"/bin/bash\"]",
                                      tarball.string(), image.name}),
                 log.string() + "-import");
  fs::remove(tarball);
  return imported.ok() ? "" : step_error(imported);
}

}  // namespace

std::optional<std::string> apt_mirror(const fs::path& etc_apt) {
  std::vector<fs::path> files;
  std::error_code ec;
  if (fs::exists(etc_apt / "sources.list.d", ec)) {
    for (const auto& entry : fs::directory_iterator(etc_apt / "sources.list.d", ec)) {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  files.push_back(etc_apt / "sources.list");
  static const std::regex uris(R"(^URIs:\s*(\S+))");
  static const std::regex deb(R"(^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+))");
  for (const fs::path& file : files) {
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line)) {
      std::smatch m;
      // The main archive, not the security one (debootstrap needs the suite's own tree).
      if (std::regex_search(line, m, uris) && m[1].str().find("security") == std::string::npos) {
        return m[1].str();
      }
      if (std::regex_search(line, m, deb) && m[1].str().find("security") == std::string::npos) {
        return m[1].str();
      }
    }
  }
  return std::nullopt;
}

std::string container_variant(const std::string& loop) {
  return loop.starts_with("container-") ? loop.substr(10) : loop;
}

ContainerEngine prepare_container_engine(const ServicesConfig& services, const fs::path& scratch,
                                         const fs::path& log_dir) {
  ContainerEngine engine;
  engine.engine = services.engine;
  engine.build_options = services.build_options;
  fs::create_directories(log_dir);
  if (engine.engine.empty() || !find_program(engine.engine.front())) {
    engine.why_not = fmt::format("'{}' not found (apt-get install podman runc)",
                                 engine.engine.empty() ? "" : engine.engine.front());
    return engine;
  }
  const StepResult info = run_logged(with(engine.engine, {"info"}), log_dir / "info",
                                     std::chrono::seconds(60));
  if (!info.ok()) {
    engine.why_not = fmt::format("`{} info` failed: {}", fmt::join(engine.engine, " "),
                                 first_line(last_lines(info.stdout_path, info.stderr_path, 3)));
    return engine;
  }
  for (const ContainerImage& image : services.images) {
    if (image_exists(engine, image.name, log_dir / "exists")) continue;
    const std::string problem = make_image(engine, image, scratch, log_dir);
    if (!problem.empty()) {
      engine.why_not = fmt::format("making the stand-in image {} failed: {}", image.name, problem);
      return engine;
    }
    engine.made.push_back(image.name);
  }
  engine.usable = true;
  return engine;
}

ContainerTiming time_container_loop(const ContainerEngine& engine, const ServiceLanguage& language,
                                    const fs::path& generated, const std::string& loop, int jobs,
                                    const fs::path& work_dir, const fs::path& log_dir,
                                    const std::string& cache_id) {
  ContainerTiming timing;
  const std::string variant = container_variant(loop);
  const fs::path containerfile = language.containerfiles / (variant + ".Containerfile");
  if (!fs::exists(containerfile)) {
    timing.error = fmt::format("{} does not exist (services.language '{}'.containerfiles)",
                               containerfile.string(), language.name);
    return timing;
  }
  fs::remove_all(work_dir);
  const fs::path context = work_dir / "context";
  copy_source_tree(generated, context);
  fs::create_directories(log_dir);
  const std::string tag = fmt::format("localhost/{}-{}", cache_id, variant);
  Argv build = with(engine.engine, {"build"});
  build.insert(build.end(), engine.build_options.begin(), engine.build_options.end());
  build = with(build, {"-f", containerfile.string(), "-t", tag, "--build-arg",
                       fmt::format("JOBS={}", jobs), "--build-arg", "CACHE_ID=" + cache_id});
  for (const auto& [key, value] : language.container_args) {
    build = with(build, {"--build-arg", key + "=" + value});
  }
  for (const std::string& volume : language.container_volumes) build = with(build, {"-v", volume});
  build.push_back(context.string());

  auto record = [&](const StepResult& s, const std::string& what) {
    timing.steps.push_back({{"what", what},
                            {"argv", s.argv},
                            {"seconds", s.seconds},
                            {"exit_status", s.exit_status},
                            {"stderr_log", s.stderr_path.string()}});
  };
  if (variant != "plain") {
    const StepResult first = run_logged(build, log_dir / "first-build");
    record(first, "first build (not timed)");
    if (!first.ok()) {
      timing.error = step_error(first);
      return timing;
    }
  }
  apply_field_edit(context, language.edit);
  const StepResult rebuilt = run_logged(build, log_dir / "rebuild");
  record(rebuilt, "rebuild after the one-field edit (timed)");
  if (!rebuilt.ok()) {
    timing.error = step_error(rebuilt);
  } else {
    timing.ok = true;
    timing.seconds = rebuilt.seconds;
    timing.image_bytes = image_size(engine, tag, log_dir / "inspect");
  }
  run_logged(with(engine.engine, {"rmi", "-f", tag}), log_dir / "rmi", std::chrono::minutes(2));
  // Cache mounts live in buildah's cache folder, one folder per id: this build's go with it.
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/var/tmp/buildah-cache", ec)) {
    if (entry.path().filename().string().starts_with(cache_id)) fs::remove_all(entry.path(), ec);
  }
  fs::remove_all(work_dir, ec);
  return timing;
}

void prune_container_builds(const ContainerEngine& engine, const fs::path& log_dir) {
  run_logged(with(engine.engine, {"image", "prune", "-f"}), log_dir / "container-prune",
             std::chrono::minutes(5));
}

json smallest_image(const ContainerEngine& engine, const std::string& server,
                    const fs::path& binary, const fs::path& work_dir, const fs::path& log_dir) {
  json out = {{"server", server},    {"binary", binary.string()}, {"base", "scratch"},
              {"files", json::array()}, {"image_bytes", nullptr},  {"runs", false},
              {"error", nullptr}};
  fs::remove_all(work_dir);
  const fs::path rootfs = work_dir / "rootfs";
  fs::create_directories(rootfs);
  fs::create_directories(log_dir);
  std::error_code ec;
  fs::copy_file(binary, rootfs / "server", ec);
  if (ec) {
    out["error"] = fmt::format("cannot copy {}: {}", binary.string(), ec.message());
    return out;
  }
  out["files"].push_back("/server");
  // Every file ldd resolves ("libX => /path (0x..)", and the loader "/lib64/ld-... (0x..)"),
  // copied to the same path: nothing else goes into the image.
  static const std::regex resolved(R"((?:=>\s*)?(/\S+)\s+\(0x)");
  if (const auto ldd = capture_output({"ldd", binary.string()})) {
    std::stringstream lines(*ldd);
    std::string line;
    while (std::getline(lines, line)) {
      std::smatch m;
      if (!std::regex_search(line, m, resolved)) continue;
      const fs::path library = m[1].str();
      const fs::path target = rootfs / library.relative_path();
      fs::create_directories(target.parent_path());
      fs::copy_file(fs::canonical(library, ec), target, fs::copy_options::overwrite_existing, ec);
      if (!ec) out["files"].push_back(library.string());
    }
  }
  {
    std::ofstream file(work_dir / "Containerfile");
    file << "FROM scratch\nCOPY rootfs/ /\nENTRYPOINT [\"/server\"]\n";
  }
  const std::string tag = fmt::format("localhost/hellobench-smallest-{}:latest", server);
  Argv build = with(engine.engine, {"build"});
  build.insert(build.end(), engine.build_options.begin(), engine.build_options.end());
  build = with(build, {"-f", (work_dir / "Containerfile").string(), "-t", tag, work_dir.string()});
  const StepResult built = run_logged(build, log_dir / (server + "-image"));
  if (!built.ok()) {
    out["error"] = step_error(built);
    return out;
  }
  out["image"] = tag;
  if (const auto size = image_size(engine, tag, log_dir / (server + "-inspect"))) {
    out["image_bytes"] = *size;
  }
  // Runnable: it starts in the image and says it is listening.
  const std::string name = fmt::format("hellobench-smallest-{}-{}", server, ::getpid());
  ProcessSpec spec;
  // The build options hold what running needs too: host network, ulimits within the limits.
  spec.argv = with(engine.engine, {"run", "--rm", "--name", name});
  spec.argv.insert(spec.argv.end(), engine.build_options.begin(), engine.build_options.end());
  spec.argv = with(spec.argv, {tag, "--port", "0", "--bind", "127.0.0.1", "--threads", "1"});
  spec.stdout_path = log_dir / (server + "-run.stdout");
  spec.stderr_path = log_dir / (server + "-run.stderr");
  try {
    Process process = Process::spawn(spec);
    const auto line = process.wait_for_stdout_line("listening on", std::chrono::seconds(30));
    out["runs"] = line.has_value();
    if (!line) {
      out["error"] = fmt::format("the image did not print 'listening on' within 30 s: {}",
                                 last_lines({}, spec.stderr_path, 5));
    }
    run_logged(with(engine.engine, {"rm", "-f", name}), log_dir / (server + "-rm"),
               std::chrono::seconds(30));
    process.terminate(std::chrono::seconds(5));
  } catch (const std::exception& e) {
    out["error"] = fmt::format("could not run the image: {}", e.what());
  }
  run_logged(with(engine.engine, {"rmi", "-f", tag}), log_dir / (server + "-rmi"),
             std::chrono::minutes(2));
  return out;
}

}  // namespace hellobench
