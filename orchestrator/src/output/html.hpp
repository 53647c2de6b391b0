// The static HTML dashboard (`hellobench report --html DIR`, `make report`): one self-contained
// index.html that opens from file:// with no network. The C++ side computes every figure
// (analysis/figures: medians, intervals, coverage; the claims as the run judged them) and
// writes them as JSON inside the page; the template (orchestrator/report/dashboard.{html,css,js})
// only lays them out and draws them with Chart.js, inlined from the npm package that
// `make report-deps` installs (pinned by orchestrator/report/package-lock.json).
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace hellobench {

struct DashboardAssets {
  std::string page;           // dashboard.html, with the <!--hellobench:...--> placeholders
  std::string style;          // dashboard.css
  std::string script;         // dashboard.js
  std::string chart_library;  // chart.umd.min.js
};

// The template folder: $HELLOBENCH_REPORT_TEMPLATE, else orchestrator/report of the source tree.
std::filesystem::path default_template_dir();
// Chart.js: $HELLOBENCH_CHART_JS, else node_modules/chart.js/dist/chart.umd.min.js under
// <bin_dir>/../report or <source>/build/report. Empty when none exists.
std::filesystem::path find_chart_library(const std::filesystem::path& bin_dir);

// Reads the assets; a missing template is a UsageError, a missing chart library a
// MissingToolError saying to run `make report-deps`.
DashboardAssets load_dashboard_assets(const std::filesystem::path& template_dir,
                                      const std::filesystem::path& chart_library);

// Everything the page shows, as data: run, environment, servers, verify, claims, scenarios
// (per metric and server: the estimate), sweeps (curves against the offered rate or live data,
// capacities and probes), builds, binaries, microbenchmarks, history, glossary.
nlohmann::json dashboard_data(const nlohmann::json& results, const nlohmann::json& history);

// The page: the template with style, data, chart library and script inlined. Text that could
// close a <script> element early is escaped.
std::string render_dashboard(const DashboardAssets& assets, const nlohmann::json& data);

// Writes DIR/index.html (atomically); returns its path.
std::filesystem::path write_dashboard(const std::filesystem::path& dir,
                                      const DashboardAssets& assets, const nlohmann::json& data);

}  // namespace hellobench
