// The metric registry: every figure hellobench reports, where it is read from, its unit and
// its label. The summary, the claims, compare, gate and the report all name metrics from here,
// so a figure is read the same way everywhere (one figure, computed once).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace hellobench {

// Where a metric lives in results.json.
enum class MetricSource {
  trials,           // a number per trial row (trials[])
  capacity,         // per sweep and server: the highest rate held (sweeps[].capacity)
  builds,           // per build row: samples in seconds (builds[])
  binaries,         // per server: exact file sizes (servers[])
  microbenchmarks,  // per language, payload and operation (microbenchmarks.rows[])
  sources,          // per server: lines of code of its counted files (sources[])
};
const char* to_string(MetricSource source);
std::optional<MetricSource> metric_source_from_string(const std::string& name);

struct Metric {
  const char* name;         // "cpu_us_per_request"
  MetricSource source;
  const char* pointer;      // JSON pointer into the row ("/latency_us/p99"); empty if derived
  const char* label;        // "CPU us/req" (tables)
  const char* unit;         // unit after `scale`: "us", "ms", "MiB", "req/s", "share", "s"
  double scale;             // multiply the stored value by this to get `unit`
  bool lower_is_better;
  // Throughput and latency figures from a trial where the load generator was the bottleneck
  // describe the generator, not the server: such trials are left out for these metrics.
  bool needs_server_bound;
  const char* description;  // one line, for the report's glossary
  // A derived metric: computed from the whole row (nullopt when the row lacks what it needs).
  std::optional<double> (*derive)(const nlohmann::json& row) = nullptr;
};

const std::vector<Metric>& metrics();
const Metric* find_metric(const std::string& name);
// Names of every metric of one source, for error messages: "cpu_us_per_request, rps, ...".
std::string metric_names(MetricSource source);

// The metric's value in one row, scaled to its unit; nullopt when absent, null or not finite.
std::optional<double> metric_value(const Metric& metric, const nlohmann::json& row);

}  // namespace hellobench
