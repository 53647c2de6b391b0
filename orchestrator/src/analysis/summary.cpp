#include "analysis/summary.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "analysis/figures.hpp"
#include "analysis/metrics.hpp"
#include "analysis/stats.hpp"

namespace hellobench {

using nlohmann::json;

const std::vector<std::string>& summary_metric_names() {
  static const std::vector<std::string> names = {
      "rps",           "p50_us",          "p95_us",           "p99_us",
      "overhead_p50_us", "overhead_p95_us", "overhead_share",   "cpu_us_per_request",
      "cpu_share",     "cpu_seconds",     "rss_idle_kib",     "rss_mean_kib",
      "rss_peak_kib",  "rss_anon_mean_kib", "pss_kib",         "startup_ms",
      "gc_cycles",     "loadgen_cpu_share", "generator_side_share", "server_cpus_other_share",
  };
  return names;
}

const json& member(const json& object, const char* key) {
  static const json empty = json::object();
  if (!object.is_object()) return empty;
  const auto it = object.find(key);
  return it == object.end() || it->is_null() ? empty : *it;
}

namespace {

double num(const json& value) {
  return value.is_number() ? value.get<double>() : std::numeric_limits<double>::quiet_NaN();
}

// A group of trials: a scenario outside sweeps, or one point of a sweep.
struct GroupKey {
  std::string scenario, sweep, point;
  bool operator<(const GroupKey& o) const {
    return std::tie(sweep, point, scenario) < std::tie(o.sweep, o.point, o.scenario);
  }
  bool operator==(const GroupKey& o) const {
    return scenario == o.scenario && sweep == o.sweep && point == o.point;
  }
};

GroupKey key_of(const json& t) {
  return {t.value("scenario", std::string()), t.value("sweep", std::string()),
          t.value("point", std::string())};
}

std::vector<GroupKey> group_order(const json& trials) {
  std::vector<GroupKey> order;
  for (const json& t : trials) {
    const GroupKey k = key_of(t);
    if (std::find(order.begin(), order.end(), k) == order.end()) order.push_back(k);
  }
  return order;
}

Selection selection_for(const GroupKey& key, const Metric* metric) {
  Selection s;
  s.metric = metric;
  s.scenario = key.scenario;
  s.sweep = key.sweep;
  s.point = key.point;
  return s;
}

json comparison_json(const GroupKey& key, const std::string& metric, const std::string& server,
                     const std::string& baseline, const Estimate& e, const Samples& a,
                     const Samples& b) {
  json out = {{"scenario", key.scenario},
              {"metric", metric},
              {"server", server},
              {"baseline", baseline},
              {"ratio", e.value},
              {"interval", {e.low, e.high}},
              {"ci95", {e.low, e.high}},
              {"coverage", e.coverage},
              {"coverage_reached", e.coverage_reached},
              {"method", e.method},
              {"paired", e.paired},
              {"n", {a.values.size(), b.values.size()}}};
  if (!key.sweep.empty()) {
    out["sweep"] = key.sweep;
    out["point"] = key.point;
  }
  const stats::MannWhitney test = stats::mann_whitney_u(a.values, b.values);
  out["rank_test"] = stats::describe(test);
  out["significant"] = test.decided();
  out["rank_test_possible"] = test.can_reach();
  return out;
}

}  // namespace

json summarize_trials(const json& trials, const std::vector<std::string>& servers) {
  json out = {
      {"groups", json::array()}, {"comparisons", json::array()}, {"servers", json::object()}};
  const json doc = {{"trials", trials}};
  const Figures figures(doc);
  // Startup time and idle memory are taken before any load, so every trial whose server
  // started counts, whatever happened under load; pooled per server over the trials without
  // live data (live data changes both: the sweeps show them per point).
  for (const std::string& server : servers) {
    json pooled = json::object();
    for (const char* metric : {"startup_ms", "rss_idle_kib"}) {
      std::vector<double> values;
      for (const json& t : trials) {
        if (t.value("server", "") != server || !t.contains(metric) || !t[metric].is_number())
          continue;
        if (t.value("live_mb", 0.0) > 0) continue;
        values.push_back(t[metric].get<double>());
      }
      if (values.empty()) continue;
      const stats::MedianInterval m = stats::median_interval(values);
      pooled[metric] = {{"n", m.n},         {"median", m.median},    {"ci95", {m.low, m.high}},
                        {"interval", {m.low, m.high}}, {"coverage", m.coverage},
                        {"min", *std::min_element(values.begin(), values.end())},
                        {"max", *std::max_element(values.begin(), values.end())}};
    }
    out["servers"][server] = pooled;
  }
  for (const GroupKey& key : group_order(trials)) {
    for (const std::string& server : servers) {
      int total = 0, valid = 0, loadgen_bound = 0;
      for (const json& t : trials) {
        if (!(key_of(t) == key) || t.value("server", "") != server) continue;
        ++total;
        if (t.value("valid", false)) ++valid;
        if (t.value("valid", false) && t.value("bound", "") == "loadgen") ++loadgen_bound;
      }
      if (total == 0) continue;
      json group = {{"scenario", key.scenario},
                    {"server", server},
                    {"trials", total},
                    {"valid_trials", valid},
                    {"loadgen_bound_trials", loadgen_bound},
                    {"metrics", json::object()}};
      if (!key.sweep.empty()) {
        group["sweep"] = key.sweep;
        group["point"] = key.point;
      }
      for (const std::string& name : summary_metric_names()) {
        const Metric* metric = find_metric(name);
        const Samples s = figures.samples(selection_for(key, metric), server);
        if (s.values.empty()) continue;
        const stats::MedianInterval m = stats::median_interval(s.values);
        json outliers = json::array();
        for (std::size_t index : stats::tukey_outliers(s.values)) {
          outliers.push_back(s.rounds.at(index));
        }
        group["metrics"][name] = {
            {"n", m.n},
            {"median", m.median},
            {"interval", {m.low, m.high}},
            {"ci95", {m.low, m.high}},
            {"coverage", m.coverage},
            {"method", m.n == 1 ? "single sample" : m.method},
            {"min", *std::min_element(s.values.begin(), s.values.end())},
            {"max", *std::max_element(s.values.begin(), s.values.end())},
            {"outlier_repetitions", outliers},
            {"samples", s.values}};
      }
      out["groups"].push_back(group);
    }
    if (servers.size() < 2) continue;
    const std::string& baseline = servers.front();
    for (std::size_t i = 1; i < servers.size(); ++i) {
      for (const std::string& name : summary_metric_names()) {
        const Metric* metric = find_metric(name);
        const Selection sel = selection_for(key, metric);
        const Samples a = figures.samples(sel, servers[i]);
        const Samples b = figures.samples(sel, baseline);
        if (a.values.empty() || b.values.empty()) continue;
        const bool positive =
            std::all_of(b.values.begin(), b.values.end(), [](double x) { return x > 0; }) &&
            std::all_of(a.values.begin(), a.values.end(), [](double x) { return x >= 0; });
        if (!positive) continue;
        const Estimate e = figures.ratio(sel, servers[i], baseline);
        if (!e.measured) continue;
        out["comparisons"].push_back(comparison_json(key, name, servers[i], baseline, e, a, b));
      }
    }
  }
  return out;
}

std::string format_number(double value) {
  if (!std::isfinite(value)) return "-";
  const double magnitude = std::fabs(value);
  auto significant = [](double v) {
    const double a = std::fabs(v);
    if (a >= 100) return fmt::format("{:.0f}", v);
    if (a >= 10) return fmt::format("{:.1f}", v);
    if (a >= 1) return fmt::format("{:.2f}", v);
    if (a == 0) return std::string("0");
    if (a >= 0.1) return fmt::format("{:.3f}", v);
    return fmt::format("{:.2g}", v);
  };
  if (magnitude >= 1e9) return significant(value / 1e9) + "G";
  if (magnitude >= 1e6) return significant(value / 1e6) + "M";
  if (magnitude >= 1e4) return significant(value / 1e3) + "k";
  return significant(value);
}

std::string format_interval(double median, double low, double high) {
  const double magnitude = std::fabs(median);
  double divisor = 1;
  const char* suffix = "";
  if (magnitude >= 1e9) {
    divisor = 1e9, suffix = "G";
  } else if (magnitude >= 1e6) {
    divisor = 1e6, suffix = "M";
  } else if (magnitude >= 1e4) {
    divisor = 1e3, suffix = "k";
  }
  auto digits = [](double v) {
    const double a = std::fabs(v);
    if (a >= 100) return fmt::format("{:.0f}", v);
    if (a >= 10) return fmt::format("{:.1f}", v);
    if (a >= 1) return fmt::format("{:.2f}", v);
    return fmt::format("{:.3f}", v);
  };
  if (low == high && low == median) return digits(median / divisor) + suffix;
  return fmt::format("{}{} [{}-{}{}]", digits(median / divisor), suffix, digits(low / divisor),
                     digits(high / divisor), suffix);
}

namespace {

const json* find_group(const json& summary, const GroupKey& key, const std::string& server) {
  for (const json& g : member(summary, "groups")) {
    if (g.value("scenario", "") == key.scenario && g.value("sweep", "") == key.sweep &&
        g.value("point", "") == key.point && g.value("server", "") == server) {
      return &g;
    }
  }
  return nullptr;
}

const json* find_comparison(const json& summary, const GroupKey& key, const std::string& server,
                            const std::string& metric) {
  for (const json& c : member(summary, "comparisons")) {
    if (c.value("scenario", "") == key.scenario && c.value("sweep", "") == key.sweep &&
        c.value("point", "") == key.point && c.value("server", "") == server &&
        c.value("metric", "") == metric) {
      return &c;
    }
  }
  return nullptr;
}

std::string metric_cell(const json* group, const Metric& m) {
  if (!group || !group->contains("metrics") || !(*group)["metrics"].contains(m.name)) return "-";
  const json& s = (*group)["metrics"][m.name];
  if (s.value("n", 0) == 1) return format_interval(num(s["median"]), num(s["median"]), num(s["median"]));
  return format_interval(num(s["median"]), num(s["interval"][0]), num(s["interval"][1]));
}

std::string ratio_digits(double ratio) {
  const double a = std::fabs(ratio);
  if (a >= 100) return fmt::format("{:.0f}", ratio);
  if (a >= 10) return fmt::format("{:.1f}", ratio);
  return fmt::format("{:.2f}", ratio);
}

std::string ratio_cell(const json* c) {
  if (!c) return "-";
  // '*': a rank test that could decide found the difference significant at 5%.
  return fmt::format("{}x [{}-{}]{}", ratio_digits(num((*c)["ratio"])),
                     ratio_digits(num((*c)["interval"][0])), ratio_digits(num((*c)["interval"][1])),
                     c->value("significant", false) ? "*" : "");
}

// A table cell padded to its column, and never run into the next one.
std::string pad(const std::string& text, std::size_t width = 22) {
  return text.size() < width ? text + std::string(width - text.size(), ' ') : text + ' ';
}

std::string trim_right(std::string s) {
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

std::vector<std::string> server_names(const json& results) {
  std::vector<std::string> names;
  for (const json& s : member(results, "servers")) names.push_back(s.value("name", ""));
  if (names.empty()) {
    for (const json& t : member(results, "trials")) {
      const std::string n = t.value("server", "");
      if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
    }
  }
  return names;
}

const json* find_build(const json& builds, const std::string& server, const std::string& kind,
                       const std::string& profile) {
  for (const json& b : builds) {
    if (b.value("server", "") == server && b.value("kind", "") == kind &&
        b.value("build_profile", "") == profile) {
      return &b;
    }
  }
  return nullptr;
}

std::string build_cell(const json* b) {
  if (!b) return "-";
  if (!b->value("ok", false)) return "FAILED";
  if (!member(*b, "median_s").is_number()) return "-";
  return format_number(member(*b, "median_s").get<double>()) + " s";
}

// The coverage of the intervals a table shows, in words: "95% intervals need n >= 6".
std::string coverage_words(const json& summary) {
  std::set<int> ns;
  for (const json& g : member(summary, "groups")) {
    for (const auto& [name, m] : member(g, "metrics").items()) ns.insert(m.value("n", 0));
  }
  std::vector<std::string> parts;
  for (int n : ns) {
    if (n <= 1) {
      parts.push_back("n = 1: a single value, no interval");
      continue;
    }
    const stats::MedianInterval m =
        stats::median_interval(std::vector<double>(static_cast<std::size_t>(n), 1.0));
    parts.push_back(fmt::format("n = {}: {:.1f}%", n, m.coverage * 100));
  }
  return fmt::format("{}", fmt::join(parts, "; "));
}

void render_group(std::string& out, const json& results, const GroupKey& key,
                  const std::vector<std::string>& servers) {
  const json& summary = member(results, "summary");
  const json& trials = member(results, "trials");
  const json* sample = nullptr;
  for (const json& t : trials) {
    if (key_of(t) == key) {
      sample = &t;
      break;
    }
  }
  if (!sample) return;
  const bool open = sample->value("mode", "") == "open";
  std::string rate;
  if (open && member(*sample, "offered_rate").is_number()) {
    rate = fmt::format(" at {} req/s", format_number(member(*sample, "offered_rate").get<double>()));
  }
  std::string live;
  if (sample->value("live_mb", 0.0) > 0) {
    live = fmt::format(", {} MB live data", format_number(sample->value("live_mb", 0.0)));
  }
  const std::string title =
      key.sweep.empty() ? key.scenario : fmt::format("{} @ {}", key.sweep, key.point);
  out += fmt::format("\n{} {}: {} {}{}, {} connections{}\n", title, sample->value("path", ""),
                     sample->value("generator", ""), open ? "open loop" : "closed loop", rate,
                     sample->value("connections", 0), live);
  const bool waits = sample->contains("overhead_us");
  std::vector<std::string> columns;
  if (!open) {
    columns = {"rps", "p99_us", "cpu_us_per_request", "rss_peak_kib"};
  } else if (waits) {
    columns = {"p95_us", "overhead_p50_us", "cpu_us_per_request", "rss_mean_kib"};
  } else {
    columns = {"p95_us", "p99_us", "cpu_us_per_request", "rss_mean_kib"};
  }
  std::string header = fmt::format("{:<10}", "server");
  for (const std::string& c : columns) header += fmt::format("{:<22}", find_metric(c)->label);
  out += trim_right(header) + '\n';
  std::vector<std::string> notes;
  std::vector<std::string> busy;
  const std::string baseline = servers.empty() ? "" : servers.front();
  for (const std::string& server : servers) {
    const json* group = find_group(summary, key, server);
    if (!group) continue;
    std::string line = fmt::format("{:<10}", server.substr(0, 9));
    for (const std::string& c : columns) line += pad(metric_cell(group, *find_metric(c)));
    out += trim_right(line) + '\n';
    if (server != baseline) {
      std::string ratios = fmt::format("{:<10}", fmt::format(" /{}", baseline.substr(0, 8)));
      for (const std::string& c : columns) {
        ratios += pad(ratio_cell(find_comparison(summary, key, server, c)));
      }
      out += trim_right(ratios) + '\n';
    }
    const int invalid = group->value("trials", 0) - group->value("valid_trials", 0);
    if (invalid > 0) {
      notes.push_back(fmt::format("{}: {} of {} trials invalid (left out)", server, invalid,
                                  group->value("trials", 0)));
    }
    const json& metrics = member(*group, "metrics");
    const double interference = num(member(member(metrics, "server_cpus_other_share"), "median"));
    if (interference > 0.10) busy.push_back(fmt::format("{} {:.0f}%", server, 100 * interference));
    if (group->value("loadgen_bound_trials", 0) > 0) {
      notes.push_back(fmt::format("{}: the generator side was the bottleneck in {} of {} trials "
                                  "(throughput is a floor; left out of throughput and latency)",
                                  server, group->value("loadgen_bound_trials", 0),
                                  group->value("valid_trials", 0)));
    }
  }
  if (!busy.empty()) {
    notes.push_back(fmt::format("other load on the server CPU: {} of the window (noisy)",
                                fmt::join(busy, ", ")));
  }
  for (const std::string& note : notes) out += "  note: " + note + '\n';
}

// A sweep as one compact table: a row per point, per server the rate held, CPU share, CPU per
// request, mean RSS and p99.
void render_sweep(std::string& out, const json& sweep, const std::vector<std::string>& servers) {
  out += fmt::format("\nsweep {} ({} over {}): {}\n", sweep.value("name", ""),
                     sweep.value("scenario", ""), sweep.value("vary", ""),
                     sweep.value("description", ""));
  const json& capacity = member(sweep, "capacity");
  if (!capacity.empty()) {
    std::vector<std::string> caps;
    for (const std::string& server : servers) {
      const json& c = member(capacity, server.c_str());
      if (c.empty()) continue;
      if (member(c, "rate").is_number()) {
        caps.push_back(fmt::format(
            "{} {}{}", server, format_number(c["rate"].get<double>()),
            c.value("floor_only", false) ? " (floor: generator-bound)" : ""));
      } else {
        caps.push_back(fmt::format("{} none held", server));
      }
    }
    if (!caps.empty()) {
      out += fmt::format("  capacity (req/s with p99 <= {} ms): {}\n",
                         format_number(member(capacity, servers.front().c_str())
                                           .value("p99_bound_ms", 0.0)),
                         fmt::join(caps, ", "));
    }
  }
  out += fmt::format("  {:<18}{:<8}{:<9}{:<8}{:<12}{:<10}{}\n", "point", "server", "req/s",
                     "CPU", "CPU us/req", "RSS MiB", "p99 ms");
  for (const json& p : member(sweep, "points")) {
    if (p.contains("skipped")) {
      out += fmt::format("  {:<18}skipped: {}\n", p.value("label", "").substr(0, 17),
                         p.value("skipped", ""));
      continue;
    }
    bool first = true;
    for (const std::string& server : servers) {
      const json& f = member(member(p, "servers"), server.c_str());
      if (f.empty()) continue;
      auto cell = [&](const char* key, double scale) {
        const json& v = member(f, key);
        return v.is_number() ? format_number(v.get<double>() * scale) : std::string("-");
      };
      const json& share = member(f, "cpu_share");
      out += fmt::format("  {:<18}{:<8}{:<9}{:<8}{:<12}{:<10}{}{}\n",
                         first ? p.value("label", "").substr(0, 17) : "", server.substr(0, 7),
                         cell("achieved_rate", 1),
                         share.is_number() ? fmt::format("{:.1f}%", share.get<double>() * 100) : "-",
                         cell("cpu_us_per_request", 1), cell("rss_mean_kib", 1.0 / 1024),
                         cell("p99_us", 1e-3),
                         f.value("n", 0) > 0 ? ""
                         : f.value("over_capacity", 0) > 0
                             ? "  (over its capacity)"
                             : "  (no valid trial)");
      first = false;
    }
  }
}

std::string claims_block(const json& claims) {
  if (!claims.is_array() || claims.empty()) return "";
  std::string out = fmt::format("\n{:<15}{:<15}{:<34}{:<12}{}\n", "claim", "verdict",
                                "measured [interval] (coverage, n)", "article", "regime");
  for (const json& c : claims) {
    const json& m = member(c, "measured");
    std::string measured = "not measured";
    if (m.value("measured", false)) {
      const std::string unit = c.value("unit", std::string());
      const std::string suffix = unit == "ratio" ? "x" : (unit == "ms" || unit == "s") ? " " + unit : "";
      if (m.value("method", "") == "exact") {
        measured = fmt::format("{}{} (exact)", format_number(num(m["value"])), suffix);
      } else if (m.value("estimator", "") == "held_rate") {
        // A capacity search bracket, not an interval with a coverage.
        const double low = num(m["interval"][0]), high = num(m["interval"][1]);
        measured = high > low ? fmt::format("held {}, failed {}", format_number(low),
                                            format_number(high))
                              : fmt::format("held {}", format_number(low));
      } else {
        measured = fmt::format("{}{} [{}-{}] ({:.0f}%, {})", format_number(num(m["value"])), suffix,
                               format_number(num(m["interval"][0])),
                               format_number(num(m["interval"][1])),
                               m.value("coverage", 0.0) * 100, m.value("n", 0));
      }
    }
    std::string article = "-";
    if (member(c, "threshold").is_number()) {
      article = fmt::format("{} {}", c.value("side", "") == "at_least" ? ">=" : "<=",
                            format_number(c["threshold"].get<double>()));
    }
    // 15 + 15 + 34 + 12 columns before the regime leave it 24 of the 100; the sentence below
    // gives it in full.
    const std::string regime = member(c, "regime").value("label", std::string());
    out += fmt::format("{:<15}{:<15}{:<34}{:<12}{}\n", c.value("id", "").substr(0, 14),
                       c.value("verdict", ""), measured.substr(0, 33), article,
                       regime.substr(0, 24));
  }
  out += "\n";
  for (const json& c : claims) {
    out += fmt::format("{}: {}\n", c.value("id", ""), c.value("sentence", std::string()));
  }
  return out;
}

// Lines longer than `width` broken at the last space that fits and continued with an indent
// of four: sentences, notes, titles and descriptions. Table rows are laid out to fit.
std::string wrap_lines(const std::string& text, std::size_t width) {
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    const std::string indent = "    ";
    bool continued = false;
    while (line.size() > width) {
      const std::size_t cut = line.rfind(' ', width);
      const std::size_t floor = continued ? indent.size() : 0;
      if (cut == std::string::npos || cut <= floor) break;  // one long word: left as it is
      out += trim_right(line.substr(0, cut)) + '\n';
      const std::size_t next = line.find_first_not_of(' ', cut);
      line = next == std::string::npos ? std::string() : indent + line.substr(next);
      continued = true;
    }
    out += line;
    if (end < text.size()) out += '\n';
    start = end + 1;
  }
  return out;
}

}  // namespace

std::string render_terminal_summary(const json& results) {
  std::string out;
  const json& env = member(results, "environment");
  const json& summary = member(results, "summary");
  const std::vector<std::string> servers = server_names(results);
  const std::string baseline = servers.empty() ? "" : servers.front();
  out += fmt::format(
      "hellobench {} profile, {} | {} cores | server CPUs {}, generator CPUs {}\n",
      env.value("profile", "?"), env.value("cpu_model", "?"), env.value("cores", 0),
      env.contains("cpu_sets") ? member(member(env, "cpu_sets"), "server").dump() : "?",
      env.contains("cpu_sets") ? member(member(env, "cpu_sets"), "generator").dump() : "?");
  out += fmt::format(
      "median [order-statistic interval]; ratios vs {}: median of per-round ratios [interval]\n",
      baseline);
  const std::string coverage = coverage_words(summary);
  if (!coverage.empty()) out += "interval coverage by n: " + coverage + "\n";
  out += "* = a rank test that can reach p < 0.05 with these n found a difference\n";

  const json& trials = member(results, "trials");
  for (const GroupKey& key : group_order(trials)) {
    if (!key.sweep.empty()) continue;  // sweeps print as curves below
    render_group(out, results, key, servers);
  }
  for (const json& sweep : member(results, "sweeps")) {
    render_sweep(out, sweep, servers);
    for (const json& p : member(sweep, "points")) {
      if (!p.value("headline", false)) continue;
      render_group(out, results,
                   {sweep.value("scenario", ""), sweep.value("name", ""), p.value("label", "")},
                   servers);
    }
  }
  for (const json& s : member(results, "skipped")) {
    out += fmt::format("\n{}: skipped ({})", s.value("scenario", ""), s.value("reason", ""));
  }
  if (!member(results, "skipped").empty()) out += '\n';

  if (summary.contains("servers")) {
    out += fmt::format("\n{:<10}{:<22}{:<22}{}\n", "server", "startup ms", "idle RSS MiB",
                       "binary MiB (stripped)");
    for (const std::string& server : servers) {
      const json& s = member(member(summary, "servers"), server.c_str());
      std::string line = fmt::format("{:<10}", server.substr(0, 9));
      for (const char* metric : {"startup_ms", "rss_idle_kib"}) {
        const double scale = find_metric(metric)->scale;
        if (s.contains(metric)) {
          line += fmt::format("{:<22}", format_interval(num(s[metric]["median"]) * scale,
                                                        num(s[metric]["interval"][0]) * scale,
                                                        num(s[metric]["interval"][1]) * scale));
        } else {
          line += fmt::format("{:<22}", "-");
        }
      }
      for (const json& entry : member(results, "servers")) {
        if (entry.value("name", "") != server || !entry.contains("binary")) continue;
        const json& b = entry["binary"];
        if (b.is_object() && member(b, "bytes").is_number()) {
          line += format_number(member(b, "bytes").get<double>() / 1048576.0);
          if (member(b, "stripped_bytes").is_number()) {
            line += fmt::format(
                " ({})", format_number(member(b, "stripped_bytes").get<double>() / 1048576.0));
          }
        }
      }
      out += trim_right(line) + '\n';
    }
  }

  const json& builds = member(results, "builds");
  if (!builds.empty()) {
    out += fmt::format("\n{:<10}{:<14}{:<14}{:<14}{:<16}{}\n", "build", "dev clean", "dev no-op",
                       "dev 1-field", "release clean", "CI build+test");
    for (const std::string& server : servers) {
      out += fmt::format("{:<10}{:<14}{:<14}{:<14}{:<16}{}\n", server.substr(0, 9),
                         build_cell(find_build(builds, server, "clean", "debug")),
                         build_cell(find_build(builds, server, "noop", "debug")),
                         build_cell(find_build(builds, server, "incremental", "debug")),
                         build_cell(find_build(builds, server, "clean", "release")),
                         build_cell(find_build(builds, server, "ci", "release")));
    }
  }
  out += claims_block(member(results, "claims"));
  return wrap_lines(out, 100);
}

}  // namespace hellobench
