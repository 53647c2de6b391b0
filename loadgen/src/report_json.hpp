// The pieces of the JSON report that `loadgen merge` reads back and writes again (report.cpp).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "loadgen/engine.hpp"
#include "loadgen/histogram.hpp"
#include "loadgen/options.hpp"

namespace loadgen::detail {

// The value of every *_histogram's "encoding" field.
inline constexpr const char* kHistogramEncoding = "hdrhistogram-v2-compressed-base64";

// The whole report, in its field order.
nlohmann::ordered_json report_object(const RunResult& result, const Options& options);

// {p50, p90, p95, p99, p999, p9999, max, mean, stddev} in microseconds.
nlohmann::ordered_json percentiles_json(const Histogram& histogram);

// {"encoding", "unit", "lowest_trackable", "highest_trackable", "significant_figures",
//  "count", "min", "max", "sum", "sum_of_squares", "data"}: the counts in HdrHistogram's
// encoding, and the exact figures the encoding does not carry (sums as decimal strings).
nlohmann::ordered_json histogram_json(const Histogram& histogram);

// Reads that back; throws std::invalid_argument starting with `where` ("latency_histogram.sum:
// ...") when a field is missing or disagrees with the counts.
Histogram histogram_from_json(const nlohmann::json& value, const std::string& where);

}  // namespace loadgen::detail
