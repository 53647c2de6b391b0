#include "output/html.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "analysis/figures.hpp"
#include "analysis/metrics.hpp"
#include "analysis/summary.hpp"
#include "core/errors.hpp"
#include "output/results.hpp"

namespace hellobench {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string text_of(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return "";
  return value.dump();
}

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  for (std::size_t pos = text.find(from); pos != std::string::npos;
       pos = text.find(from, pos + to.size())) {
    text.replace(pos, from.size(), to);
  }
}

// Inside <script>, "</script" (any case) and "<!--" would end or confuse the element.
std::string script_safe(std::string text) {
  replace_all(text, "</script", "<\\/script");
  replace_all(text, "</SCRIPT", "<\\/SCRIPT");
  replace_all(text, "<!--", "<\\!--");
  return text;
}

// JSON inside <script type="application/json">: "</" written as "<\/", which JSON reads back.
std::string json_safe(const json& data) {
  std::string text = data.dump();
  replace_all(text, "</", "<\\/");
  replace_all(text, "<!--", "<\\u0021--");
  return text;
}

std::string html_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// A chart library's trailing source-map comment would make the browser ask for a file
// that is not there.
std::string without_source_map(std::string js) {
  const std::size_t pos = js.rfind("//# sourceMappingURL=");
  if (pos != std::string::npos) js.erase(pos);
  return js;
}

json metric_info(const Metric& m) {
  return {{"name", m.name},
          {"label", m.label},
          {"unit", m.unit},
          {"lower_is_better", m.lower_is_better},
          {"description", m.description}};
}

json estimate_for(const Figures& figures, const Selection& sel, const std::string& server) {
  json e = figures.value(sel, server).to_json();
  e["server"] = server;
  return e;
}

json run_block(const json& results) {
  const json& env = member(results, "environment");
  const json& profile = member(results, "profile");
  return {
      {"started_at", results.value("started_at", json())},
      {"finished_at", results.value("finished_at", json())},
      {"complete", results.value("complete", false)},
      {"commit", env.value("git_commit", json())},
      {"dirty", env.value("git_dirty", false)},
      {"profile", profile.value("name", env.value("profile", json()))},
      {"repetitions", profile.value("repetitions", json())},
      {"window_s", profile.value("window_s", json())},
      {"warmup_s", profile.value("warmup_s", json())},
      {"hellobench_version", env.value("hellobench_version", json())},
      {"failures", member(results, "failures").is_array() ? results["failures"] : json::array()},
      {"rules_bent",
       member(results, "rules_bent").is_array() ? results["rules_bent"] : json::array()},
      {"claims_note", results.value("claims_note", json())}};
}

json environment_block(const json& results) {
  const json& env = member(results, "environment");
  json rows = json::array();
  auto add = [&](const std::string& label, const json& value) {
    if (!value.is_null() && !(value.is_string() && value.get<std::string>().empty())) {
      rows.push_back({label, value.is_string() ? value.get<std::string>() : value.dump()});
    }
  };
  add("CPU", env.value("cpu_model", json()));
  add("cores", env.value("cores", json()));
  add("memory (KiB)", env.value("memory_kib", json()));
  add("kernel", env.value("kernel", json()));
  add("OS", env.value("os", json()));
  add("host", env.value("hostname", json()));
  const json& sets = member(env, "cpu_sets");
  if (!sets.empty()) {
    add("CPU sets",
        fmt::format("server {}, generator {}, orchestrator {}", member(sets, "server").dump(),
                    member(sets, "generator").dump(), member(sets, "orchestrator").dump()));
  }
  add("server threads", env.value("server_threads", json()));
  add("build jobs", env.value("build_jobs", json()));
  add("git commit", env.value("git_commit", json()));
  add("hellobench", env.value("hellobench_version", json()));
  for (const auto& [name, version] : member(env, "toolchains").items()) add(name, version);
  const json& orchestrator = member(results, "orchestrator");
  if (member(orchestrator, "cpu_share_in_windows").is_number()) {
    add("orchestrator CPU in windows",
        fmt::format("{:.2g}%", orchestrator["cpu_share_in_windows"].get<double>() * 100));
  }
  return rows;
}

json servers_block(const json& results) {
  json out = json::array();
  for (const json& s : member(results, "servers")) {
    const json& b = member(s, "binary");
    out.push_back(
        {{"name", s.value("name", "")},
         {"label", s.value("label", s.value("name", ""))},
         {"language", s.value("language", "")},
         {"tuning", s.value("tuning", "")},
         {"binary_bytes", b.value("bytes", json())},
         {"stripped_bytes", b.value("stripped_bytes", json())},
         {"shared_libraries",
          member(b, "shared_libraries").is_array() ? b["shared_libraries"] : json::array()}});
  }
  return out;
}

