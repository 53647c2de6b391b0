#include "loadgen/options.hpp"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <sstream>

#include "loadgen/requests.hpp"
#include "loadgen/units.hpp"

#ifndef LOADGEN_VERSION
#define LOADGEN_VERSION "0"
#endif

namespace loadgen {
namespace {

// Runs parse(text) and turns its std::invalid_argument into a UsageError naming the flag.
template <typename F>
auto parse_flag(const std::string& flag, const std::string& text, F parse) {
  try {
    return parse(text);
  } catch (const std::invalid_argument& e) {
    throw UsageError(fmt::format("{}: {}", flag, e.what()));
  }
}

// A distribution given as `text` to `flag`; `offset` is where the spec starts in `text`
// (after "NAME=" for --var), so that positions count from what the user typed.
Variable parse_variable(const std::string& flag, std::string name, const std::string& text,
                        std::size_t offset) {
  const std::string_view spec = std::string_view(text).substr(offset);
  try {
    Variable variable{std::move(name), Distribution::parse(spec)};
    if (variable.name == "wait" && variable.distribution.unit() != Distribution::Unit::duration)
      throw SpecError(variable.distribution.first_value_position(),
                      "a wait is a duration: give units, e.g. uniform:80ms:150ms");
    return variable;
  } catch (const SpecError& e) {
    throw UsageError(format_spec_error(flag, text, SpecError(e.position() + offset, e.what())));
  }
}

}  // namespace

// `loadgen merge FILE...`
Command parse_merge_command(int argc, const char* const* argv) {
  CLI::App app{
      "loadgen merge: merges the --json reports of several loadgen processes or hosts into one "
      "report, exactly (counts add, histograms add bucket by bucket, percentiles are read "
      "again), and prints it as JSON.",
      "loadgen merge"};
  Command command;
  app.add_option("files", command.merge_files, "Reports written by loadgen --json")->required();
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    return Command{{}, app.help(), {}};
  } catch (const CLI::ParseError& e) {
    throw UsageError(fmt::format("merge: {}", e.what()));
  }
  return command;
}

