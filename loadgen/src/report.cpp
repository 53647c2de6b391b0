#include "loadgen/report.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

#include "loadgen/histogram_codec.hpp"
#include "loadgen/units.hpp"
#include "report_json.hpp"

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

using nlohmann::ordered_json;

std::string decimal(Histogram::uint128 value) {
  char digits[40];
  char* end = digits + sizeof digits;
  char* p = end;
  do {
    *--p = static_cast<char>('0' + static_cast<int>(value % 10));
    value /= 10;
  } while (value != 0);
  return std::string(p, end);
}

Histogram::uint128 parse_decimal(const std::string& text, const std::string& where) {
  if (text.empty() || text.size() > 39)
    throw std::invalid_argument(fmt::format("{}: '{}' is not a decimal integer", where, text));
  Histogram::uint128 value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9')
      throw std::invalid_argument(fmt::format("{}: '{}' is not a decimal integer", where, text));
    const Histogram::uint128 next = value * 10 + static_cast<unsigned>(c - '0');
    if (next / 10 != value)
      throw std::invalid_argument(fmt::format("{}: '{}' is too large", where, text));
    value = next;
  }
  return value;
}

}  // namespace

namespace detail {

// {p50, p90, p95, p99, p999, p9999, max, mean, stddev} in microseconds.
ordered_json percentiles_json(const Histogram& h) {
  ordered_json out;
  for (const auto& p : kPercentiles)
    out[p.json_name] = us(static_cast<double>(h.value_at_percentile(p.value)));
  out["max"] = us(static_cast<double>(h.max()));
  out["mean"] = us(h.mean());
  out["stddev"] = us(h.stddev());
  return out;
}

// The percentiles plus how many requests it covers and how many were clamped to 0.
ordered_json overhead_json(const Histogram& h, std::uint64_t clamped) {
  ordered_json out = percentiles_json(h);
  out["requests"] = h.total_count();
  out["clamped"] = clamped;
  return out;
}

ordered_json target_json(const TargetResult& t) {
  const ErrorCounts& e = t.errors;
  ordered_json out;
  out["name"] = t.name;
  out["weight"] = t.weight;
  out["method"] = t.method;
  out["path"] = t.path;
  out["requests"] = t.requests;
  out["errors"] = {{"read", e.read},   {"write", e.write},           {"timeout", e.timeout},
                   {"parse", e.parse}, {"status_4xx", e.status_4xx}, {"status_5xx", e.status_5xx}};
  out["latency_us"] = percentiles_json(t.latency_ns);
  out["overhead_us"] =
      t.has_overhead ? overhead_json(t.overhead_ns, t.overhead_clamped) : ordered_json(nullptr);
  out["latency_histogram"] = histogram_json(t.latency_ns);
  out["overhead_histogram"] =
      t.has_overhead ? histogram_json(t.overhead_ns) : ordered_json(nullptr);
  return out;
}

ordered_json histogram_json(const Histogram& h) {
  ordered_json out;
  out["encoding"] = kHistogramEncoding;
  out["unit"] = "ns";
  out["lowest_trackable"] = h.lowest_trackable();
  out["highest_trackable"] = h.highest_trackable();
  out["significant_figures"] = h.significant_figures();
  out["count"] = h.total_count();
  out["min"] = h.min();
  out["max"] = h.max();
  out["sum"] = decimal(h.sum());
  out["sum_of_squares"] = decimal(h.sum_of_squares());
  out["data"] = encode_histogram(h);
  return out;
}

Histogram histogram_from_json(const nlohmann::json& value, const std::string& where) {
  const auto field = [&](const char* name) -> const nlohmann::json& {
    const auto it = value.find(name);
    if (it == value.end()) throw std::invalid_argument(fmt::format("{}.{}: missing", where, name));
    return *it;
  };
  const auto integer = [&](const char* name) {
    const auto& f = field(name);
    if (!f.is_number_integer())
      throw std::invalid_argument(fmt::format("{}.{}: not an integer: {}", where, name, f.dump()));
    return f.get<std::int64_t>();
  };
  const auto text = [&](const char* name) {
    const auto& f = field(name);
    if (!f.is_string())
      throw std::invalid_argument(fmt::format("{}.{}: not a string: {}", where, name, f.dump()));
    return f.get<std::string>();
  };
  if (!value.is_object())
    throw std::invalid_argument(
        fmt::format("{}: missing or not an object (reports carry their "
                    "histograms since loadgen 0.1 with requests as data)",
                    where));
  if (text("encoding") != kHistogramEncoding)
    throw std::invalid_argument(
        fmt::format("{}.encoding: '{}' is not '{}'", where, text("encoding"), kHistogramEncoding));
  if (text("unit") != "ns")
    throw std::invalid_argument(fmt::format("{}.unit: '{}' is not 'ns'", where, text("unit")));
  Histogram h = [&] {
    try {
      return decode_histogram(text("data"));
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(fmt::format("{}.data: {}", where, e.what()));
    }
  }();
  if (h.lowest_trackable() != integer("lowest_trackable") ||
      h.highest_trackable() != integer("highest_trackable") ||
      h.significant_figures() != integer("significant_figures"))
    throw std::invalid_argument(
        fmt::format("{}: the layout fields disagree with the encoded histogram's", where));
  if (static_cast<std::int64_t>(h.total_count()) != integer("count"))
    throw std::invalid_argument(fmt::format("{}.count: {} but the encoded counts add up to {}",
                                            where, integer("count"), h.total_count()));
  try {
    h.restore_exact(integer("min"), integer("max"), parse_decimal(text("sum"), where + ".sum"),
                    parse_decimal(text("sum_of_squares"), where + ".sum_of_squares"));
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(fmt::format("{}: {}", where, e.what()));
  }
  return h;
}

ordered_json report_object(const RunResult& result, const Options& options) {
  const ordered_json latency = percentiles_json(result.latency_ns);

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
  out["seed"] = options.seed;
  ordered_json variables = ordered_json::object();
  for (const auto& v : options.variables) variables[v.name] = v.distribution.spec();
  out["variables"] = variables;
  out["overhead_us"] = result.has_overhead
                           ? overhead_json(result.overhead_ns, result.overhead_clamped)
                           : ordered_json(nullptr);
  out["targets_file"] =
      options.targets_file.empty() ? ordered_json(nullptr) : ordered_json(options.targets_file);
  if (result.targets.empty()) {
    out["targets"] = nullptr;
  } else {
    ordered_json targets = ordered_json::array();
    for (const auto& t : result.targets) targets.push_back(target_json(t));
    out["targets"] = targets;
  }
  out["latency_histogram"] = histogram_json(result.latency_ns);
  out["overhead_histogram"] =
      result.has_overhead ? histogram_json(result.overhead_ns) : ordered_json(nullptr);
  out["late_by_histogram"] = histogram_json(result.late_by_ns);
  out["engine"] = engine_name(result.engine);
  out["engine_fallback"] =
      result.engine_fallback.empty() ? ordered_json(nullptr) : ordered_json(result.engine_fallback);
  out["host"] = result.host;
  out["part"] = options.part_count > 1
                    ? ordered_json(fmt::format("{}/{}", options.part_index + 1, options.part_count))
                    : ordered_json(nullptr);
  out["start_at"] = result.start_at ? ordered_json(*result.start_at) : ordered_json(nullptr);
  out["start_late_ms"] =
      result.start_late_ms ? ordered_json(*result.start_late_ms) : ordered_json(nullptr);
  out["started_late"] = result.started_late;
  return out;
}

}  // namespace detail

