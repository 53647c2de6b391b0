#include "builds/services.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "analysis/stats.hpp"
#include "builds/builds.hpp"
#include "builds/container.hpp"
#include "builds/curves.hpp"
#include "builds/generator.hpp"
#include "core/errors.hpp"
#include "output/results.hpp"
#include "trial/environment.hpp"
#include "trial/launch.hpp"
#include "verify/http_client.hpp"

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

bool selected(const ServiceBuildOptions& options, const std::string& loop) {
  return std::find(options.loops.begin(), options.loops.end(), loop) != options.loops.end();
}

// A build sandbox: a copy of the generated service and a fresh build folder (fresh caches:
// the language's env points them into it).
struct Box {
  fs::path root, src, build_dir;
  std::map<std::string, std::string> vars;
  std::vector<std::pair<std::string, std::string>> env;
};

Box make_box(const ServiceLanguage& language, const fs::path& generated, const fs::path& root,
             int jobs) {
  Box box;
  box.root = root;
  fs::remove_all(root);
  box.src = root / "src";
  box.build_dir = root / "build";
  copy_source_tree(generated, box.src);
  fs::create_directories(box.build_dir);
  box.vars = {{"src", box.src.string()},
              {"build_dir", box.build_dir.string()},
              {"jobs", std::to_string(jobs)},
              {"out", (box.build_dir / "bin" / "hellosvc").string()}};
  for (const auto& [key, value] : language.env) box.env.emplace_back(key, expand(value, box.vars));
  return box;
}

struct Steps {
  double seconds = 0;
  std::vector<StepResult> results;
  const StepResult* failed() const {
    for (const StepResult& s : results) {
      if (!s.ok()) return &s;
    }
    return nullptr;
  }
  json to_json() const {
    json out = json::array();
    for (const StepResult& s : results) {
      out.push_back({{"argv", s.argv},
                     {"seconds", s.seconds},
                     {"exit_status", s.exit_status},
                     {"stderr_log", s.stderr_path.string()}});
    }
    return out;
  }
};

Steps run_commands(const std::vector<Argv>& commands, const Box& box, const fs::path& log_prefix) {
  Steps steps;
  int index = 0;
  for (const Argv& command : commands) {
    StepOptions options;
    options.working_dir = box.src;
    options.env = box.env;
    options.log_prefix = log_prefix.string() + "-" + std::to_string(++index);
    options.timeout = std::chrono::minutes(60);
    steps.results.push_back(run_step(expand(command, box.vars), options));
    steps.seconds += steps.results.back().seconds;
    if (!steps.results.back().ok()) break;
  }
  return steps;
}

std::string failure_text(const StepResult& step) {
  return fmt::format("`{}` exited with status {}; its last lines:\n{}", fmt::join(step.argv, " "),
                     step.exit_status, last_lines(step.stdout_path, step.stderr_path));
}

// One results row of a loop: (language, loop, size) with its samples.
struct LoopRow {
  std::string loop;
  std::string build_profile;
  std::vector<double> samples;
  json steps = json::array();
  std::optional<std::string> error;
  std::optional<std::string> skipped;
  json extra = json::object();  // binary sizes, image size
};

}  // namespace

std::string last_lines(const fs::path& stdout_path, const fs::path& stderr_path, int lines) {
  std::string text = stderr_path.empty() ? std::string() : read_text(stderr_path);
  const std::string out = stdout_path.empty() ? std::string() : read_text(stdout_path);
  // Compilers write errors to stderr, but go test and ctest report failures on stdout.
  if (text.find_first_not_of(" \n\t") == std::string::npos || out.find("FAIL") != std::string::npos) {
    text += out;
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  std::size_t start = text.size();
  for (int n = 0; n < lines && start > 0; ++n) {
    const std::size_t newline = text.rfind('\n', start - 1);
    if (newline == std::string::npos) {
      start = 0;
      break;
    }
    start = newline;
  }
  if (start < text.size() && text[start] == '\n') ++start;
  return text.substr(start);
}

int count_dependency_lines(const std::string& output, const std::string& match) {
  const std::regex pattern(match, std::regex::ECMAScript);
  std::set<std::string> seen;
  std::stringstream lines(output);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.ends_with(" (*)")) line.resize(line.size() - 4);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.pop_back();
    if (!line.empty() && std::regex_search(line, pattern)) seen.insert(line);
  }
  return static_cast<int>(seen.size());
}

