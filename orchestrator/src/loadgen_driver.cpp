// loadgen driver: command line and --json parsing (see loadgen_driver.hpp).
#include "loadgen_driver.hpp"

#include <fmt/core.h>

#include <nlohmann/json.hpp>

namespace hellobench::loadgen {
namespace {

using nlohmann::json;

double number_field(const json& obj, const char* key, const std::string& where) {
  const auto it = obj.find(key);
  if (it == obj.end()) {
    throw GeneratorError(fmt::format("loadgen output: field '{}{}' is missing", where, key));
  }
  if (!it->is_number()) {
    throw GeneratorError(
        fmt::format("loadgen output: field '{}{}' is not a number: {}", where, key, it->dump()));
  }
  const double value = it->get<double>();
  if (value < 0) {
    throw GeneratorError(
        fmt::format("loadgen output: field '{}{}' is negative: {}", where, key, value));
  }
  return value;
}

const json& object_field(const json& obj, const char* key) {
  const auto it = obj.find(key);
  if (it == obj.end() || !it->is_object()) {
    throw GeneratorError(
        fmt::format("loadgen output: field '{}' is missing or not an object", key));
  }
  return *it;
}

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
  result.requests = static_cast<std::uint64_t>(number_field(report, "requests", ""));
  result.duration_s = number_field(report, "duration_s", "");
  result.rps = number_field(report, "rps", "");

  const json& latency = object_field(report, "latency_us");
  auto& l = result.latency_us;
  l.p50 = number_field(latency, "p50", "latency_us.");
  l.p90 = number_field(latency, "p90", "latency_us.");
  l.p95 = number_field(latency, "p95", "latency_us.");
  l.p99 = number_field(latency, "p99", "latency_us.");
  l.p999 = number_field(latency, "p999", "latency_us.");
  l.max = number_field(latency, "max", "latency_us.");
  l.mean = number_field(latency, "mean", "latency_us.");
  result.extra["latency_p9999_us"] = number_field(latency, "p9999", "latency_us.");
  result.extra["latency_stddev_us"] = number_field(latency, "stddev", "latency_us.");

  const json& errors = object_field(report, "errors");
  for (const char* kind :
       {"connect", "read", "write", "timeout", "parse", "status_4xx", "status_5xx"}) {
    result.errors[kind] = static_cast<std::uint64_t>(number_field(errors, kind, "errors."));
  }

  result.extra["reconnects"] = number_field(report, "reconnects", "");
  result.extra["late_sends"] = number_field(report, "late_sends", "");
  result.extra["connections"] = number_field(report, "connections", "");
  // Requests that fell due but were never sent before the window closed (newer loadgen only).
  if (report.contains("unsent")) result.extra["unsent"] = number_field(report, "unsent", "");
  const auto offered = report.find("offered_rate");
  if (offered == report.end()) {
    throw GeneratorError("loadgen output: field 'offered_rate' is missing");
  }
  if (!offered->is_null()) result.extra["offered_rate"] = number_field(report, "offered_rate", "");
  return result;
}

}  // namespace hellobench::loadgen