json verify_block(const json& results) {
  const json& verify = member(results, "verify");
  json out = {{"passed", verify.value("passed", json())},
              {"servers", json::array()},
              {"parity_failures", json::array()}};
  for (const auto& [name, v] : member(verify, "servers").items()) {
    json failed = json::array();
    for (const json& c : member(v, "checks")) {
      if (!c.value("passed", false)) {
        failed.push_back(
            fmt::format("{}: {}", c.value("name", ""), text_of(c.value("detail", json()))));
      }
    }
    out["servers"].push_back({{"name", name},
                              {"passed", v.value("passed", false)},
                              {"checks", member(v, "checks").size()},
                              {"failed", failed}});
  }
  for (const json& c : member(verify, "parity")) {
    if (!c.value("passed", true)) {
      out["parity_failures"].push_back(
          fmt::format("{}: {}", c.value("name", ""), text_of(c.value("detail", json()))));
    }
  }
  return out;
}

json claims_block(const json& results) {
  json out = json::array();
  for (const json& c : member(results, "claims")) {
    json claim = json::object();
    for (const char* key : {"id", "text", "verdict", "sentence", "reason", "article",
                            "article_unit", "unit", "comparison", "side", "threshold", "measured",
                            "scope", "not_measured", "regime", "metric"}) {
      if (c.contains(key)) claim[key] = c[key];
    }
    claim["parts"] = json::array();
    for (const json& p : member(c, "parts")) {
      json part = json::object();
      for (const char* key : {"label", "role", "verdict", "reason", "measured", "comparison",
                              "unit", "threshold", "side", "metric_label"}) {
        if (p.contains(key)) part[key] = p[key];
      }
      claim["parts"].push_back(part);
    }
    out.push_back(claim);
  }
  return out;
}

const std::vector<std::string>& scenario_metrics() {
  static const std::vector<std::string> names = {
      "rps",     "cpu_us_per_request", "rss_mean_kib", "rss_peak_kib", "p50_us", "p90_us", "p99_us",
      "p999_us", "overhead_share"};
  return names;
}

json scenarios_block(const json& results, const Figures& figures) {
  json out = json::array();
  std::vector<std::string> order;
  for (const json& t : member(results, "trials")) {
    if (t.contains("sweep") && !t["sweep"].is_null()) continue;
    const std::string s = t.value("scenario", "");
    if (std::find(order.begin(), order.end(), s) == order.end()) order.push_back(s);
  }
  for (const std::string& scenario : order) {
    json block = {{"name", scenario},
                  {"metrics", json::array()},
                  {"trials", 0},
                  {"valid", 0},
                  {"loadgen_bound", 0}};
    for (const json& t : member(results, "trials")) {
      if (t.value("scenario", "") != scenario || (t.contains("sweep") && !t["sweep"].is_null()))
        continue;
      if (block["trials"] == 0) {
        block["path"] = t.value("path", "");
        block["generator"] = t.value("generator", "");
        block["mode"] = t.value("mode", "");
        block["connections"] = t.value("connections", json());
        block["offered_rate"] = t.value("offered_rate", json());
        block["window_s"] = t.value("window_target_s", json());
      }
      block["trials"] = block["trials"].get<int>() + 1;
      if (t.value("valid", false)) block["valid"] = block["valid"].get<int>() + 1;
      if (t.value("valid", false) && t.value("bound", "") == "loadgen")
        block["loadgen_bound"] = block["loadgen_bound"].get<int>() + 1;
    }
    for (const std::string& name : scenario_metrics()) {
      Selection sel;
      sel.metric = find_metric(name);
      sel.scenario = scenario;
      json values = json::array();
      bool any = false;
      for (const std::string& server : figures.servers()) {
        json e = estimate_for(figures, sel, server);
        any = any || e.value("measured", false);
        values.push_back(e);
      }
      if (!any && name == "overhead_share") continue;
      block["metrics"].push_back({{"metric", metric_info(*sel.metric)}, {"values", values}});
    }
    out.push_back(block);
  }
  return out;
}

double point_x(const json& point, const std::string& vary) {
  if (vary != "rate" && point.contains("value")) {
    try {
      return std::stod(text_of(point["value"]));
    } catch (const std::exception&) {
    }
  }
  return member(point, "rate").is_number() ? point["rate"].get<double>() : 0;
}

