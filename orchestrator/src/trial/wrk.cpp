// wrk driver: command line, Lua report script, JSON parsing (see wrk.hpp).
#include "trial/wrk.hpp"

#include <fmt/core.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "trial/report_reader.hpp"

namespace hellobench::wrk {
namespace {

using nlohmann::json;

const ReportReader kReader{"wrk report", true};

}  // namespace

std::string report_script() {
  // LuaJIT (wrk's Lua) prints NaN as "nan", which is not JSON: finite() maps it to null.
  // Counts go through %.0f, exact up to 2^53, where %d could overflow.
  return fmt::format(R"lua(-- hellobench: wrk's summary as one JSON object between marker lines.
local function finite(x)
  if x ~= x or x == math.huge or x == -math.huge then return "null" end
  return string.format("%.3f", x)
end

function done(summary, latency, requests)
  local e = summary.errors
  local p = function(q) return finite(latency:percentile(q)) end
  io.write("{}\n")
  io.write(string.format(
    '{{"requests":%.0f,"duration_us":%.0f,"bytes":%.0f,' ..
    '"errors":{{"connect":%.0f,"read":%.0f,"write":%.0f,"status":%.0f,"timeout":%.0f}},' ..
    '"latency_us":{{"p50":%s,"p90":%s,"p95":%s,"p99":%s,"p999":%s,' ..
    '"max":%s,"mean":%s,"stdev":%s}}}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    p(50), p(90), p(95), p(99), p(99.9),
    finite(latency.max), finite(latency.mean), finite(latency.stdev)))
  io.write("{}\n")
  io.flush()
end
)lua",
                     kBeginMarker, kEndMarker);
}

std::vector<std::string> command_line(const LoadSpec& spec, const std::filesystem::path& program,
                                      const std::filesystem::path& script) {
  if (spec.rate) {
    throw GeneratorError(fmt::format(
        "wrk cannot hold a fixed rate ({} requests/s asked): it has no rate control; use loadgen "
        "for open-loop trials",
        *spec.rate));
  }
  if (spec.url.empty()) throw GeneratorError("wrk: url is empty");
  if (spec.method != "GET" || !spec.headers.empty() || !spec.body_file.empty() ||
      !spec.targets_file.empty() || !spec.draws.empty()) {
    throw GeneratorError(
        "wrk runs plain GETs here: methods, headers, bodies, targets and draws need loadgen");
  }
  if (spec.threads < 1) {
    throw GeneratorError(fmt::format("wrk: threads must be at least 1, got {}", spec.threads));
  }
  if (spec.connections < spec.threads) {
    throw GeneratorError(fmt::format("wrk: connections ({}) must be at least threads ({})",
                                     spec.connections, spec.threads));
  }
  const auto ms = spec.duration.count();
  if (ms <= 0 || ms % 1000 != 0) {
    throw GeneratorError(fmt::format(
        "wrk: duration {} ms is not a whole number of seconds (wrk's -d takes whole seconds)", ms));
  }
  if (spec.timeout.count() <= 0) {
    throw GeneratorError(
        fmt::format("wrk: timeout must be positive, got {} ms", spec.timeout.count()));
  }
  // wrk's --timeout also takes whole seconds; rounding up only makes it more lenient.
  const auto timeout_s = (spec.timeout.count() + 999) / 1000;
  return {program.string(),
          "-t",
          std::to_string(spec.threads),
          "-c",
          std::to_string(spec.connections),
          "-d",
          fmt::format("{}s", ms / 1000),
          "--timeout",
          fmt::format("{}s", timeout_s),
          "-s",
          script.string(),
          spec.url};
}

LoadResult parse_output(const std::string& stdout_text) {
  const auto begin = stdout_text.find(kBeginMarker);
  if (begin == std::string::npos) {
    throw GeneratorError(
        "wrk report: no report found in wrk's output (the marker line from the done() script is "
        "missing)");
  }
  const auto body_start = begin + kBeginMarker.size();
  const auto end = stdout_text.find(kEndMarker, body_start);
  if (end == std::string::npos) {
    throw GeneratorError("wrk report: the report is cut off (no end marker line)");
  }
  json report;
  try {
    report = json::parse(stdout_text.substr(body_start, end - body_start));
  } catch (const json::parse_error& e) {
    throw GeneratorError(fmt::format("wrk report: not valid JSON: {}", e.what()));
  }
  if (!report.is_object()) throw GeneratorError("wrk report: not a JSON object");

  LoadResult result;
  result.raw_output = stdout_text;
  result.requests = static_cast<std::uint64_t>(kReader.number(report, "requests", ""));
  result.duration_s = kReader.number(report, "duration_us", "") / 1e6;
  if (result.duration_s <= 0) throw GeneratorError("wrk report: duration_us is 0");
  result.rps = static_cast<double>(result.requests) / result.duration_s;
  result.extra["bytes"] = kReader.number(report, "bytes", "");

  result.latency_us = kReader.latency(report);
  const json& latency = kReader.object(report, "latency_us");
  result.extra["latency_stdev_us"] = kReader.number(latency, "stdev", "latency_us.");

  const json& errors = kReader.object(report, "errors");
  for (const char* kind : {"connect", "read", "write", "timeout", "status"}) {
    result.errors[kind] = static_cast<std::uint64_t>(kReader.number(errors, kind, "errors."));
  }
  return result;
}

}  // namespace hellobench::wrk