std::string check_generated_service(const fs::path& binary, int size, const std::string& field,
                                    const fs::path& log_dir) {
  ServerConfig server;
  server.name = "hellosvc";
  server.binary = binary.string();
  server.run = {"{binary}", "--port", "{port}", "--threads", "{threads}", "--bind", "{bind}"};
  LaunchOptions launch;
  launch.log_dir = log_dir;
  launch.cpus = {};
  try {
    RunningServer running = launch_server(server, launch);
    auto get = [&](const std::string& target) {
      return http_exchange(running.host, running.port,
                           http_get(target, running.host, "Connection: close\r\n"),
                           std::chrono::seconds(5));
    };
    std::string problem;
    const HttpResponse health = get("/health");
    if (health.status != 200 || health.body.find("\"ok\"") == std::string::npos) {
      problem = fmt::format("GET /health answered {} {}", health.status, health.body);
    }
    for (int i = 1; problem.empty() && !field.empty() && i <= size; ++i) {
      const std::string target = "/" + module_name(i) + "/sample";
      const HttpResponse sample = get(target);
      // The shared record sits inside every module's record: the field must be in each.
      if (sample.status != 200 || sample.body.find("\"" + field + "\"") == std::string::npos) {
        problem = fmt::format("after the edit, GET {} has no \"{}\": {} {}", target, field,
                              sample.status, sample.body.substr(0, 300));
      }
    }
    running.process.terminate(std::chrono::seconds(2));
    return problem;
  } catch (const std::exception& e) {
    return fmt::format("could not start the service: {}", e.what());
  }
}