json sweeps_block(const json& results, const Figures& figures) {
  json out = json::array();
  for (const json& sweep : member(results, "sweeps")) {
    const std::string name = sweep.value("name", "");
    const std::string vary = sweep.value("vary", "rate");
    json block = {{"name", name},
                  {"description", sweep.value("description", "")},
                  {"scenario", sweep.value("scenario", "")},
                  {"vary", vary},
                  {"x_label", vary == "rate" ? "offered rate (req/s)"
                                             : (vary == "live_mb" ? "live data (MB)" : vary)},
                  {"points", json::array()},
                  {"curves", json::array()},
                  {"capacity", json::array()}};
    for (const json& p : member(sweep, "points")) {
      block["points"].push_back({{"label", p.value("label", "")},
                                 {"x", point_x(p, vary)},
                                 {"headline", p.value("headline", false)},
                                 {"skipped", p.value("skipped", json())}});
    }
    const std::vector<std::string> metrics =
        vary == "rate" ? std::vector<std::string>{"p50_us", "p99_us", "cpu_share",
                                                  "cpu_us_per_request", "rss_mean_kib"}
                       : std::vector<std::string>{"rss_mean_kib", "rss_peak_kib",
                                                  "cpu_us_per_request", "p99_us"};
    for (const std::string& metric : metrics) {
      json curve = {{"metric", metric_info(*find_metric(metric))}, {"series", json::array()}};
      bool any = false;
      for (const std::string& server : figures.servers()) {
        json series = {{"server", server}, {"points", json::array()}};
        for (const json& p : member(sweep, "points")) {
          Selection sel;
          sel.metric = find_metric(metric);
          sel.sweep = name;
          sel.point = p.value("label", "");
          const Estimate e = figures.value(sel, server);
          if (!e.measured) continue;
          series["points"].push_back({{"x", point_x(p, vary)},
                                      {"label", sel.point},
                                      {"value", e.value},
                                      {"low", e.low},
                                      {"high", e.high},
                                      {"coverage", e.coverage},
                                      {"n", e.n}});
          any = true;
        }
        curve["series"].push_back(series);
      }
      if (any) block["curves"].push_back(curve);
    }
    // The capacity search's probes: latency and CPU share against the offered rate, one
    // window each, up to the first rate not held.
    for (const auto& [server, c] : member(sweep, "capacity").items()) {
      json probes = json::array();
      for (const json& p : member(c, "probes")) {
        probes.push_back({{"rate", p.value("rate", 0.0)},
                          {"held", p.value("held", false)},
                          {"p99_ms", p.value("p99_us", 0.0) / 1000},
                          {"cpu_share", p.value("cpu_share", 0.0)},
                          {"why_not", p.value("why_not", "")}});
      }
      block["capacity"].push_back({{"server", server},
                                   {"rate", c.value("rate", json())},
                                   {"failed_rate", c.value("failed_rate", json())},
                                   {"p99_bound_ms", c.value("p99_bound_ms", json())},
                                   {"probes", probes}});
    }
    out.push_back(block);
  }
  return out;
}

json builds_block(const json& results, const Figures& figures) {
  json out = {{"rows", json::array()}, {"curves", json::array()}};
  std::vector<std::map<std::string, std::string>> keys;
  for (const json& b : member(results, "builds")) {
    std::map<std::string, std::string> key;
    for (const char* field : {"kind", "build_profile", "loop", "size_modules"}) {
      if (b.contains(field) && !b[field].is_null()) key[field] = text_of(b[field]);
    }
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
  }
  for (const auto& key : keys) {
    Selection sel;
    sel.metric = find_metric("build_s");
    sel.where = key;
    std::string name;
    for (const char* field : {"loop", "kind", "build_profile"}) {
      if (key.count(field)) name += (name.empty() ? "" : " ") + key.at(field);
    }
    json row = {{"key", key}, {"name", name}, {"values", json::array()}};
    for (const std::string& server : figures.servers()) {
      json e = estimate_for(figures, sel, server);
      for (const json& b : member(results, "builds")) {
        if (b.value("server", "") == server && b.contains("skipped") && !b["skipped"].is_null()) {
          bool same = true;
          for (const auto& [k, v] : key) same = same && text_of(b.value(k, json())) == v;
          if (same) e["skipped"] = b["skipped"];
        }
      }
      row["values"].push_back(e);
    }
    out["rows"].push_back(row);
  }
  // Rebuild seconds against service size, per loop and server (generated services).
  std::map<std::string, std::map<std::string, json>> curves;  // loop -> server -> points
  for (const json& row : out["rows"]) {
    const auto& key = row["key"];
    if (!key.contains("size_modules")) continue;
    const std::string loop = key.value("loop", key.value("kind", std::string("build")));
    for (const json& e : row["values"]) {
      if (!e.value("measured", false)) continue;
      double size = 0;
      try {
        size = std::stod(key["size_modules"].get<std::string>());
      } catch (const std::exception&) {
        continue;
      }
      json& points = curves[loop][e["server"].get<std::string>()];
      if (points.is_null()) points = json::array();
      points.push_back({{"x", size},
                        {"value", e["value"]},
                        {"low", e["interval"][0]},
                        {"high", e["interval"][1]}});
    }
  }
  for (const auto& [loop, series] : curves) {
    json curve = {{"loop", loop}, {"series", json::array()}};
    for (const auto& [server, points] : series) {
      curve["series"].push_back({{"server", server}, {"points", points}});
    }
    out["curves"].push_back(curve);
  }
  return out;
}

