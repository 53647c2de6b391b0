// hellobench's own loadgen as a load generator: its command line and its --json output.
// Used by make_generator("loadgen", ...).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "trial/generator.hpp"

namespace hellobench::loadgen {

// `loadgen URL -c C -t T -d <ms>ms --timeout <ms>ms [--rate R] --json`. Throws GeneratorError
// for a spec it cannot run (no URL, fewer than one connection or thread, a non-positive
// duration, timeout or rate).
std::vector<std::string> command_line(const LoadSpec& spec, const std::filesystem::path& program);

// Parses the one JSON object loadgen prints with --json: requests, duration_s, rps,
// latency_us {p50, p90, p95, p99, p999, p9999, max, mean, stddev}, errors {connect, read,
// write, timeout, parse, status_4xx, status_5xx}, reconnects, late_sends, connections,
// offered_rate. Throws GeneratorError naming what is missing or malformed.
LoadResult parse_output(const std::string& stdout_text);

}  // namespace hellobench::loadgen