namespace {

// The field name the edit adds: the first identifier-like token of the inserted line that
// looks like snake_case JSON (`extra_field`), read from the line's JSON tag or field name.
std::string edited_field(const FieldEdit& edit) {
  static const std::regex name(R"(([a-z]+_[a-z_]+))");
  std::smatch m;
  if (std::regex_search(edit.line, m, name)) return m[1];
  return "";
}

struct SizeContext {
  const ServiceLanguage* language = nullptr;
  int size = 0;
  fs::path generated;
  fs::path work;
  long lines_of_code = 0;
  std::optional<int> dependencies;
};

void run_native(const SizeContext& c, const ServiceBuildOptions& options, int sample,
                std::map<std::string, LoopRow>& rows, json& service, bool first_sample) {
  const ServiceLanguage& language = *c.language;
  LoopRow sink;  // the untimed builds a selected loop needs, when their own loop is not selected
  auto row = [&](const std::string& loop) -> LoopRow& {
    const auto it = rows.find(loop);
    if (it != rows.end()) return it->second;
    sink = LoopRow{};
    return sink;
  };
  const Box box = make_box(language, c.generated, c.work / fmt::format("native-{}", sample),
                           options.jobs);
  const fs::path log = options.log_dir / fmt::format("{}-{}-native-{}", language.name, c.size,
                                                     sample);
  auto note = [&](const std::string& loop) {
    if (options.on_step) {
      options.on_step(fmt::format("{} {} modules: {} #{}", language.name, c.size, loop, sample));
    }
  };
  auto fail_rest = [&](const std::string& from, const std::string& why) {
    bool after = false;
    for (const std::string loop : {"native-clean", "native-noop", "native-incremental", "check"}) {
      if (loop == from) after = true;
      if (!after || !rows.count(loop) || loop == from) continue;
      if (!rows.at(loop).error) rows.at(loop).skipped = why;
    }
  };

  note("native-clean");
  std::vector<Argv> clean = language.configure;
  clean.insert(clean.end(), language.build.begin(), language.build.end());
  const Steps first = run_commands(clean, box, log.string() + "-clean");
  row("native-clean").steps = first.to_json();
  if (const StepResult* failed = first.failed()) {
    row("native-clean").error = failure_text(*failed);
    fail_rest("native-clean", "the clean build failed");
    service["builds"] = false;
    return;
  }
  row("native-clean").samples.push_back(first.seconds);
  const fs::path binary = expand(language.binary, box.vars);
  if (first_sample) {
    service["builds"] = true;
    if (!language.dependencies.empty()) {
      StepOptions deps;
      deps.working_dir = box.src;
      deps.env = box.env;
      deps.log_prefix = log.string() + "-dependencies";
      const StepResult listed = run_step(expand(language.dependencies, box.vars), deps);
      if (listed.ok()) {
        service["dependencies"] =
            count_dependency_lines(read_text(listed.stdout_path), language.dependencies_match);
      } else {
        service["dependencies_error"] = failure_text(listed);
      }
    }
    const std::string health =
        check_generated_service(binary, c.size, "", log.string() + "-health");
    service["answers_health"] = health.empty();
    if (!health.empty()) service["health_error"] = health;
  }

  note("native-noop");
  const Steps noop = run_commands(language.build, box, log.string() + "-noop");
  row("native-noop").steps = noop.to_json();
  if (const StepResult* failed = noop.failed()) {
    row("native-noop").error = failure_text(*failed);
    fail_rest("native-noop", "the no-op build failed");
    return;
  }
  row("native-noop").samples.push_back(noop.seconds);

  if (!rows.count("native-incremental") && !rows.count("check")) {
    if (!options.keep_scratch) fs::remove_all(box.root);
    return;
  }
  const bool check = rows.count("check") && !language.check.empty();
  if (check) {
    // Warm: an editor has checked the tree before the edit.
    note("check (warm-up, not timed)");
    const Steps warm = run_commands(language.check, box, log.string() + "-check-warm");
    if (const StepResult* failed = warm.failed()) {
      row("check").error = failure_text(*failed);
    }
  }

  note("native-incremental");
  apply_field_edit(box.src, language.edit);
  const Steps incremental = run_commands(language.build, box, log.string() + "-incremental");
  row("native-incremental").steps = incremental.to_json();
  if (const StepResult* failed = incremental.failed()) {
    row("native-incremental").error = failure_text(*failed);
    fail_rest("native-incremental", "the incremental build failed");
    return;
  }
  row("native-incremental").samples.push_back(incremental.seconds);
  if (first_sample) {
    const std::string field = edited_field(language.edit);
    const std::string problem =
        check_generated_service(binary, c.size, field, log.string() + "-edited");
    service["edit_visible"] = problem.empty();
    if (!problem.empty()) {
      service["edit_error"] = problem;
      row("native-incremental").error = problem;
    }
  }

  if (check && !row("check").error) {
    note("check");
    const Steps checked = run_commands(language.check, box, log.string() + "-check");
    row("check").steps = checked.to_json();
    if (const StepResult* failed = checked.failed()) {
      row("check").error = failure_text(*failed);
    } else {
      row("check").samples.push_back(checked.seconds);
    }
  }
  if (!options.keep_scratch) fs::remove_all(box.root);
}

void run_ci(const SizeContext& c, const ServiceBuildOptions& options, int sample, LoopRow& row,
            json& service, bool first_sample) {
  const ServiceLanguage& language = *c.language;
  if (options.on_step) {
    options.on_step(fmt::format("{} {} modules: ci #{}", language.name, c.size, sample));
  }
  const Box box = make_box(language, c.generated, c.work / fmt::format("ci-{}", sample),
                           options.jobs);
  const fs::path log = options.log_dir / fmt::format("{}-{}-ci-{}", language.name, c.size, sample);
  std::vector<Argv> build = language.release_configure;
  build.insert(build.end(), language.release_build.begin(), language.release_build.end());
  const Steps built = run_commands(build, box, log.string() + "-build");
  json steps = built.to_json();
  if (const StepResult* failed = built.failed()) {
    row.error = failure_text(*failed);
    row.steps = steps;
    if (first_sample) service["builds"] = false;
    return;
  }
  const fs::path binary = expand(language.release_binary, box.vars);
  if (fs::exists(binary)) {
    const BinaryInfo info = inspect_binary(binary, box.root);
    row.extra["binary_bytes"] = info.bytes;
    row.extra["binary_stripped_bytes"] =
        info.stripped_bytes ? json(*info.stripped_bytes) : json(nullptr);
    row.extra["shared_libraries"] = info.shared_libraries;
    row.extra["static"] = info.is_static;
  }
  const Steps tested = run_commands(language.test, box, log.string() + "-test");
  for (const json& s : tested.to_json()) steps.push_back(s);
  row.steps = steps;
  if (const StepResult* failed = tested.failed()) {
    row.error = failure_text(*failed);
    if (first_sample) {
      service["tests_pass"] = false;
      service["tests_error"] = *row.error;
    }
    return;
  }
  if (first_sample) service["tests_pass"] = true;
  row.samples.push_back(built.seconds + tested.seconds);
  row.extra["build_s"] = built.seconds;
  row.extra["test_s"] = tested.seconds;
  if (!options.keep_scratch) fs::remove_all(box.root);
}

json row_json(const LoopRow& row, const SizeContext& c, int jobs) {
  json out = {{"server", c.language->name},
              {"service", "generated"},
              // `kind` tells these rows from the hello servers' (clean, incremental, ci...).
              {"kind", "generated"},
              {"loop", row.loop},
              {"build_profile", row.build_profile},
              {"size_modules", c.size},
              {"lines_of_code", c.lines_of_code},
              {"dependencies", c.dependencies ? json(*c.dependencies) : json(nullptr)},
              {"jobs", jobs},
              {"samples_s", row.samples},
              {"n", row.samples.size()},
              {"median_s", row.samples.empty() ? json(nullptr) : json(stats::median(row.samples))},
              // A skipped loop is not a failure: ok, no samples, and the reason.
              {"ok", !row.error.has_value()},
              {"error", row.error ? json(*row.error) : json(nullptr)},
              {"skipped", row.skipped && !row.error ? json(*row.skipped) : json(nullptr)},
              {"steps", row.steps}};
  for (const auto& [key, value] : row.extra.items()) out[key] = value;
  return out;
}

std::string loop_profile(const std::string& loop, const ServiceLanguage& language) {
  if (loop == "ci") return "release";
  if (loop.starts_with("container-")) {
    const auto it = language.container_args.find("PROFILE");
    return it == language.container_args.end() ? "release" : it->second;
  }
  return "dev";
}

}  // namespace

