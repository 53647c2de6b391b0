#include "output/compare.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <tuple>

#include "analysis/metrics.hpp"
#include "analysis/stats.hpp"
#include "analysis/summary.hpp"
#include "core/errors.hpp"

namespace hellobench {

using nlohmann::json;

namespace {

std::string text_of(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return "";
  return value.dump();
}

// A group of trials: a scenario outside sweeps, or one point of a sweep.
struct Group {
  std::string scenario, sweep, point;
  bool operator==(const Group& o) const {
    return std::tie(scenario, sweep, point) == std::tie(o.scenario, o.sweep, o.point);
  }
  std::string name() const { return sweep.empty() ? scenario : fmt::format("{}@{}", sweep, point); }
};

std::vector<Group> trial_groups(const json& results) {
  std::vector<Group> groups;
  for (const json& t : member(results, "trials")) {
    Group g{t.value("scenario", std::string()), text_of(t.value("sweep", json())),
            text_of(t.value("point", json()))};
    if (std::find(groups.begin(), groups.end(), g) == groups.end()) groups.push_back(g);
  }
  return groups;
}

// Build rows are told apart by kind, build profile and (where present) loop and size.
std::vector<std::map<std::string, std::string>> build_keys(const json& results) {
  std::vector<std::map<std::string, std::string>> keys;
  for (const json& b : member(results, "builds")) {
    std::map<std::string, std::string> key;
    for (const char* field : {"kind", "build_profile", "loop", "size_modules"}) {
      if (b.contains(field) && !b[field].is_null()) key[field] = text_of(b[field]);
    }
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
  }
  return keys;
}

std::string where_name(const std::map<std::string, std::string>& where) {
  std::vector<std::string> parts;
  for (const auto& [k, v] : where) parts.push_back(v);
  return fmt::format("{}", fmt::join(parts, " "));
}

json run_identity(const json& results) {
  const json& env = member(results, "environment");
  return {{"commit", env.value("git_commit", json())},
          {"dirty", env.value("git_dirty", false)},
          {"profile", member(results, "profile").value("name", env.value("profile", json()))},
          {"started_at", results.value("started_at", json())}};
}

std::vector<std::string> union_of(const std::vector<std::string>& a,
                                  const std::vector<std::string>& b) {
  std::vector<std::string> out = a;
  for (const std::string& x : b) {
    if (std::find(out.begin(), out.end(), x) == out.end()) out.push_back(x);
  }
  return out;
}

std::string value_cell(const json& e) {
  if (!e.value("measured", false)) return "-";
  const json& interval = e["interval"];
  const double v = e["value"].get<double>();
  std::string cell = format_interval(v, interval[0].get<double>(), interval[1].get<double>());
  if (e.value("estimator", "") == "value" && e.value("method", "") != "exact") {
    cell += fmt::format(" n={}", e.value("n", 0));
  }
  return cell;
}

std::string change_interval_cell(const json& c) {
  if (!c.value("measured", false)) return "-";
  const double low = c["low"].get<double>();
  const double high = c["high"].get<double>();
  if (low == high) return "";
  return fmt::format("[{}, {}]", percent_change(low), percent_change(high));
}

std::string coverage_cell(const json& c) {
  if (!c.value("measured", false)) return "";
  const std::string method = c.value("method", "");
  if (method == "exact") return "exact";
  if (method == "search brackets") return "bracket";
  return fmt::format(">={:.3g}%", c.value("coverage", 0.0) * 100);
}

std::string pad(const std::string& s, std::size_t width) {
  return s.size() >= width ? s + "  " : s + std::string(width - s.size() + 2, ' ');
}

}  // namespace

json Change::to_json() const {
  if (!measured) return {{"measured", false}, {"why_not", why_not}};
  return {{"measured", true},
          {"ratio", ratio},
          {"low", low},
          {"high", high},
          {"percent", (ratio - 1) * 100},
          {"interval_percent", {(low - 1) * 100, (high - 1) * 100}},
          {"coverage", coverage},
          {"coverage_if_independent", coverage_if_independent},
          {"method", method},
          {"n", {n_a, n_b}},
          {"mark", mark}};
}

std::string percent_change(double ratio) {
  if (!std::isfinite(ratio)) return ratio > 0 ? "+inf%" : "n/a";
  const double p = (ratio - 1) * 100;
  const double a = std::fabs(p);
  // Three significant figures, but never fewer than one decimal below 100%.
  if (a >= 1000) return fmt::format("{:+.0f}%", p);
  if (a >= 100) return fmt::format("{:+.0f}%", p);
  return fmt::format("{:+.1f}%", p);
}

std::string change_mark(const Metric& metric, double low, double high, double coverage) {
  if (low <= 1 && 1 <= high) return "~";
  if (coverage < kMinDecidingCoverage) return "?";
  const bool higher = low > 1;
  return higher == metric.lower_is_better ? "worse" : "better";
}

Change unpaired_change(const Figures& a, const std::string& server_a, const Figures& b,
                       const std::string& server_b, const Selection& selection) {
  Change c;
  const Metric& metric = *selection.metric;
  const Samples sa = a.samples(selection, server_a);
  const Samples sb = b.samples(selection, server_b);
  c.n_a = sa.values.size();
  c.n_b = sb.values.size();
  if (sa.values.empty()) {
    c.why_not = "A: " + a.why_missing(selection, server_a);
    return c;
  }
  if (sb.values.empty()) {
    c.why_not = "B: " + b.why_missing(selection, server_b);
    return c;
  }
  for (double x : sa.values) {
    if (!(x > 0)) {
      c.why_not = fmt::format("A's {} has a sample of {}: no ratio", metric.name, x);
      return c;
    }
  }
  c.measured = true;
  if (metric.source == MetricSource::capacity) {
    // One capacity per run, known only as a search bracket [held, first failed]: the ratio
    // lies in the quotient of the brackets for those searches; no probability is claimed.
    const double a_low = sa.values.front(), a_high = sa.bracket_high.value_or(a_low);
    const double b_low = sb.values.front(), b_high = sb.bracket_high.value_or(b_low);
    c.ratio = b_low / a_low;
    c.low = b_low / a_high;
    c.high = b_high / a_low;
    c.coverage = 0;
    c.method = "search brackets";
  } else if (sa.exact && sb.exact) {
    c.ratio = c.low = c.high = sb.values.front() / sa.values.front();
    c.coverage = c.coverage_if_independent = 1;
    c.method = "exact";
  } else {
    const stats::UnpairedInterval u = stats::unpaired_ratio(sb.values, sa.values, kTargetCoverage);
    c.ratio = u.estimate;
    c.low = u.low;
    c.high = u.high;
    c.coverage = u.coverage;
    c.coverage_if_independent = u.coverage_if_independent;
    c.method = u.method;
  }
  c.mark = change_mark(metric, c.low, c.high, c.method == "exact" ? 1.0 : c.coverage);
  if (c.method == "search brackets" && c.mark == "?") {
    // A bracket is a bound from the search itself: outside it the capacity was not held.
    c.mark = (c.low > 1) == metric.lower_is_better ? "worse" : "better";
  }
  return c;
}

const std::vector<std::string>& default_compare_metrics() {
  static const std::vector<std::string> names = {
      "rps",          "p50_us",       "p99_us",    "cpu_us_per_request",
      "rss_mean_kib", "rss_peak_kib", "startup_ms"};
  return names;
}

json environment_differences(const json& a, const json& b) {
  const json& ea = member(a, "environment");
  const json& eb = member(b, "environment");
  json out = json::array();
  for (const char* field : {"cpu_model", "cores", "kernel", "os", "server_threads"}) {
    const json va = ea.value(field, json());
    const json vb = eb.value(field, json());
    if (va != vb) out.push_back({{"field", field}, {"a", va}, {"b", vb}});
  }
  const json& ta = member(ea, "toolchains");
  const json& tb = member(eb, "toolchains");
  std::set<std::string> names;
  for (const auto& [k, v] : ta.items()) names.insert(k);
  for (const auto& [k, v] : tb.items()) names.insert(k);
  for (const std::string& name : names) {
    const json va = ta.value(name, json());
    const json vb = tb.value(name, json());
    if (va != vb) out.push_back({{"field", "toolchains." + name}, {"a", va}, {"b", vb}});
  }
  return out;
}

json compare_results(const json& a, const json& b, const CompareOptions& options) {
  std::vector<const Metric*> trial_metrics;
  for (const std::string& name :
       options.metrics.empty() ? default_compare_metrics() : options.metrics) {
    const Metric* m = find_metric(name);
    if (!m || m->source != MetricSource::trials) {
      throw UsageError(fmt::format("--metrics: unknown trial metric '{}' (known: {})", name,
                                   metric_names(MetricSource::trials)));
    }
    trial_metrics.push_back(m);
  }
  const Figures fa(a);
  const Figures fb(b);
  json out = {{"a", run_identity(a)},
              {"b", run_identity(b)},
              {"environment_differences", environment_differences(a, b)},
              {"note",
               "A and B are separate runs, so their rounds do not pair: each change is B/A, the "
               "ratio of medians, with the interval of two order-statistic intervals at 97.5% "
               "each (Bonferroni); its coverage is a guaranteed lower bound (93.75% with 6 "
               "trials a side, 50% with 3, 0% with 1). ~: the interval contains no change; ?: "
               "it excludes it, but with coverage under 90%."},
              {"rows", json::array()},
              {"only_in_a", json::array()},
              {"only_in_b", json::array()}};
  const std::vector<std::string> servers = union_of(fa.servers(), fb.servers());
  auto in = [](const std::vector<std::string>& list, const std::string& x) {
    return std::find(list.begin(), list.end(), x) != list.end();
  };
  auto add_row = [&](const std::string& server, const Selection& sel, const std::string& group,
                     const json& where) {
    const bool capacity = sel.metric->source == MetricSource::capacity;
    const Estimate ea = capacity ? fa.held_rate(sel, server) : fa.value(sel, server);
    const Estimate eb = capacity ? fb.held_rate(sel, server) : fb.value(sel, server);
    if (!ea.measured && !eb.measured) return;
    const Change c = unpaired_change(fa, server, fb, server, sel);
    json row = {{"server", server},
                {"group", group},
                {"metric", sel.metric->name},
                {"label", sel.metric->label},
                {"unit", sel.metric->unit},
                {"lower_is_better", sel.metric->lower_is_better},
                {"source", to_string(sel.metric->source)},
                {"a", ea.to_json()},
                {"b", eb.to_json()},
                {"change", c.to_json()}};
    if (!where.is_null()) row.update(where);
    out["rows"].push_back(row);
  };

  // Trials: per group and server, each metric.
  const std::vector<Group> ga = trial_groups(a);
  const std::vector<Group> gb = trial_groups(b);
  std::vector<Group> groups = ga;
  for (const Group& g : gb) {
    if (std::find(groups.begin(), groups.end(), g) == groups.end()) groups.push_back(g);
  }
  for (const Group& g : groups) {
    const bool in_a = std::find(ga.begin(), ga.end(), g) != ga.end();
    const bool in_b = std::find(gb.begin(), gb.end(), g) != gb.end();
    if (!in_a || !in_b) {
      out[in_a ? "only_in_a" : "only_in_b"].push_back(g.name());
      continue;
    }
    for (const Metric* m : trial_metrics) {
      for (const std::string& server : servers) {
        Selection sel;
        sel.metric = m;
        sel.scenario = g.scenario;
        sel.sweep = g.sweep;
        sel.point = g.point;
        json where = {{"scenario", g.scenario}};
        if (!g.sweep.empty()) {
          where["sweep"] = g.sweep;
          where["point"] = g.point;
        }
        add_row(server, sel, g.name(), where);
      }
    }
  }
  // Capacities, per sweep that measured one.
  std::set<std::string> sweeps;
  for (const json& s : member(a, "sweeps")) sweeps.insert(s.value("name", ""));
  for (const std::string& sweep : sweeps) {
    for (const std::string& server : servers) {
      Selection sel;
      sel.metric = find_metric("capacity_rps");
      sel.sweep = sweep;
      add_row(server, sel, "capacity " + sweep, {{"sweep", sweep}});
    }
  }
  // Builds, per kind (and loop, size) present in both.
  for (const auto& key : build_keys(a)) {
    const auto kb = build_keys(b);
    if (std::find(kb.begin(), kb.end(), key) == kb.end()) continue;
    for (const std::string& server : servers) {
      Selection sel;
      sel.metric = find_metric("build_s");
      sel.where = key;
      add_row(server, sel, "build " + where_name(key), {{"where", key}});
    }
  }
  // Binary sizes: exact.
  for (const char* name : {"binary_bytes", "stripped_bytes"}) {
    for (const std::string& server : servers) {
      if (!in(fa.servers(), server) || !in(fb.servers(), server)) continue;
      Selection sel;
      sel.metric = find_metric(name);
      add_row(server, sel, "binary", json());
    }
  }
  return out;
}

namespace {

// Rows grouped by metric, in first-seen order.
std::vector<std::pair<std::string, std::vector<const json*>>> by_metric(const json& comparison) {
  std::vector<std::pair<std::string, std::vector<const json*>>> blocks;
  for (const json& row : member(comparison, "rows")) {
    const std::string metric = row.value("metric", "");
    auto it = std::find_if(blocks.begin(), blocks.end(),
                           [&](const auto& b) { return b.first == metric; });
    if (it == blocks.end()) {
      blocks.push_back({metric, {}});
      it = blocks.end() - 1;
    }
    it->second.push_back(&row);
  }
  return blocks;
}

std::string run_line(const char* name, const json& run) {
  return fmt::format("{}: commit {}{}, {} profile, started {}", name,
                     text_of(run.value("commit", json())).substr(0, 12),
                     run.value("dirty", false) ? " (dirty)" : "",
                     text_of(run.value("profile", json())),
                     text_of(run.value("started_at", json())));
}

std::string metric_heading(const json& row) {
  return fmt::format("{} ({}, {})", row.value("metric", ""), row.value("unit", ""),
                     row.value("lower_is_better", true) ? "lower is better" : "higher is better");
}

}  // namespace

std::string render_compare_text(const json& comparison) {
  std::string out;
  out += run_line("A", comparison["a"]) + "\n";
  out += run_line("B", comparison["b"]) + "\n";
  for (const json& d : member(comparison, "environment_differences")) {
    out += fmt::format("environment differs: {}: A {} / B {}\n", d.value("field", ""),
                       text_of(d["a"]), text_of(d["b"]));
  }
  out += comparison.value("note", "") + "\n";
  for (const auto& [metric, rows] : by_metric(comparison)) {
    out += "\n" + metric_heading(*rows.front()) + "\n";
    std::vector<std::vector<std::string>> table = {
        {"server", "where", "A", "B", "B/A", "interval", "coverage", ""}};
    for (const json* r : rows) {
      const json& c = (*r)["change"];
      table.push_back(
          {r->value("server", ""), r->value("group", ""), value_cell((*r)["a"]),
           value_cell((*r)["b"]),
           c.value("measured", false) ? percent_change(c["ratio"].get<double>()) : "not compared",
           change_interval_cell(c), coverage_cell(c), c.value("mark", "")});
    }
    std::vector<std::size_t> widths(table.front().size(), 0);
    for (const auto& line : table) {
      for (std::size_t i = 0; i < line.size(); ++i) widths[i] = std::max(widths[i], line[i].size());
    }
    for (const auto& line : table) {
      std::string text;
      for (std::size_t i = 0; i < line.size(); ++i) {
        text += i + 1 == line.size() ? line[i] : pad(line[i], widths[i]);
      }
      while (!text.empty() && text.back() == ' ') text.pop_back();
      out += "  " + text + "\n";
    }
    for (const json* r : rows) {
      const json& c = (*r)["change"];
      if (!c.value("measured", false) && c.contains("why_not")) {
        out += fmt::format("  {} {}: {}\n", r->value("server", ""), r->value("group", ""),
                           c.value("why_not", ""));
      }
    }
  }
  for (const char* side : {"only_in_a", "only_in_b"}) {
    if (!member(comparison, side).empty()) {
      out += fmt::format("\nonly in {}: {}\n", side[8] == 'a' ? "A" : "B",
                         fmt::join(comparison[side].get<std::vector<std::string>>(), ", "));
    }
  }
  return out;
}

std::string render_compare_markdown(const json& comparison) {
  std::string md = "## hellobench compare\n\n";
  md += "- " + run_line("A", comparison["a"]) + "\n";
  md += "- " + run_line("B", comparison["b"]) + "\n";
  for (const json& d : member(comparison, "environment_differences")) {
    md += fmt::format("- **environment differs**: {}: A `{}` / B `{}`\n", d.value("field", ""),
                      text_of(d["a"]), text_of(d["b"]));
  }
  md += "\n" + comparison.value("note", "") + "\n";
  for (const auto& [metric, rows] : by_metric(comparison)) {
    md += "\n### " + metric_heading(*rows.front()) + "\n\n";
    md += "| server | where | A | B | B/A | interval | coverage | |\n";
    md += "| --- | --- | --- | --- | --- | --- | --- | --- |\n";
    for (const json* r : rows) {
      const json& c = (*r)["change"];
      const std::string mark = c.value("mark", "");
      md += fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} |\n", r->value("server", ""),
                        r->value("group", ""), value_cell((*r)["a"]), value_cell((*r)["b"]),
                        c.value("measured", false)
                            ? percent_change(c["ratio"].get<double>())
                            : "not compared: " + c.value("why_not", std::string()),
                        change_interval_cell(c), coverage_cell(c),
                        mark == "worse" || mark == "better" ? "**" + mark + "**" : mark);
    }
  }
  for (const char* side : {"only_in_a", "only_in_b"}) {
    if (!member(comparison, side).empty()) {
      md += fmt::format("\nOnly in {}: {}\n", side[8] == 'a' ? "A" : "B",
                        fmt::join(comparison[side].get<std::vector<std::string>>(), ", "));
    }
  }
  return md;
}

}  // namespace hellobench