std::string json_report(const RunResult& result, const Options& options) {
  return detail::report_object(result, options).dump() + "\n";
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
  line("  {} threads and {} connections{}, {} engine on {}", result.threads, result.connections,
       options.pipeline > 1 ? fmt::format(", pipeline {}", options.pipeline) : std::string(),
       engine_name(result.engine), result.host);
  if (!result.engine_fallback.empty()) line("  (not io_uring: {})", result.engine_fallback);
  if (result.start_late_ms)
    line("  Started {:.3f} ms after --start-at{}", *result.start_late_ms,
         result.started_late ? ": later than --max-start-late, not simultaneous" : "");
  line("  Latency ({}):", result.offered_rate ? "from each request's due time" : "from each send");
  line("    mean {}  stddev {}  max {}", format_duration_us(us(h.mean())),
       format_duration_us(us(h.stddev())), format_duration_us(us(static_cast<double>(h.max()))));
  for (const auto& p : kPercentiles)
    line("    {:>7} {}", p.label,
         format_duration_us(us(static_cast<double>(h.value_at_percentile(p.value)))));
  if (result.has_overhead) {
    const Histogram& o = result.overhead_ns;
    line("  Overhead (latency minus the {{wait}} asked for), {} requests:", o.total_count());
    line("    50% {}  99% {}  max {}  mean {}{}",
         format_duration_us(us(static_cast<double>(o.value_at_percentile(50)))),
         format_duration_us(us(static_cast<double>(o.value_at_percentile(99)))),
         format_duration_us(us(static_cast<double>(o.max()))), format_duration_us(us(o.mean())),
         result.overhead_clamped > 0 ? fmt::format(" ({} answered before their wait: counted as 0)",
                                                   result.overhead_clamped)
                                     : std::string());
  }
  for (const auto& t : result.targets)
    line("  {:<12} {:>9} requests, {} errors, p50 {}, p99 {}", t.name, t.requests, t.errors.total(),
         format_duration_us(us(static_cast<double>(t.latency_ns.value_at_percentile(50)))),
         format_duration_us(us(static_cast<double>(t.latency_ns.value_at_percentile(99)))));
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
  if (result.started_late) return 4;
  if (options.max_error_rate) return result.error_rate() > *options.max_error_rate ? 1 : 0;
  return (result.connects == 0 && result.connect_failures > 0) ? 1 : 0;
}

}  // namespace loadgen