ServiceBuildOutcome time_service_builds(const ServicesConfig& services,
                                        const std::vector<const ServiceLanguage*>& languages,
                                        const ServiceBuildOptions& options) {
  ServiceBuildOutcome outcome;
  fs::create_directories(options.log_dir);
  fs::create_directories(options.scratch_root);
  for (const ServiceLanguage* language : languages) {
    for (const Argv* argv : {&language->dependencies}) {
      if (!argv->empty() && !find_program(argv->front())) {
        throw MissingToolError(fmt::format("services.language '{}': '{}' not found", language->name,
                                           argv->front()));
      }
    }
  }
  const bool containers = std::any_of(options.loops.begin(), options.loops.end(),
                                      [](const std::string& l) { return l.starts_with("container-"); });
  ContainerEngine engine;
  if (containers) {
    if (options.on_step) options.on_step("container engine: checking, making stand-in images");
    engine = prepare_container_engine(services, options.scratch_root / "images",
                                      options.log_dir / "container-setup");
    outcome.container = {{"engine", engine.engine},
                         {"build_options", engine.build_options},
                         {"usable", engine.usable},
                         {"why_not", engine.usable ? json(nullptr) : json(engine.why_not)},
                         {"images_made", engine.made}};
  }

  // Size by size; at each size every language is prepared (generated, counted, dependencies
  // fetched), then the samples run in rounds, each language once per round (A B A B ...), so
  // that drift of the machine hits every language alike and round i's values pair up
  // (MEASUREMENT.md 10 and 12: the claims take the ratio of round i's values).
  struct Prepared {
    SizeContext c;
    json service;
    std::map<std::string, LoopRow> rows;
    bool fetched = false;
  };
  for (const int size : options.sizes) {
    std::vector<Prepared> prepared;
    prepared.reserve(languages.size());
    for (const ServiceLanguage* language : languages) {
      Prepared& p = prepared.emplace_back();
      SizeContext& c = p.c;
      c.language = language;
      c.size = size;
      c.work = options.scratch_root / fmt::format("{}-{}", language->name, size);
      c.generated = c.work / "generated";
      fs::remove_all(c.work);
      p.service = {{"server", language->name}, {"size_modules", size}};
      if (options.on_step) {
        options.on_step(fmt::format("{} {} modules: generating", language->name, size));
      }
      p.service["files"] = generate_service(language->template_dir, c.generated, size);
      const LineCount lines = count_lines(c.generated);
      c.lines_of_code = lines.code_in(language->cloc_languages);
      p.service["lines_of_code"] = c.lines_of_code;
      p.service["lines_by_language"] = lines.code_by_language;

      for (const std::string& loop : service_loop_kinds()) {
        if (!selected(options, loop)) continue;
        p.rows[loop].loop = loop;
        p.rows[loop].build_profile = loop_profile(loop, *language);
      }
      if (p.rows.count("check") && language->check.empty()) {
        p.rows["check"].skipped = fmt::format(
            "{} has no check command (services.language '{}'.check is empty)", language->name,
            language->name);
      }

      // Dependencies are downloaded into the shared caches first, so no timed build downloads.
      const Box fetch_box = make_box(*language, c.generated, c.work / "fetch", options.jobs);
      const Steps fetched = run_commands(
          language->fetch, fetch_box,
          options.log_dir / fmt::format("{}-{}-fetch", language->name, size));
      if (!options.keep_scratch) fs::remove_all(fetch_box.root);
      if (const StepResult* failed = fetched.failed()) {
        for (auto& [loop, row] : p.rows) row.error = "fetching dependencies failed: " + failure_text(*failed);
      } else {
        p.fetched = true;
      }
    }

    for (int sample = 1; sample <= options.repetitions; ++sample) {
      for (Prepared& p : prepared) {
        if (!p.fetched) continue;
        SizeContext& c = p.c;
        auto& rows = p.rows;
        const ServiceLanguage* language = c.language;
        const bool native = rows.count("native-clean") || rows.count("native-noop") ||
                            rows.count("native-incremental") || rows.count("check");
        if (native) run_native(c, options, sample, rows, p.service, sample == 1);
        if (rows.count("ci")) run_ci(c, options, sample, rows["ci"], p.service, sample == 1);
        if (p.service.contains("dependencies")) c.dependencies = p.service["dependencies"].get<int>();
        for (auto& [loop, row] : rows) {
          if (!loop.starts_with("container-") || row.error || row.skipped) continue;
          if (!engine.usable) {
            row.skipped = "the container engine cannot run here: " + engine.why_not;
            continue;
          }
          if (options.on_step) {
            options.on_step(
                fmt::format("{} {} modules: {} #{}", language->name, size, loop, sample));
          }
          const std::string cache_id =
              fmt::format("hellobench-{}-{}-{}-{}", ::getpid(), language->name, size, sample);
          const ContainerTiming timed = time_container_loop(
              engine, *language, c.generated, loop, options.jobs,
              c.work / fmt::format("{}-{}", loop, sample),
              options.log_dir / fmt::format("{}-{}-{}-{}", language->name, size, loop, sample),
              cache_id);
          row.steps = timed.steps;
          if (!timed.ok) {
            row.error = timed.error;
            continue;
          }
          row.samples.push_back(timed.seconds);
          if (timed.image_bytes) row.extra["image_bytes"] = *timed.image_bytes;
        }
        if (containers && engine.usable) prune_container_builds(engine, options.log_dir);
      }
    }

    for (Prepared& p : prepared) {
      for (auto& [loop, row] : p.rows) {
        (void)loop;
        if (row.error) {
          outcome.failures.push_back(fmt::format("build {} {} at {} modules: {}",
                                                 p.c.language->name, row.loop, size,
                                                 first_line(*row.error)));
        }
      }
      for (const std::string& loop : service_loop_kinds()) {
        if (p.rows.count(loop)) outcome.rows.push_back(row_json(p.rows[loop], p.c, options.jobs));
      }
      outcome.services.push_back(p.service);
      if (!options.keep_scratch) fs::remove_all(p.c.work);
    }
  }
  return outcome;
}

