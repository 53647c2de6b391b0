// What a run prints: one JSON object (--json, read by hellobench's orchestrator; its field
// names are a contract) or a readable report, and the exit code it ends with.
#pragma once

#include <string>

#include "loadgen/engine.hpp"
#include "loadgen/options.hpp"

namespace loadgen {

// {"requests", "duration_s", "rps", "connections", "threads", "offered_rate" (null when
// closed loop), "latency_us" {p50, p90, p95, p99, p999, p9999, max, mean, stddev},
// "errors" {connect, read, write, timeout, parse, status_4xx, status_5xx}, "reconnects",
// "late_sends", ...}, on one line.
std::string json_report(const RunResult& result, const Options& options);

std::string text_report(const RunResult& result, const Options& options);

// 4 when it started later than --max-start-late after --start-at (its window is not the other
// hosts'); else 1 when the errors exceed --max-error-rate, or (without it) when every connect
// was refused; else 0.
int exit_code(const RunResult& result, const Options& options);

}  // namespace loadgen
