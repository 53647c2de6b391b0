#include "loadgen/merge.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <optional>

#include "loadgen/engine.hpp"
#include "loadgen/targets.hpp"
#include "report_json.hpp"

namespace loadgen {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

constexpr const char* kErrorKinds[] = {"connect", "read",       "write",     "timeout",
                                       "parse",   "status_4xx", "status_5xx"};

std::uint64_t& error_count(ErrorCounts& e, std::string_view kind) {
  if (kind == "connect") return e.connect;
  if (kind == "read") return e.read;
  if (kind == "write") return e.write;
  if (kind == "timeout") return e.timeout;
  if (kind == "parse") return e.parse;
  if (kind == "status_4xx") return e.status_4xx;
  return e.status_5xx;
}

// One report, read back: its counts and histograms as a RunResult, its settings as Options.
struct Report {
  std::string name;
  RunResult result;
  Options options;
  std::string mode;
  std::vector<std::pair<std::string, std::string>> variables;  // name, spec
  std::vector<json> seeds;
  std::vector<json> urls;
  std::vector<json> engines;
  std::vector<json> hosts;
  std::vector<json> start_ats;
  std::optional<double> start_late_ms;  // the latest start of those merged
  bool started_late = false;
  std::uint64_t merged = 1;
};

// Field readers whose errors name the report and the field.
class Reader {
 public:
  explicit Reader(std::string name) : name_(std::move(name)) {}

  const json& member(const json& object, const std::string& key, const std::string& where) const {
    const auto it = object.find(key);
    if (it == object.end()) fail(where + key, "missing");
    return *it;
  }
  double number(const json& object, const std::string& key, const std::string& where = "") const {
    const json& value = member(object, key, where);
    if (!value.is_number()) fail(where + key, "not a number: " + value.dump());
    return value.get<double>();
  }
  std::uint64_t count(const json& object, const std::string& key,
                      const std::string& where = "") const {
    const json& value = member(object, key, where);
    if (!value.is_number_unsigned() &&
        !(value.is_number_integer() && value.get<std::int64_t>() >= 0))
      fail(where + key, "not a count: " + value.dump());
    return value.get<std::uint64_t>();
  }
  std::string text(const json& object, const std::string& key,
                   const std::string& where = "") const {
    const json& value = member(object, key, where);
    if (!value.is_string()) fail(where + key, "not a string: " + value.dump());
    return value.get<std::string>();
  }
  Histogram histogram(const json& object, const std::string& key,
                      const std::string& where = "") const {
    const json& value = member(object, key, where);
    try {
      return detail::histogram_from_json(value, where + key);
    } catch (const std::invalid_argument& e) {
      throw MergeError(fmt::format("{}: {}", name_, e.what()));
    }
  }
  [[noreturn]] void fail(const std::string& field, const std::string& what) const {
    throw MergeError(fmt::format("{}: {}: {}", name_, field, what));
  }

 private:
  std::string name_;
};

Report read_report(const std::string& text, const std::string& name) {
  const Reader r(name);
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    throw MergeError(fmt::format("{}: not a loadgen --json report: {}", name, e.what()));
  }
  if (!j.is_object()) throw MergeError(fmt::format("{}: not a JSON object", name));

  Report report;
  report.name = name;
  RunResult& result = report.result;
  result.requests = r.count(j, "requests");
  result.duration_s = r.number(j, "duration_s");
  result.connections = static_cast<int>(r.count(j, "connections"));
  result.threads = static_cast<int>(r.count(j, "threads"));
  report.mode = r.text(j, "mode");
  if (report.mode != "open" && report.mode != "closed") r.fail("mode", "not open or closed");
  if (report.mode == "open") result.offered_rate = r.number(j, "offered_rate");
  const json& errors = r.member(j, "errors", "");
  for (const char* kind : kErrorKinds)
    error_count(result.errors, kind) = r.count(errors, kind, "errors.");
  result.reconnects = r.count(j, "reconnects");
  result.late_sends = r.count(j, "late_sends");
  result.unsent = r.count(j, "unsent");
  result.bytes_read = r.count(j, "bytes_read");
  result.latency_ns = r.histogram(j, "latency_histogram");
  result.late_by_ns = r.histogram(j, "late_by_histogram");
  if (result.latency_ns.total_count() != result.requests)
    r.fail("latency_histogram.count",
           fmt::format("{} samples for {} requests", result.latency_ns.total_count(),
                       result.requests));
  const json& overhead = r.member(j, "overhead_us", "");
  if (!overhead.is_null()) {
    result.has_overhead = true;
    result.overhead_ns = r.histogram(j, "overhead_histogram");
    result.overhead_clamped = r.count(overhead, "clamped", "overhead_us.");
  }

