#include "loadgen/report.hpp"

#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "loadgen/units.hpp"

namespace loadgen {
namespace {

// Nanoseconds to microseconds, to the nanosecond.
double us(double ns) { return std::round(ns) / 1000.0; }

struct Percentile {
  const char* json_name;
  const char* label;
  double value;
};

constexpr Percentile kPercentiles[] = {
    {"p50", "50%", 50}, {"p90", "90%", 90},      {"p95", "95%", 95},
    {"p99", "99%", 99}, {"p999", "99.9%", 99.9}, {"p9999", "99.99%", 99.99},
};

std::string bytes_text(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int unit = 0;
  while (bytes >= 1024 && unit < 4) {
    bytes /= 1024;
    ++unit;
  }
  return fmt::format("{:.2f}{}", bytes, units[unit]);
}

}  // namespace

std::string json_report(const RunResult& result, const Options& options) {
  using nlohmann::ordered_json;
  const Histogram& h = result.latency_ns;
  ordered_json latency;
  for (const auto& p : kPercentiles)
    latency[p.json_name] = us(static_cast<double>(h.value_at_percentile(p.value)));
  latency["max"] = us(static_cast<double>(h.max()));
  latency["mean"] = us(h.mean());
  latency["stddev"] = us(h.stddev());

  const ErrorCounts& e = result.errors;
  ordered_json errors = {{"connect", e.connect},      {"read", e.read},
                         {"write", e.write},          {"timeout", e.timeout},
                         {"parse", e.parse},          {"status_4xx", e.status_4xx},
                         {"status_5xx", e.status_5xx}};

  const Histogram& late = result.late_by_ns;
  ordered_json late_by = {{"p50", us(static_cast<double>(late.value_at_percentile(50)))},
                          {"p99", us(static_cast<double>(late.value_at_percentile(99)))},
                          {"max", us(static_cast<double>(late.max()))},
                          {"mean", us(late.mean())}};

  ordered_json out;
  out["requests"] = result.requests;
  out["duration_s"] = result.duration_s;
  out["rps"] = result.rps;
  out["connections"] = result.connections;
  out["threads"] = result.threads;
  out["mode"] = result.offered_rate ? "open" : "closed";
  out["offered_rate"] =
      result.offered_rate ? ordered_json(*result.offered_rate) : ordered_json(nullptr);
  out["latency_us"] = latency;
  out["errors"] = errors;
  out["reconnects"] = result.reconnects;
  out["late_sends"] = result.late_sends;
  out["late_by_us"] = late_by;
  out["unsent"] = result.unsent;
  out["bytes_read"] = result.bytes_read;
  out["pipeline"] = options.pipeline;
  out["timeout_s"] = std::chrono::duration<double>(options.timeout).count();
  out["url"] = options.url_text;
  return out.dump() + "\n";
}

std::string text_report(const RunResult& result, const Options& options) {
  std::string out;
  auto line = [&out]<typename... Args>(fmt::format_string<Args...> format, Args&&... args) {
    out += fmt::format(format, std::forward<Args>(args)...);
    out += '\n';
  };
  const Histogram& h = result.latency_ns;
  if (result.offered_rate)
    line("Open loop at {:.0f} requests/s for {:.2f}s @ {}", *result.offered_rate, result.duration_s,
         options.url_text);
  else
    line("Closed loop for {:.2f}s @ {}", result.duration_s, options.url_text);
  line("  {} threads and {} connections{}", result.threads, result.connections,
       options.pipeline > 1 ? fmt::format(", pipeline {}", options.pipeline) : std::string());
  line("  Latency ({}):", result.offered_rate ? "from each request's due time" : "from each send");
  line("    mean {}  stddev {}  max {}", format_duration_us(us(h.mean())),
       format_duration_us(us(h.stddev())), format_duration_us(us(static_cast<double>(h.max()))));
  for (const auto& p : kPercentiles)
    line("    {:>7} {}", p.label,
         format_duration_us(us(static_cast<double>(h.value_at_percentile(p.value)))));
  line("  {} requests in {:.2f}s, {} read", result.requests, result.duration_s,
       bytes_text(static_cast<double>(result.bytes_read)));
  line("Requests/sec: {:.2f}", result.rps);
  const ErrorCounts& e = result.errors;
  if (e.total() > 0)
    line("Errors: connect {}, read {}, write {}, timeout {}, parse {}, status 4xx {}, 5xx {}",
         e.connect, e.read, e.write, e.timeout, e.parse, e.status_4xx, e.status_5xx);
  if (result.reconnects > 0) line("Reconnects: {}", result.reconnects);
  if (result.offered_rate) {
    const Histogram& late = result.late_by_ns;
    line("Late sends (over {}us after due): {}{}", kLateThreshold.count(), result.late_sends,
         result.late_sends > 0
             ? fmt::format(", late by mean {} max {}", format_duration_us(us(late.mean())),
                           format_duration_us(us(static_cast<double>(late.max()))))
             : std::string());
    if (result.unsent > 0)
      line("  of which never sent (no free connection by the end): {}", result.unsent);
  }
  return out;
}

int exit_code(const RunResult& result, const Options& options) {
  if (options.max_error_rate) return result.error_rate() > *options.max_error_rate ? 1 : 0;
  return (result.connects == 0 && result.connect_failures > 0) ? 1 : 0;
}

}  // namespace loadgen
