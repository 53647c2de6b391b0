// `hellobench report --html`: the dashboard's data is the figures of analysis/figures (never
// recomputed in the page), the page is self-contained and safe against text that would close a
// <script>, the history reads every run folder, and the page itself is checked in headless
// Chromium (orchestrator/test/browser/dashboard.test.mjs) where node, the npm packages of
// `make report-deps` and chromium are there; elsewhere that test skips and says why.
#include "output/html.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "output/history.hpp"
#include "output/results.hpp"

namespace hellobench {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

const fs::path kSource = HELLOBENCH_SOURCE_DIR;
const fs::path kRuns = fs::path(HELLOBENCH_TEST_DATA_DIR) / "dashboard" / "runs";

json hand_made_run() {
  json doc = {{"schema", "hellobench/1"},
              {"started_at", "2026-12-01T10:00:00Z"},
              {"environment", {{"cpu_model", "Test CPU"}, {"cores", 2}}},
              {"profile", {{"name", "quick"}}},
              {"servers", {{{"name", "go"}, {"label", "Go net/http"}}}},
              {"trials", json::array()},
              {"builds", json::array()},
              {"sweeps", json::array()},
              {"claims",
               {{{"id", "cpu"},
                 {"text", "Go uses </script><script>alert(1)</script> more CPU"},
                 {"verdict", "inconclusive"},
                 {"sentence", "a sentence"}}}}};
  const double cpu[] = {10, 11, 12, 13, 14, 15};
  for (int rep = 1; rep <= 6; ++rep) {
    doc["trials"].push_back({{"server", "go"},
                             {"scenario", "hello-10k"},
                             {"repetition", rep},
                             {"valid", true},
                             {"bound", "server"},
                             {"mode", "open"},
                             {"cpu_us_per_request", cpu[rep - 1]}});
  }
  for (const char* point : {"1 MB", "100 MB"}) {
    doc["trials"].push_back({{"server", "go"},
                             {"scenario", "users-2k"},
                             {"sweep", "live-data"},
                             {"point", point},
                             {"repetition", 1},
                             {"valid", true},
                             {"rss_mean_kib", std::string(point) == "1 MB" ? 10240 : 163840}});
  }
  doc["sweeps"].push_back(
      {{"name", "live-data"},
       {"vary", "live_mb"},
       {"scenario", "users-2k"},
       {"points", {{{"label", "1 MB"}, {"value", "1"}}, {{"label", "100 MB"}, {"value", "100"}}}},
       {"capacity", json::object()}});
  doc["builds"].push_back({{"server", "go"},
                           {"kind", "incremental"},
                           {"build_profile", "debug"},
                           {"ok", true},
                           {"samples_s", {8.0, 9.0, 10.0}}});
  return doc;
}

const json& metric_of(const json& scenario, const std::string& name) {
  for (const json& m : scenario["metrics"]) {
    if (m["metric"]["name"] == name) return m;
  }
  throw std::runtime_error("no metric " + name);
}

TEST(Dashboard, ScenarioFiguresAreTheMedianAndOrderStatisticInterval) {
  const json data = dashboard_data(hand_made_run(), json::object());
  ASSERT_EQ(data["scenarios"].size(), 1u);  // the sweep's trials are not a scenario of their own
  const json& go = metric_of(data["scenarios"][0], "cpu_us_per_request")["values"][0];
  EXPECT_EQ(go["server"], "go");
  EXPECT_DOUBLE_EQ(go["value"].get<double>(), 12.5);
  EXPECT_DOUBLE_EQ(go["interval"][0].get<double>(), 10);  // n = 6: (X(1), X(6)), 96.9%
  EXPECT_DOUBLE_EQ(go["interval"][1].get<double>(), 15);
  EXPECT_DOUBLE_EQ(go["coverage"].get<double>(), 0.96875);
}

TEST(Dashboard, ALiveDataSweepIsACurveAgainstMegabytes) {
  const json data = dashboard_data(hand_made_run(), json::object());
  const json& sweep = data["sweeps"][0];
  EXPECT_EQ(sweep["x_label"], "live data (MB)");
  const json& curve = sweep["curves"][0];
  EXPECT_EQ(curve["metric"]["name"], "rss_mean_kib");
  const json& points = curve["series"][0]["points"];
  ASSERT_EQ(points.size(), 2u);
  EXPECT_DOUBLE_EQ(points[0]["x"].get<double>(), 1);
  EXPECT_DOUBLE_EQ(points[1]["x"].get<double>(), 100);
  EXPECT_DOUBLE_EQ(points[1]["value"].get<double>(), 160);  // MiB
}

TEST(Dashboard, BuildsAreMediansOfTheirSamples) {
  const json data = dashboard_data(hand_made_run(), json::object());
  const json& row = data["builds"]["rows"][0];
  EXPECT_EQ(row["name"], "incremental debug");
  EXPECT_DOUBLE_EQ(row["values"][0]["value"].get<double>(), 9);
}

TEST(Dashboard, ThePageInlinesEverythingAndCannotBeClosedEarly) {
  DashboardAssets assets;
  assets.page =
      "<title><!--hellobench:title--></title><!--hellobench:style--><!--hellobench:data-->"
      "<!--hellobench:chart-library--><!--hellobench:script-->";
  assets.style = "body{}";
  assets.script = "var s = '</script>';";
  assets.chart_library = "var Chart = {};\n//# sourceMappingURL=chart.umd.min.js.map";
  const std::string page =
      render_dashboard(assets, dashboard_data(hand_made_run(), json::object()));
  EXPECT_THAT(page, HasSubstr("<title>hellobench: quick profile, 2026-12-01T10:00:00Z</title>"));
  EXPECT_THAT(page, HasSubstr("<style>\nbody{}\n</style>"));
  EXPECT_THAT(page, Not(HasSubstr("</script><script>alert(1)")));
  EXPECT_THAT(page, HasSubstr("<\\/script><script>alert(1)<\\/script>"));
  EXPECT_THAT(page, HasSubstr("var s = '<\\/script>';"));
  EXPECT_THAT(page, Not(HasSubstr("sourceMappingURL")));
  EXPECT_THAT(page, Not(HasSubstr("<!--hellobench:")));
}

TEST(Dashboard, TheShippedTemplateHasEveryPlaceholder) {
  std::ifstream in(kSource / "orchestrator" / "report" / "dashboard.html");
  const std::string page((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const char* p : {"title", "style", "data", "chart-library", "script"}) {
    EXPECT_THAT(page, HasSubstr(std::string("<!--hellobench:") + p + "-->"));
  }
  EXPECT_THAT(page, Not(HasSubstr("http://")));
  EXPECT_THAT(page, Not(HasSubstr("https://")));
}

TEST(History, EveryRunFolderOldestFirst) {
  const json history = collect_history(kRuns);
  ASSERT_EQ(history["runs"].size(), 3u);
  EXPECT_EQ(history["runs"][0]["id"], "2026-12-02T11-37-17Z");
  EXPECT_EQ(history["runs"][2]["id"], "2026-12-02T11-49-04Z");
  for (const json& run : history["runs"]) {
    EXPECT_FALSE(run["claims"].empty());
    EXPECT_FALSE(run["figures"].empty());
  }
  EXPECT_EQ(latest_results(kRuns), kRuns / "2026-12-02T11-49-04Z" / "results.json");
}

TEST(History, AFolderWithoutResultsIsSkippedWithItsReason) {
  const fs::path root = fs::temp_directory_path() / "hb-history-test";
  fs::remove_all(root);
  fs::create_directories(root / "2026-01-01T00-00-00Z");
  const json history = collect_history(root);
  EXPECT_TRUE(history["runs"].empty());
  ASSERT_EQ(history["skipped"].size(), 1u);
  EXPECT_THAT(history["skipped"][0]["reason"].get<std::string>(), HasSubstr("cannot read"));
  fs::remove_all(root);
}

// The page in a real browser. Needs node, `make report-deps` and /usr/bin/chromium.
TEST(Dashboard, RendersInHeadlessChromium) {
  const fs::path bin = HELLOBENCH_BIN_DIR;
  const fs::path modules = bin / ".." / "report" / "node_modules";
  if (std::system("node --version > /dev/null 2>&1") != 0) GTEST_SKIP() << "node is not installed";
  if (!fs::exists(modules / "playwright-core") || !fs::exists(modules / "chart.js")) {
    GTEST_SKIP() << "the dashboard's npm packages are not installed in " << modules.string()
                 << " (make report-deps)";
  }
  if (!fs::exists("/usr/bin/chromium")) GTEST_SKIP() << "/usr/bin/chromium is not installed";
  const fs::path out = bin / ".." / "test-output" / "dashboard";
  const std::string command =
      "HELLOBENCH='" + (bin / "hellobench").string() + "' HELLOBENCH_NODE_MODULES='" +
      modules.string() + "' HELLOBENCH_TEST_OUT='" + out.string() + "' node --test '" +
      (kSource / "orchestrator" / "test" / "browser" / "dashboard.test.mjs").string() + "'";
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
  EXPECT_TRUE(fs::exists(out / "sweeps" / "screenshots" / "desktop.png"));
  EXPECT_TRUE(fs::exists(out / "sweeps" / "screenshots" / "phone.png"));
}

}  // namespace
}  // namespace hellobench
