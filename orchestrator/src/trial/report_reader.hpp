// Reading a load generator's JSON report (wrk's Lua script, loadgen --json): every figure must be
// present, a number and non-negative, and an error names the generator and the field.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "trial/generator.hpp"

namespace hellobench {

struct ReportReader {
  std::string source;         // "wrk report", "loadgen output": the start of every error
  bool null_is_zero = false;  // wrk's script prints null for a NaN statistic of an empty histogram

  // obj[key]; `where` is the path of obj for the message ("latency_us.").
  double number(const nlohmann::json& obj, const char* key, const std::string& where) const;
  const nlohmann::json& object(const nlohmann::json& obj, const char* key) const;
  // report["latency_us"]: p50, p90, p95, p99, p999, max and mean, in microseconds.
  LatencyMicros latency(const nlohmann::json& report) const;
};

}  // namespace hellobench