Command parse_command_line(int argc, const char* const* argv) {
  if (argc >= 2 && std::string_view(argv[1]) == "merge")
    return parse_merge_command(argc - 1, argv + 1);
  CLI::App app{
      "loadgen: an HTTP/1.1 load generator with closed and open loop (fixed rate) modes and "
      "latency measured from when each request was due.",
      "loadgen"};
  app.set_version_flag("--version", "loadgen " LOADGEN_VERSION);
  std::string url_text, duration_text = "10s", warmup_text = "0s", timeout_text = "2s";
  std::string rate_text, max_error_rate_text;
  Options o;
  app.add_option("url", url_text, "Target, e.g. http://127.0.0.1:8080/user")->required();
  app.add_option("-c,--connections", o.connections, "Open connections in total (default 10)");
  app.add_option("-t,--threads", o.threads,
                 "Threads, one event loop each (default: CPUs available, at most one per "
                 "connection)");
  app.add_option("-d,--duration", duration_text, "Measured time, e.g. 10s, 500ms (default 10s)");
  app.add_option("--rate", rate_text,
                 "Open loop: total requests/s, e.g. 10k (default: closed loop)");
  app.add_option("--timeout", timeout_text,
                 "A request unanswered this long is a timeout (default 2s)");
  app.add_option("--warmup", warmup_text, "Unmeasured load before the measured time (default 0)");
  app.add_option("-H,--header", o.headers, "Extra request header 'Name: value' (repeatable)")
      ->allow_extra_args(false);  // one value per -H, so a URL after it stays the URL
  app.add_option("-m,--method", o.method, "Request method (default GET)");
  app.add_option("--body", o.body_file, "Request body: this file's bytes, with Content-Length");
  app.add_option("--targets", o.targets_file,
                 "A JSON file of weighted requests for a mix (see README); the URL then gives "
                 "only scheme, host and port");
  std::string wait_text, id_text;
  std::vector<std::string> var_texts;
  app.add_option("--wait", wait_text,
                 "Distribution of {wait} (rendered as integer ms), e.g. uniform:80ms:150ms, "
                 "lognormal:median=20ms,p95=40ms, const:100ms; adds overhead_us to the report");
  app.add_option("--id", id_text, "Distribution of {id}, e.g. uniform:0:102399 (inclusive)");
  app.add_option("--var", var_texts, "NAME=SPEC: distribution of {NAME} (repeatable)")
      ->allow_extra_args(false);
  app.add_option("--seed", o.seed,
                 "Seed of the per-request draws (default 1): same seed, same sequence");
  app.add_option("--pipeline", o.pipeline, "Requests in flight per connection (default 1)");
  app.add_flag("--json", o.json, "Print one JSON object instead of the readable report");
  app.add_option("--max-error-rate", max_error_rate_text,
                 "Exit 1 when errors exceed this share of attempts, e.g. 0.01 or 1% (default: "
                 "only when every connection is refused)");
  bool no_progress = false;
  app.add_flag("--no-progress", no_progress, "No progress line, even on a terminal");
  std::string engine_text, start_at_text, max_start_late_text = "100ms";
  app.add_option("--engine", engine_text,
                 "epoll (Boost.Asio) or uring (io_uring); default: uring when the kernel has "
                 "it, else epoll");
  app.add_option("--start-at", start_at_text,
                 "Begin at this wall-clock time, Unix epoch seconds (e.g. 1767225600.5), so "
                 "that generators on several hosts measure the same window");
  app.add_option("--max-start-late", max_start_late_text,
                 "With --start-at: a start later than this is marked in the report and exits 4 "
                 "(default 100ms)");
  std::string part_text;
  app.add_option("--part", part_text,
                 "I/N: this process is part I of N equal parts of one load on several hosts "
                 "(each with the same -c, -t and --rate, its share): draws and due times are "
                 "those of part I of one generator N times as large");
  app.add_option("--host-name", o.host_name,
                 "The name the report gives this host (default: the machine's host name)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    return Command{
        {},
        app.help() + "\nloadgen merge FILE...: merge --json reports (loadgen merge --help)\n",
        {}};
  } catch (const CLI::CallForVersion&) {
    return Command{{}, std::string("loadgen " LOADGEN_VERSION "\n"), {}};
  } catch (const CLI::ParseError& e) {
    throw UsageError(e.what());
  }

  o.url_text = url_text;
  o.url = parse_flag("URL", url_text, parse_url);
  if (o.connections < 1) throw UsageError("-c,--connections: must be at least 1");
  if (app.count("--threads") > 0 && o.threads < 1)
    throw UsageError("-t,--threads: must be at least 1");
  if (o.pipeline < 1 || o.pipeline > 1024) throw UsageError("--pipeline: must be in 1..1024");
  o.duration = parse_flag("-d,--duration", duration_text, parse_duration);
  if (o.duration.count() == 0) throw UsageError("-d,--duration: must be greater than 0");
  o.warmup = parse_flag("--warmup", warmup_text, parse_duration);
  o.timeout = parse_flag("--timeout", timeout_text, parse_duration);
  if (o.timeout < std::chrono::milliseconds(1)) throw UsageError("--timeout: must be at least 1ms");
  if (!rate_text.empty()) o.rate = parse_flag("--rate", rate_text, parse_rate);
  if (!max_error_rate_text.empty())
    o.max_error_rate = parse_flag("--max-error-rate", max_error_rate_text, parse_fraction);
  if (!is_token(o.method))
    throw UsageError(fmt::format("--method: '{}' is not a method token", o.method));
  for (const auto& header : o.headers)
    if (!is_header_line(header))
      throw UsageError(fmt::format("--header: '{}' is not 'Name: value'", header));

  if (!wait_text.empty()) o.variables.push_back(parse_variable("--wait", "wait", wait_text, 0));
  if (!id_text.empty()) o.variables.push_back(parse_variable("--id", "id", id_text, 0));
  for (const auto& text : var_texts) {
    const auto equals = text.find('=');
    const std::string name = text.substr(0, equals);
    if (equals == std::string::npos || !is_variable_name(name))
      throw UsageError(fmt::format(
          "--var: '{}' is not NAME=SPEC with NAME made of letters, digits and _", text));
    o.variables.push_back(parse_variable("--var", name, text, equals + 1));
  }
  for (std::size_t i = 0; i < o.variables.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (o.variables[i].name == o.variables[j].name)
        throw UsageError(fmt::format("--var: '{}' is given twice", o.variables[i].name));

  if (!o.body_file.empty()) {
    o.body = parse_flag("--body", o.body_file, read_file);
  }
  if (!o.targets_file.empty()) {
    if (app.count("--method") > 0)
      throw UsageError("--method: not with --targets (each request there has its method)");
    if (o.body) throw UsageError("--body: not with --targets (give body_file in the targets file)");
    o.targets = parse_flag("--targets", o.targets_file, load_targets_file);
  }
  o.progress = !no_progress;
  if (!engine_text.empty()) {
    if (engine_text == "epoll") {
      o.engine = Engine::epoll;
    } else if (engine_text == "uring" || engine_text == "io_uring") {
      o.engine = Engine::uring;
    } else {
      throw UsageError(fmt::format("--engine: '{}' is not epoll or uring", engine_text));
    }
  }
  if (!start_at_text.empty()) {
    std::size_t used = 0;
    double seconds = 0;
    try {
      seconds = std::stod(start_at_text, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != start_at_text.size() || !(seconds > 0) || !std::isfinite(seconds))
      throw UsageError(
          fmt::format("--start-at: '{}' is not a time in Unix epoch seconds (e.g. 1767225600.25)",
                      start_at_text));
    o.start_at = seconds;
  }
  o.max_start_late = parse_flag("--max-start-late", max_start_late_text, parse_duration);
  if (!part_text.empty()) {
    int index = 0, count = 0;
    char slash = 0, rest = 0;
    std::istringstream in(part_text);
    if (!(in >> index >> slash >> count) || slash != '/' || (in >> rest) || count < 1 ||
        index < 1 || index > count)
      throw UsageError(
          fmt::format("--part: '{}' is not I/N with 1 <= I <= N (e.g. 2/3)", part_text));
    o.part_index = index - 1;
    o.part_count = count;
  }
  build_request_set(o);  // throws UsageError for a placeholder without a variable, ...
  return Command{std::move(o), std::nullopt, {}};
}

const char* engine_name(Engine engine) { return engine == Engine::uring ? "uring" : "epoll"; }

std::string serialise_request(const Options& options) {
  return build_request_set(options).targets.front().request.text();
}

}  // namespace loadgen
