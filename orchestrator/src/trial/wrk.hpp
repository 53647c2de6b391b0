// wrk as a hellobench load generator: its command line, the Lua done() script that makes it
// print one JSON object, and the parser for that object. Used by make_generator("wrk", ...).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "trial/generator.hpp"

namespace hellobench::wrk {

// The lines around the JSON object the report script prints, so the object can be found in
// wrk's stdout (which also carries wrk's own text report) without scraping that text.
inline constexpr std::string_view kBeginMarker = "-----BEGIN HELLOBENCH WRK REPORT-----";
inline constexpr std::string_view kEndMarker = "-----END HELLOBENCH WRK REPORT-----";

// The Lua script given to wrk with -s. Its done(summary, latency, requests) prints
// {"requests", "duration_us", "bytes", "errors": {connect, read, write, status, timeout},
//  "latency_us": {p50, p90, p95, p99, p999, max, mean, stdev}} between the markers. Latency
// covers only the requests answered within the timeout; a timed-out one counts as an error.
// It defines no request()/response() hooks, which would slow wrk's hot path.
std::string report_script();

// `wrk -t T -c C -d Ns --timeout Ts -s SCRIPT URL`. Throws GeneratorError for a spec wrk cannot
// run honestly: a fixed rate (wrk has no rate control), a duration that is not a whole number
// of seconds (wrk's -d takes whole seconds; rounding would change the window), fewer
// connections than threads, or an empty URL. The timeout is rounded up to whole seconds.
std::vector<std::string> command_line(const LoadSpec& spec, const std::filesystem::path& program,
                                      const std::filesystem::path& script);

// Parses wrk's stdout. Throws GeneratorError naming what is missing or malformed.
// errors: connect, read, write, timeout as wrk counts them, and "status" for responses with a
// status of 400 or more: wrk counts 4xx and 5xx together, so there is no status_4xx/status_5xx
// split (and no "parse" kind: wrk aborts the connection on a parse error and counts it as read).
LoadResult parse_output(const std::string& stdout_text);

}  // namespace hellobench::wrk