void run_service_builds(const Config& config, const std::vector<std::string>& server_names,
                        const std::vector<int>& sizes, const std::vector<std::string>& loops,
                        int repetitions, int jobs, const fs::path& run_dir, const fs::path& scratch,
                        bool keep_scratch, const fs::path& bin_dir, Progress& progress, json& doc) {
  std::vector<const ServiceLanguage*> languages;
  for (const ServiceLanguage& l : config.services.languages) {
    if (server_names.empty() ||
        std::find(server_names.begin(), server_names.end(), l.name) != server_names.end()) {
      languages.push_back(&l);
    }
  }
  if (languages.empty() || sizes.empty() || loops.empty()) return;
  ServiceBuildOptions options;
  options.sizes = sizes;
  options.loops = loops;
  options.repetitions = repetitions;
  options.jobs = jobs;
  options.scratch_root = scratch / "services";
  options.log_dir = run_dir / "logs" / "services";
  options.keep_scratch = keep_scratch;
  int step = 0;
  const int total = static_cast<int>(languages.size() * sizes.size()) *
                    (static_cast<int>(loops.size()) * repetitions + 1);
  progress.begin("service builds", total);
  options.on_step = [&](const std::string& what) { progress.step(std::min(++step, total), what); };
  if (!doc.contains("services") || !doc["services"].is_array()) doc["services"] = json::array();
  bool containers_ran = false;
  ContainerEngine engine;
  // Size by size, every language at one size before the next (in rounds, see
  // time_service_builds): a long curve stopped part way (Ctrl-C, a CI time limit) keeps whole
  // sizes of all languages, saved after each one.
  for (const int size : sizes) {
    ServiceBuildOptions one = options;
    one.sizes = {size};
    const ServiceBuildOutcome outcome = time_service_builds(config.services, languages, one);
    for (const json& row : outcome.rows) doc["builds"].push_back(row);
    for (const json& s : outcome.services) doc["services"].push_back(s);
    for (const std::string& f : outcome.failures) {
      progress.note(f);
      doc["failures"].push_back(f);
    }
    if (!outcome.container.empty()) {
      json made = doc.contains("container") ? doc["container"].value("images_made", json::array())
                                            : json::array();
      for (const json& image : outcome.container["images_made"]) made.push_back(image);
      doc["container"] = outcome.container;
      doc["container"]["images_made"] = made;
      containers_ran = outcome.container.value("usable", false);
    }
    mark_largest_sizes(doc["builds"]);
    write_file_atomic(run_dir / "results.json", doc.dump(2) + "\n");
  }
  // The smallest runnable image of each server the run built or measured (binary claim).
  if (containers_ran) {
    engine.engine = config.services.engine;
    engine.build_options = config.services.build_options;
    engine.usable = true;
    json images = json::array();
    for (const ServerConfig& server : config.servers) {
      if (!server_names.empty() &&
          std::find(server_names.begin(), server_names.end(), server.name) == server_names.end()) {
        continue;
      }
      const fs::path binary = server_binary(server, bin_dir);
      if (!fs::exists(binary)) continue;
      progress.note(fmt::format("smallest image of the {} server", server.name));
      images.push_back(smallest_image(engine, server.name, binary,
                                      options.scratch_root / ("image-" + server.name),
                                      options.log_dir / "images"));
    }
    doc["images"] = images;
  }
  progress.end();
}

}  // namespace hellobench