  const json& targets = r.member(j, "targets", "");
  if (!targets.is_null()) {
    if (!targets.is_array()) r.fail("targets", "not an array or null");
    for (std::size_t i = 0; i < targets.size(); ++i) {
      const json& t = targets[i];
      const std::string where = fmt::format("targets[{}].", i);
      TargetResult& target = result.targets.emplace_back();
      target.name = r.text(t, "name", where);
      target.weight = r.number(t, "weight", where);
      target.method = r.text(t, "method", where);
      target.path = r.text(t, "path", where);
      target.requests = r.count(t, "requests", where);
      const json& target_errors = r.member(t, "errors", where);
      for (const char* kind : kErrorKinds)
        if (std::string_view(kind) != "connect")
          error_count(target.errors, kind) = r.count(target_errors, kind, where + "errors.");
      target.latency_ns = r.histogram(t, "latency_histogram", where);
      const json& target_overhead = r.member(t, "overhead_us", where);
      if (!target_overhead.is_null()) {
        target.has_overhead = true;
        target.overhead_ns = r.histogram(t, "overhead_histogram", where);
        target.overhead_clamped = r.count(target_overhead, "clamped", where + "overhead_us.");
      }
    }
  }

  Options& o = report.options;
  o.pipeline = static_cast<int>(r.count(j, "pipeline"));
  o.timeout = std::chrono::nanoseconds(std::llround(r.number(j, "timeout_s") * 1e9));
  const json& targets_file = r.member(j, "targets_file", "");
  if (targets_file.is_string()) o.targets_file = targets_file.get<std::string>();
  const json& variables = r.member(j, "variables", "");
  if (!variables.is_object()) r.fail("variables", "not an object");
  for (const auto& [variable, spec] : variables.items()) {
    if (!spec.is_string()) r.fail("variables." + variable, "not a spec string");
    report.variables.emplace_back(variable, spec.get<std::string>());
    try {
      o.variables.push_back({variable, Distribution::parse(spec.get<std::string>())});
    } catch (const SpecError& e) {
      r.fail("variables." + variable, e.what());
    }
  }
  // A report merged before carries every seed and URL that went into it.
  const auto collect = [&](const char* single, const char* many, std::vector<json>& out) {
    const json& value = r.member(j, single, "");
    if (j.contains(many) && j[many].is_array()) {
      for (const auto& v : j[many]) out.push_back(v);
    } else {
      out.push_back(value);
    }
  };
  collect("seed", "seeds", report.seeds);
  collect("url", "urls", report.urls);
  // Reports from before the engines and --start-at lack these: null.
  const auto collect_optional = [&](const char* single, const char* many, std::vector<json>& out) {
    if (j.contains(many) && j[many].is_array()) {
      for (const auto& v : j[many]) out.push_back(v);
    } else {
      out.push_back(j.contains(single) ? j[single] : json(nullptr));
    }
  };
  collect_optional("engine", "engines", report.engines);
  collect_optional("host", "hosts", report.hosts);
  collect_optional("start_at", "start_ats", report.start_ats);
  if (j.contains("start_late_ms") && !j["start_late_ms"].is_null())
    report.start_late_ms = r.number(j, "start_late_ms");
  if (j.contains("started_late") && j["started_late"].is_boolean())
    report.started_late = j["started_late"].get<bool>();
  if (j.contains("merged_reports")) report.merged = r.count(j, "merged_reports");
  return report;
}

void add(RunResult& total, const RunResult& part) {
  total.requests += part.requests;
  total.duration_s = std::max(total.duration_s, part.duration_s);
  total.connections += part.connections;
  total.threads += part.threads;
  if (total.offered_rate) *total.offered_rate += part.offered_rate.value_or(0);
  total.latency_ns.add(part.latency_ns);
  total.overhead_ns.add(part.overhead_ns);
  total.overhead_clamped += part.overhead_clamped;
  total.errors.add(part.errors);
  total.reconnects += part.reconnects;
  total.late_sends += part.late_sends;
  total.unsent += part.unsent;
  total.late_by_ns.add(part.late_by_ns);
  total.bytes_read += part.bytes_read;
  for (std::size_t i = 0; i < total.targets.size(); ++i) {
    TargetResult& t = total.targets[i];
    const TargetResult& p = part.targets[i];
    t.requests += p.requests;
    t.errors.add(p.errors);
    t.latency_ns.add(p.latency_ns);
    t.overhead_ns.add(p.overhead_ns);
    t.overhead_clamped += p.overhead_clamped;
  }
}

