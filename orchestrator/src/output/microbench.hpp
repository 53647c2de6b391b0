// The JSON microbenchmarks of the three languages (contract/README.md, "JSON microbenchmarks"):
// each harness writes a `hellobench-microbench/1` file; `hellobench microbench` merges them
// into one, which a run reads into results.json `microbenchmarks` for the json claim.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace hellobench {

inline constexpr const char* kMicrobenchSchema = "hellobench-microbench/1";

// Reads one harness file, or a merged file; checks the schema and every row's fields (a row's
// optional samples_ns_per_op: a non-empty array of positive numbers). Throws UsageError naming
// the file and the field.
nlohmann::json read_microbench_file(const std::filesystem::path& file);

// {schema, languages: [{language, harness, toolchain, json_library}], rows: [{language,
// payload, operation, ns_per_op, samples_ns_per_op (when the file had them), bytes_per_op,
// allocs_per_op, iterations}]}.
nlohmann::json merge_microbench_files(const std::vector<std::string>& files);

// ns/op (the median of the samples, their interquartile range and count) and allocations per
// op, a row per payload and operation, a column per language, and the go/rust and cpp/rust
// ratios of the medians.
std::string render_microbench_table(const nlohmann::json& merged);

}  // namespace hellobench