json glossary_block() {
  json out = json::array();
  for (const Metric& m : metrics()) out.push_back(metric_info(m));
  return out;
}

}  // namespace

fs::path default_template_dir() {
  if (const char* dir = std::getenv("HELLOBENCH_REPORT_TEMPLATE"); dir && *dir) return dir;
  return fs::path(HELLOBENCH_SOURCE_DIR) / "orchestrator" / "report";
}

fs::path find_chart_library(const fs::path& bin_dir) {
  if (const char* file = std::getenv("HELLOBENCH_CHART_JS"); file && *file) return file;
  const fs::path relative = fs::path("node_modules") / "chart.js" / "dist" / "chart.umd.min.js";
  for (const fs::path& base :
       {bin_dir / ".." / "report", fs::path(HELLOBENCH_SOURCE_DIR) / "build" / "report"}) {
    std::error_code ec;
    if (fs::exists(base / relative, ec)) return fs::weakly_canonical(base / relative, ec);
  }
  return {};
}

DashboardAssets load_dashboard_assets(const fs::path& template_dir, const fs::path& chart_library) {
  DashboardAssets a;
  for (const char* name : {"dashboard.html", "dashboard.css", "dashboard.js"}) {
    std::error_code ec;
    if (!fs::exists(template_dir / name, ec)) {
      throw UsageError(
          fmt::format("the dashboard template {} is missing (set "
                      "HELLOBENCH_REPORT_TEMPLATE to orchestrator/report)",
                      (template_dir / name).string()));
    }
  }
  a.page = read_text(template_dir / "dashboard.html");
  a.style = read_text(template_dir / "dashboard.css");
  a.script = read_text(template_dir / "dashboard.js");
  std::error_code ec;
  if (chart_library.empty() || !fs::exists(chart_library, ec)) {
    throw MissingToolError(
        "Chart.js for the dashboard is not installed: run `make report-deps` (npm ci of "
        "orchestrator/report/package-lock.json into build/report), or set HELLOBENCH_CHART_JS "
        "to chart.umd.min.js");
  }
  a.chart_library = read_text(chart_library);
  return a;
}

json dashboard_data(const json& results, const json& history) {
  const Figures figures(results);
  return {{"schema", "hellobench-dashboard/1"},
          {"run", run_block(results)},
          {"environment", environment_block(results)},
          {"servers", servers_block(results)},
          {"server_order", figures.servers()},
          {"verify", verify_block(results)},
          {"claims", claims_block(results)},
          {"scenarios", scenarios_block(results, figures)},
          {"sweeps", sweeps_block(results, figures)},
          {"builds", builds_block(results, figures)},
          {"microbenchmarks", member(member(results, "microbenchmarks"), "rows").is_array()
                                  ? results["microbenchmarks"]["rows"]
                                  : json::array()},
          {"skipped", member(results, "skipped").is_array() ? results["skipped"] : json::array()},
          {"history", history},
          {"glossary", glossary_block()}};
}

std::string render_dashboard(const DashboardAssets& assets, const json& data) {
  std::string page = assets.page;
  const json& run = data["run"];
  const std::string title = fmt::format("hellobench: {} profile, {}", text_of(run["profile"]),
                                        text_of(run["started_at"]));
  // The bulky parts go in last, so that no placeholder text inside them is ever replaced.
  replace_all(page, "<!--hellobench:title-->", html_escape(title));
  replace_all(page, "<!--hellobench:style-->", "<style>\n" + assets.style + "\n</style>");
  replace_all(page, "<!--hellobench:script-->",
              "<script>\n" + script_safe(assets.script) + "\n</script>");
  replace_all(page, "<!--hellobench:chart-library-->",
              "<script>\n" + script_safe(without_source_map(assets.chart_library)) + "\n</script>");
  const std::string marker = "<!--hellobench:data-->";
  const std::size_t pos = page.find(marker);
  if (pos != std::string::npos) {
    page.replace(pos, marker.size(),
                 "<script type=\"application/json\" id=\"hellobench-data\">" + json_safe(data) +
                     "</script>");
  }
  return page;
}

fs::path write_dashboard(const fs::path& dir, const DashboardAssets& assets, const json& data) {
  fs::create_directories(dir);
  const fs::path file = dir / "index.html";
  write_file_atomic(file, render_dashboard(assets, data));
  return file;
}

}  // namespace hellobench
