// loadgen driver: command line and --json parsing (see loadgen_driver.hpp).
#include "trial/loadgen_driver.hpp"

#include <fmt/core.h>

#include <nlohmann/json.hpp>

#include "trial/report_reader.hpp"

namespace hellobench::loadgen {
namespace {

using nlohmann::json;

const ReportReader kReader{"loadgen output", false};

}  // namespace

std::vector<std::string> command_line(const LoadSpec& spec, const std::filesystem::path& program) {
  if (spec.url.empty()) throw GeneratorError("loadgen: url is empty");
  if (spec.connections < 1) {
    throw GeneratorError(
        fmt::format("loadgen: connections must be at least 1, got {}", spec.connections));
  }
  if (spec.threads < 1) {
    throw GeneratorError(fmt::format("loadgen: threads must be at least 1, got {}", spec.threads));
  }
  if (spec.duration.count() <= 0) {
    throw GeneratorError(
        fmt::format("loadgen: duration must be positive, got {} ms", spec.duration.count()));
  }
  if (spec.timeout.count() <= 0) {
    throw GeneratorError(
        fmt::format("loadgen: timeout must be positive, got {} ms", spec.timeout.count()));
  }
  std::vector<std::string> argv = {program.string(),
                                   spec.url,
                                   "-c",
                                   std::to_string(spec.connections),
                                   "-t",
                                   std::to_string(spec.threads),
                                   "-d",
                                   fmt::format("{}ms", spec.duration.count()),
                                   "--timeout",
                                   fmt::format("{}ms", spec.timeout.count())};
  if (spec.rate) {
    if (!(*spec.rate > 0)) {
      throw GeneratorError(fmt::format("loadgen: rate must be positive, got {}", *spec.rate));
    }
    argv.push_back("--rate");
    argv.push_back(fmt::format("{}", *spec.rate));  // shortest exact form: 10000, 2500.5
  }
  if (spec.method != "GET") {
    argv.push_back("-m");
    argv.push_back(spec.method);
  }
  for (const std::string& header : spec.headers) {
    argv.push_back("-H");
    argv.push_back(header);
  }
  if (!spec.body_file.empty()) {
    argv.push_back("--body");
    argv.push_back(spec.body_file.string());
  }
  if (!spec.targets_file.empty()) {
    argv.push_back("--targets");
    argv.push_back(spec.targets_file.string());
  }
  for (const auto& [name, distribution] : spec.draws) {
    // {wait} has its own flag: it is the draw overhead_us subtracts.
    if (name == "wait" || name == "id") {
      argv.push_back("--" + name);
      argv.push_back(distribution);
    } else {
      argv.push_back("--var");
      argv.push_back(name + "=" + distribution);
    }
  }
  if (!spec.draws.empty() || !spec.targets_file.empty()) {
    argv.push_back("--seed");
    argv.push_back(std::to_string(spec.seed));
  }
  argv.push_back("--json");
  return argv;
}

LoadResult parse_output(const std::string& stdout_text) {
  // --json prints one object; anything around it (a stray log line) is tolerated.
  const auto open = stdout_text.find('{');
  const auto close = stdout_text.rfind('}');
  if (open == std::string::npos || close == std::string::npos || close < open) {
    throw GeneratorError("loadgen output: no JSON object found");
  }
  json report;
  try {
    report = json::parse(stdout_text.substr(open, close - open + 1));
  } catch (const json::parse_error& e) {
    throw GeneratorError(fmt::format("loadgen output: not valid JSON: {}", e.what()));
  }

  LoadResult result;
  result.raw_output = stdout_text;
  result.requests = static_cast<std::uint64_t>(kReader.number(report, "requests", ""));
  result.duration_s = kReader.number(report, "duration_s", "");
  result.rps = kReader.number(report, "rps", "");

  result.latency_us = kReader.latency(report);
  const json& latency = kReader.object(report, "latency_us");
  result.extra["latency_p9999_us"] = kReader.number(latency, "p9999", "latency_us.");
  result.extra["latency_stddev_us"] = kReader.number(latency, "stddev", "latency_us.");

  const json& errors = kReader.object(report, "errors");
  for (const char* kind :
       {"connect", "read", "write", "timeout", "parse", "status_4xx", "status_5xx"}) {
    result.errors[kind] = static_cast<std::uint64_t>(kReader.number(errors, kind, "errors."));
  }

  result.extra["reconnects"] = kReader.number(report, "reconnects", "");
  result.extra["late_sends"] = kReader.number(report, "late_sends", "");
  result.extra["connections"] = kReader.number(report, "connections", "");
  // Requests that fell due but were never sent before the window closed (newer loadgen only).
  if (report.contains("unsent")) result.extra["unsent"] = kReader.number(report, "unsent", "");
  const auto offered = report.find("offered_rate");
  if (offered == report.end()) {
    throw GeneratorError("loadgen output: field 'offered_rate' is missing");
  }
  if (!offered->is_null()) result.extra["offered_rate"] = kReader.number(report, "offered_rate", "");
  if (const auto overhead = report.find("overhead_us");
      overhead != report.end() && overhead->is_object()) {
    json wrapped = {{"latency_us", *overhead}};
    result.overhead_us = kReader.latency(wrapped);
  }
  if (const auto targets = report.find("targets"); targets != report.end()) {
    result.targets_json = targets->dump();
  }
  return result;
}

}  // namespace hellobench::loadgen
