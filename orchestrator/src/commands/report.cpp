// `hellobench report`.
#include "output/report.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <optional>

#include "analysis/claims.hpp"
#include "builds/curves.hpp"
#include "analysis/summary.hpp"
#include "builds/builds.hpp"
#include "cli.hpp"
#include "commands/common.hpp"
#include "config/config.hpp"
#include "core/errors.hpp"
#include "output/microbench.hpp"
#include "output/progress.hpp"
#include "output/results.hpp"
#include "trial/environment.hpp"
#include "trial/launch.hpp"
#include "trial/process.hpp"
#include "trial/trials.hpp"
#include "verify/verify_servers.hpp"

namespace hellobench {

namespace fs = std::filesystem;
using nlohmann::json;
using SystemClock = std::chrono::system_clock;

int command_report(const Options& options, std::FILE* out) {
  if (!options.html_dir.empty()) return command_report_html(options, out);
  if (options.results_file.empty()) throw UsageError("report: name a results.json (or --html DIR)");
  json doc = read_results(options.results_file);
  if (options.recompute) {
    // The figures again from the raw rows, with this build's analysis and the file's own claims.
    std::vector<std::string> servers;
    for (const json& s : member(doc, "servers")) servers.push_back(s.value("name", ""));
    doc["summary"] = summarize_trials(doc["trials"], servers);
    // Builds too: a curve run stopped part way keeps every whole size it saved, and its curves
    // and build claims come out here as `finish` would have made them.
    if (doc.contains("services")) mark_largest_sizes(doc["builds"]);
    doc["claims"] = evaluate_claims(doc, claims_from_json(doc["claims_config"]));
    if (doc.contains("services")) {
      doc["build_curves"] = build_curves(doc);
      annotate_build_claims(doc);
    }
  }
  // As summary.md has it: the build curves' table after the report.
  const std::string curves = doc.contains("build_curves") ? render_build_curves(doc) : "";
  const std::string markdown =
      render_markdown(doc) + (curves.empty() ? "" : "\n```\n" + curves + "```\n");
  if (options.report_out.empty()) {
    fmt::print(out, "{}", markdown);
  } else {
    write_file_atomic(fs::absolute(options.report_out), markdown);
  }
  return kExitOk;
}

}  // namespace hellobench