// Throws unless `report` runs the same workload as `first`.
void check_compatible(const Report& first, const Report& report) {
  const auto differ = [&](const std::string& field, const std::string& a, const std::string& b) {
    throw MergeError(
        fmt::format("{}: {} is {} but {} in {}: reports of different workloads do "
                    "not merge",
                    report.name, field, b, a, first.name));
  };
  if (report.mode != first.mode) differ("mode", first.mode, report.mode);
  if (report.options.pipeline != first.options.pipeline)
    differ("pipeline", std::to_string(first.options.pipeline),
           std::to_string(report.options.pipeline));
  if (report.variables != first.variables) {
    const auto text = [](const auto& vars) {
      std::string out;
      for (const auto& [name, spec] : vars)
        out += fmt::format("{}{}={}", out.empty() ? "" : " ", name, spec);
      return out.empty() ? std::string("none") : out;
    };
    differ("variables", text(first.variables), text(report.variables));
  }
  if (report.result.has_overhead != first.result.has_overhead)
    differ("overhead_us", first.result.has_overhead ? "present" : "null",
           report.result.has_overhead ? "present" : "null");
  const auto names = [](const Report& r) {
    std::string out;
    for (const auto& t : r.result.targets) out += (out.empty() ? "" : ",") + t.name;
    return out.empty() ? std::string("none") : out;
  };
  if (names(report) != names(first)) differ("targets", names(first), names(report));
}

}  // namespace

std::string merge_reports(const std::vector<std::string>& reports,
                          const std::vector<std::string>& names) {
  if (reports.empty()) throw MergeError("merge: no reports given");
  std::vector<Report> parsed;
  for (std::size_t i = 0; i < reports.size(); ++i)
    parsed.push_back(
        read_report(reports[i], i < names.size() ? names[i] : fmt::format("report {}", i + 1)));

  Report& first = parsed.front();
  RunResult total = first.result;
  Options options = first.options;
  std::vector<json> seeds = first.seeds, urls = first.urls, engines = first.engines,
                    hosts = first.hosts, start_ats = first.start_ats;
  std::optional<double> start_late_ms = first.start_late_ms;
  bool started_late = first.started_late;
  std::uint64_t merged = first.merged;
  for (std::size_t i = 1; i < parsed.size(); ++i) {
    check_compatible(first, parsed[i]);
    add(total, parsed[i].result);
    options.timeout = std::max(options.timeout, parsed[i].options.timeout);
    seeds.insert(seeds.end(), parsed[i].seeds.begin(), parsed[i].seeds.end());
    urls.insert(urls.end(), parsed[i].urls.begin(), parsed[i].urls.end());
    engines.insert(engines.end(), parsed[i].engines.begin(), parsed[i].engines.end());
    hosts.insert(hosts.end(), parsed[i].hosts.begin(), parsed[i].hosts.end());
    start_ats.insert(start_ats.end(), parsed[i].start_ats.begin(), parsed[i].start_ats.end());
    if (parsed[i].start_late_ms)
      start_late_ms = std::max(start_late_ms.value_or(0.0), *parsed[i].start_late_ms);
    started_late = started_late || parsed[i].started_late;
    merged += parsed[i].merged;
  }
  total.rps = total.duration_s > 0 ? static_cast<double>(total.requests) / total.duration_s : 0;

  ordered_json out = detail::report_object(total, options);
  const auto all_equal = [](const std::vector<json>& values) {
    return std::all_of(values.begin(), values.end(),
                       [&](const json& v) { return v == values.front(); });
  };
  out["seed"] = all_equal(seeds) ? ordered_json(seeds.front()) : ordered_json(nullptr);
  out["url"] = all_equal(urls) ? ordered_json(urls.front()) : ordered_json(nullptr);
  if (!all_equal(seeds)) out["seeds"] = seeds;
  if (!all_equal(urls)) out["urls"] = urls;
  out["engine"] = all_equal(engines) ? ordered_json(engines.front()) : ordered_json(nullptr);
  if (!all_equal(engines)) out["engines"] = engines;
  out["engine_fallback"] = nullptr;
  out["host"] = all_equal(hosts) ? ordered_json(hosts.front()) : ordered_json(nullptr);
  out["part"] = nullptr;  // the merged parts make a larger piece (or the whole)
  out["hosts"] = hosts;   // every generator's, in the order merged
  out["start_at"] = all_equal(start_ats) ? ordered_json(start_ats.front()) : ordered_json(nullptr);
  if (!all_equal(start_ats)) out["start_ats"] = start_ats;
  out["start_late_ms"] = start_late_ms ? ordered_json(*start_late_ms) : ordered_json(nullptr);
  out["started_late"] = started_late;
  out["merged_reports"] = merged;
  return out.dump() + "\n";
}

std::string merge_report_files(const std::vector<std::string>& paths) {
  std::vector<std::string> texts;
  for (const auto& path : paths) {
    try {
      texts.push_back(read_file(path));
    } catch (const std::invalid_argument& e) {
      throw MergeError(e.what());
    }
  }
  return merge_reports(texts, paths);
}

}  // namespace loadgen
