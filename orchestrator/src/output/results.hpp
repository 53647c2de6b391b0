// The run folder and results.json (CONTRACT.md 2.2): a new folder per run, never overwritten,
// every file written atomically (write a temporary file in the same folder, then rename).
#pragma once

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace hellobench {

inline constexpr const char* kResultsSchema = "hellobench/1";

// "2026-11-27T10-46-24Z": sortable, and valid as a folder name everywhere (no ':').
std::string utc_folder_name(std::chrono::system_clock::time_point when);
// "2026-11-27T10:46:24Z" (RFC 3339), for the timestamps inside results.json.
std::string utc_iso8601(std::chrono::system_clock::time_point when);

// Creates root/<UTC timestamp>/ (and root itself); when that folder exists already, uses
// <timestamp>-2, -3, ... so an earlier run is never touched. Returns the folder created.
std::filesystem::path create_run_dir(const std::filesystem::path& root,
                                     std::chrono::system_clock::time_point when);

// Writes content to a temporary file beside path, flushes it to disk, then renames it over
// path: a reader sees the old file or the whole new one, never a partial write.
void write_file_atomic(const std::filesystem::path& path, std::string_view content);

// The top-level fields results.json must carry (CONTRACT.md 2.2), and the ones missing in doc.
const std::vector<std::string>& required_result_fields();
std::vector<std::string> missing_result_fields(const nlohmann::json& doc);

// Reads and checks a results file: a missing file, bad JSON or another schema is a UsageError
// naming the file.
nlohmann::json read_results(const std::filesystem::path& file);

}  // namespace hellobench
