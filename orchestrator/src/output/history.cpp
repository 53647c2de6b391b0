#include "output/history.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "analysis/figures.hpp"
#include "analysis/summary.hpp"
#include "output/results.hpp"

namespace hellobench {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::vector<fs::path> run_folders(const fs::path& root) {
  std::vector<fs::path> folders;
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return folders;
  for (const fs::directory_entry& e : fs::directory_iterator(root, ec)) {
    if (e.is_directory(ec)) folders.push_back(e.path());
  }
  // <UTC timestamp>[-N] names sort by time.
  std::sort(folders.begin(), folders.end());
  return folders;
}

json claim_point(const json& claim) {
  json out = {{"id", claim.value("id", "")},
              {"verdict", claim.value("verdict", json())},
              {"unit", claim.value("unit", json())},
              {"comparison", claim.value("comparison", json())}};
  const json& m = member(claim, "measured");
  if (m.value("measured", true) && member(m, "value").is_number()) {
    out["value"] = m["value"];
    const json& interval = m.contains("interval") ? m["interval"] : member(m, "ci95");
    if (interval.is_array() && interval.size() == 2) {
      out["low"] = interval[0];
      out["high"] = interval[1];
    }
    out["coverage"] = m.value("coverage", json());
  }
  return out;
}

}  // namespace

const std::vector<std::string>& history_metric_names() {
  static const std::vector<std::string> names = {"cpu_us_per_request", "rps", "p99_us",
                                                 "rss_mean_kib"};
  return names;
}

fs::path latest_results(const fs::path& runs_root) {
  const std::vector<fs::path> folders = run_folders(runs_root);
  for (auto it = folders.rbegin(); it != folders.rend(); ++it) {
    std::error_code ec;
    if (fs::exists(*it / "results.json", ec)) return *it / "results.json";
  }
  return {};
}

json collect_history(const fs::path& runs_root) {
  json out = {{"root", runs_root.string()}, {"runs", json::array()}, {"skipped", json::array()}};
  for (const fs::path& folder : run_folders(runs_root)) {
    const std::string id = folder.filename().string();
    json doc;
    try {
      doc = read_results(folder / "results.json");
    } catch (const std::exception& e) {
      out["skipped"].push_back({{"id", id}, {"reason", e.what()}});
      continue;
    }
    const json& env = member(doc, "environment");
    json run = {{"id", id},
                {"started_at", doc.value("started_at", json())},
                {"commit", env.value("git_commit", json())},
                {"dirty", env.value("git_dirty", false)},
                {"profile", member(doc, "profile").value("name", env.value("profile", json()))},
                {"complete", doc.value("complete", false)},
                {"claims", json::array()},
                {"figures", json::array()}};
    for (const json& c : member(doc, "claims")) run["claims"].push_back(claim_point(c));
    const Figures figures(doc);
    std::vector<std::string> scenarios;
    for (const json& t : member(doc, "trials")) {
      if (t.contains("sweep") && !t["sweep"].is_null()) continue;
      const std::string s = t.value("scenario", "");
      if (std::find(scenarios.begin(), scenarios.end(), s) == scenarios.end())
        scenarios.push_back(s);
    }
    for (const std::string& scenario : scenarios) {
      for (const std::string& name : history_metric_names()) {
        Selection sel;
        sel.metric = find_metric(name);
        sel.scenario = scenario;
        for (const std::string& server : figures.servers()) {
          const Estimate e = figures.value(sel, server);
          if (!e.measured) continue;
          run["figures"].push_back({{"scenario", scenario},
                                    {"metric", name},
                                    {"label", sel.metric->label},
                                    {"unit", sel.metric->unit},
                                    {"server", server},
                                    {"value", e.value},
                                    {"low", e.low},
                                    {"high", e.high},
                                    {"coverage", e.coverage},
                                    {"n", e.n}});
        }
      }
    }
    out["runs"].push_back(run);
  }
  return out;
}

}  // namespace hellobench
