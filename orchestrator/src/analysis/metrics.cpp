#include "analysis/metrics.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>

namespace hellobench {

using nlohmann::json;

namespace {

std::optional<double> number_at(const json& row, const char* pointer) {
  const json::json_pointer p(pointer);
  if (!row.contains(p)) return std::nullopt;
  const json& v = row.at(p);
  if (!v.is_number()) return std::nullopt;
  const double x = v.get<double>();
  return std::isfinite(x) ? std::optional<double>(x) : std::nullopt;
}

// The stack's share of the latency (CLAIMS.md io-bound): the time a request spent beyond the
// wait it asked for, as a share of its whole latency, over every request of the window (ratio of
// the means, which is the share of the summed time).
std::optional<double> overhead_share(const json& row) {
  const auto overhead = number_at(row, "/overhead_us/mean");
  const auto latency = number_at(row, "/latency_us/mean");
  if (!overhead || !latency || *latency <= 0) return std::nullopt;
  return *overhead / *latency;
}

// The same share at the 95th percentile: p95 overhead over p95 latency.
std::optional<double> overhead_share_p95(const json& row) {
  const auto overhead = number_at(row, "/overhead_us/p95");
  const auto latency = number_at(row, "/latency_us/p95");
  if (!overhead || !latency || *latency <= 0) return std::nullopt;
  return *overhead / *latency;
}

constexpr double kMiB = 1.0 / 1024;  // KiB -> MiB
constexpr double kMs = 1e-3;         // us -> ms

}  // namespace

const char* to_string(MetricSource source) {
  switch (source) {
    case MetricSource::trials: return "trials";
    case MetricSource::capacity: return "capacity";
    case MetricSource::builds: return "builds";
    case MetricSource::binaries: return "binaries";
    case MetricSource::microbenchmarks: return "microbenchmarks";
    case MetricSource::sources: return "sources";
  }
  return "?";
}

std::optional<MetricSource> metric_source_from_string(const std::string& name) {
  for (MetricSource s : {MetricSource::trials, MetricSource::capacity, MetricSource::builds,
                         MetricSource::binaries, MetricSource::microbenchmarks,
                         MetricSource::sources}) {
    if (name == to_string(s)) return s;
  }
  return std::nullopt;
}

const std::vector<Metric>& metrics() {
  using S = MetricSource;
  static const std::vector<Metric> all = {
      // name, source, pointer, label, unit, scale, lower_is_better, needs_server_bound, text
      {"rps", S::trials, "/rps", "req/s", "req/s", 1, false, true,
       "answered requests per second over the window"},
      {"p50_us", S::trials, "/latency_us/p50", "p50 ms", "ms", kMs, true, true,
       "median latency (open loop: from each request's due time)"},
      {"p90_us", S::trials, "/latency_us/p90", "p90 ms", "ms", kMs, true, true, "90th percentile"},
      {"p95_us", S::trials, "/latency_us/p95", "p95 ms", "ms", kMs, true, true, "95th percentile"},
      {"p99_us", S::trials, "/latency_us/p99", "p99 ms", "ms", kMs, true, true, "99th percentile"},
      {"p999_us", S::trials, "/latency_us/p999", "p99.9 ms", "ms", kMs, true, true,
       "99.9th percentile"},
      {"max_us", S::trials, "/latency_us/max", "max ms", "ms", kMs, true, true, "slowest request"},
      {"overhead_p50_us", S::trials, "/overhead_us/p50", "overhead p50 ms", "ms", kMs, true, true,
       "median of latency minus the wait each request asked for (the stack's share)"},
      {"overhead_p95_us", S::trials, "/overhead_us/p95", "overhead p95 ms", "ms", kMs, true, true,
       "95th percentile of latency minus the requested wait"},
      {"overhead_p99_us", S::trials, "/overhead_us/p99", "overhead p99 ms", "ms", kMs, true, true,
       "99th percentile of latency minus the requested wait"},
      {"overhead_share", S::trials, "", "stack share", "share", 1, true, true,
       "mean overhead / mean latency: the stack's share of the time requests took",
       &overhead_share},
      {"overhead_share_p95", S::trials, "", "stack share p95", "share", 1, true, true,
       "p95 overhead / p95 latency", &overhead_share_p95},
      {"cpu_us_per_request", S::trials, "/cpu_us_per_request", "CPU us/req", "us", 1, true, false,
       "server CPU time (task clock, all threads) per answered request"},
      {"cpu_share", S::trials, "/server_cpu_share", "server CPU", "share", 1, true, false,
       "server CPU time over the window, as a share of its CPU set"},
      {"cpu_seconds", S::trials, "/cpu_seconds", "CPU s", "s", 1, true, false,
       "server CPU time over the window"},
      {"loadgen_cpu_share", S::trials, "/loadgen_cpu_share", "loadgen CPU", "share", 1, true,
       false, "the generator's own CPU share of its CPU set"},
      {"generator_side_share", S::trials, "/generator_side_busy_share", "gen. side busy", "share",
       1, true, false, "busy share of the generator's CPU set (generator, orchestrator, kernel)"},
      {"rss_idle_kib", S::trials, "/rss_idle_kib", "idle RSS MiB", "MiB", kMiB, true, false,
       "VmRSS right after ready, before any load"},
      {"rss_mean_kib", S::trials, "/rss_mean_kib", "RSS mean MiB", "MiB", kMiB, true, false,
       "mean VmRSS over the window (sampled at 20 Hz)"},
      {"rss_peak_kib", S::trials, "/rss_peak_kib", "RSS peak MiB", "MiB", kMiB, true, false,
       "VmHWM: peak resident set since exec"},
      {"rss_anon_mean_kib", S::trials, "/rss_anon_mean_kib", "anon RSS MiB", "MiB", kMiB, true,
       false, "mean RssAnon over the window (heap and stacks, no file mappings)"},
      {"pss_kib", S::trials, "/pss_end_kib", "PSS MiB", "MiB", kMiB, true, false,
       "proportional set size at the window's end (smaps_rollup)"},
      {"startup_ms", S::trials, "/startup_ms", "startup ms", "ms", 1, true, false,
       "exec to the first 200 answer (includes building the live-data store)"},
      {"gc_cycles", S::trials, "/gc_cycles", "GC cycles", "count", 1, true, false,
       "garbage collections in the window (Go, from gctrace)"},
      {"server_cpus_other_share", S::trials, "/server_cpus_other_share", "other load", "share", 1,
       true, false, "CPU time on the server's CPUs spent by anything but the server"},
      {"capacity_rps", S::capacity, "/rate", "capacity req/s", "req/s", 1, false, false,
       "highest offered rate held with p99 under the sweep's bound (one core)"},
      {"build_s", S::builds, "/samples_s", "build s", "s", 1, true, false,
       "wall time of one build step sequence (a kind and loop of build)"},
      {"binary_bytes", S::binaries, "/binary/bytes", "binary MiB", "MiB", 1.0 / 1048576, true,
       false, "the server binary as built"},
      {"stripped_bytes", S::binaries, "/binary/stripped_bytes", "stripped MiB", "MiB",
       1.0 / 1048576, true, false, "the server binary after strip"},
      {"code_lines", S::sources, "/code_lines", "code lines", "lines", 1, true, false,
       "lines of code of the server's counted files (cloc: no blanks, no comments)"},
      {"json_ns_per_op", S::microbenchmarks, "/ns_per_op", "ns/op", "ns", 1, true, false,
       "one JSON parse or serialise in the language's own benchmark harness"},
      {"json_allocs_per_op", S::microbenchmarks, "/allocs_per_op", "allocs/op", "count", 1, true,
       false, "heap allocations per operation"},
      {"json_bytes_per_op", S::microbenchmarks, "/bytes_per_op", "B/op", "bytes", 1, true, false,
       "heap bytes allocated per operation"},
  };
  return all;
}

const Metric* find_metric(const std::string& name) {
  for (const Metric& m : metrics()) {
    if (name == m.name) return &m;
  }
  return nullptr;
}

std::string metric_names(MetricSource source) {
  std::vector<std::string> names;
  for (const Metric& m : metrics()) {
    if (m.source == source) names.emplace_back(m.name);
  }
  return fmt::format("{}", fmt::join(names, ", "));
}

std::optional<double> metric_value(const Metric& metric, const json& row) {
  std::optional<double> raw = metric.derive ? metric.derive(row) : number_at(row, metric.pointer);
  if (!raw) return std::nullopt;
  return *raw * metric.scale;
}

}  // namespace hellobench
