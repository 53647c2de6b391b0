// Merging the --json reports of several generator processes or hosts into one report, exactly:
// counts add, histograms add bucket by bucket (with their exact minimum, maximum and sums), and
// every percentile, mean and stddev is read again from the merged histograms, so the merged
// report says what one generator that recorded every sample would have said.
//
// The merged report has the fields of a single report (README, "Output"), with:
//   requests, connections, threads, errors.*, reconnects, late_sends, unsent, bytes_read,
//   offered_rate (open loop), targets[].requests and targets[].errors.*: summed;
//   duration_s: the longest window; rps: requests / duration_s;
//   latency_us, late_by_us, overhead_us, targets[].latency_us, targets[].overhead_us and every
//   *_histogram: from the merged histograms; overhead_us.clamped: summed;
//   seed and url: as given when all reports agree, else null, with every report's value in
//   "seeds" and "urls";
//   timeout_s: the longest;
//   merged_reports: how many reports went in.
// Reports must agree on mode, pipeline, variables and target names (else MergeError): merging
// different workloads would give figures of no workload.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace loadgen {

// Bad or incompatible input; what() names the report and the field. Exit code 2.
struct MergeError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

// `reports`: --json outputs (one JSON object each, as loadgen prints it); `names`: what
// messages call them (file names; "report 1", ... when empty). Returns the merged report as one
// line of JSON with a trailing newline.
std::string merge_reports(const std::vector<std::string>& reports,
                          const std::vector<std::string>& names = {});

// Reads each file and merges them (`loadgen merge FILE...`).
std::string merge_report_files(const std::vector<std::string>& paths);

}  // namespace loadgen
