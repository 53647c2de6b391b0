// `hellobench report --html DIR`: the dashboard of one run (default: the latest under
// results/runs) with the history of every run in the runs folder.
#include <fmt/format.h>

#include <filesystem>

#include "cli.hpp"
#include "commands/common.hpp"
#include "config/config.hpp"
#include "core/errors.hpp"
#include "output/history.hpp"
#include "output/html.hpp"
#include "output/results.hpp"

namespace hellobench {

namespace fs = std::filesystem;

int command_report_html(const Options& options, std::FILE* out) {
  const fs::path runs = options.history.empty()
                            ? default_config_path().parent_path() / "results" / "runs"
                            : fs::absolute(options.history);
  fs::path results_file = options.results_file;
  if (results_file.empty()) {
    results_file = latest_results(runs);
    if (results_file.empty()) {
      throw UsageError(
          fmt::format("report --html: no results.json under {} (run `make bench` "
                      "first, or name a results file)",
                      runs.string()));
    }
  }
  const nlohmann::json results = read_results(results_file);
  const DashboardAssets assets =
      load_dashboard_assets(default_template_dir(), find_chart_library(bin_dir_of(options)));
  const nlohmann::json data = dashboard_data(results, collect_history(runs));
  const fs::path page = write_dashboard(fs::absolute(options.html_dir), assets, data);
  fmt::print(out, "dashboard: {} (from {}, history of {} runs under {})\n", page.string(),
             results_file.string(), data["history"]["runs"].size(), runs.string());
  return kExitOk;
}

}  // namespace hellobench
