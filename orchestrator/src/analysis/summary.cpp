#include "analysis/summary.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "analysis/stats.hpp"

namespace hellobench {

using nlohmann::json;

const std::vector<MetricDef>& summary_metrics() {
  static const std::vector<MetricDef> metrics = {
      {"rps", "/rps", "req/s", 1, false},
      {"p50_us", "/latency_us/p50", "p50 ms", 1e-3, true},
      {"p95_us", "/latency_us/p95", "p95 ms", 1e-3, true},
      {"p99_us", "/latency_us/p99", "p99 ms", 1e-3, true},
      {"cpu_us_per_request", "/cpu_us_per_request", "CPU us/req", 1, true},
      {"cpu_seconds", "/cpu_seconds", "CPU s", 1, true},
      {"rss_idle_kib", "/rss_idle_kib", "idle RSS MiB", 1.0 / 1024, true},
      {"rss_mean_kib", "/rss_mean_kib", "RSS mean MiB", 1.0 / 1024, true},
      {"rss_peak_kib", "/rss_peak_kib", "RSS peak MiB", 1.0 / 1024, true},
      {"startup_ms", "/startup_ms", "startup ms", 1, true},
      {"server_cpu_share", "/server_cpu_share", "server CPU", 1, true},
      {"loadgen_cpu_share", "/loadgen_cpu_share", "loadgen CPU", 1, true},
      {"server_cpus_other_share", "/server_cpus_other_share", "other load", 1, true},
      {"server_cpus_steal_share", "/server_cpus_steal_share", "steal", 1, true},
  };
  return metrics;
}

const json& member(const json& object, const char* key) {
  static const json empty = json::object();
  if (!object.is_object()) return empty;
  const auto it = object.find(key);
  return it == object.end() || it->is_null() ? empty : *it;
}

namespace {

// A number from results.json; null (how JSON stores an infinite interval end) reads as NaN.
double num(const json& value) {
  return value.is_number() ? value.get<double>() : std::numeric_limits<double>::quiet_NaN();
}

double num_or_zero(const json& value) { return value.is_number() ? value.get<double>() : 0.0; }

const MetricDef* find_metric(const std::string& name) {
  for (const MetricDef& m : summary_metrics()) {
    if (name == m.name) return &m;
  }
  return nullptr;
}

std::vector<std::string> scenario_order(const json& trials) {
  std::vector<std::string> order;
  for (const json& t : trials) {
    const std::string s = t.value("scenario", "");
    if (std::find(order.begin(), order.end(), s) == order.end()) order.push_back(s);
  }
  return order;
}

struct Samples {
  std::vector<double> values;
  std::vector<int> repetitions;
};

// scenario -> server -> metric -> samples (valid trials only, in repetition order).
using SampleMap = std::map<std::string, std::map<std::string, std::map<std::string, Samples>>>;

SampleMap collect(const json& trials) {
  SampleMap map;
  for (const json& t : trials) {
    if (!t.value("valid", false)) continue;
    for (const MetricDef& m : summary_metrics()) {
      const json::json_pointer pointer(m.pointer);
      if (!t.contains(pointer) || !t.at(pointer).is_number()) continue;
      const double value = t.at(pointer).get<double>();
      if (!std::isfinite(value)) continue;
      Samples& s = map[t.value("scenario", "")][t.value("server", "")][m.name];
      s.values.push_back(value);
      s.repetitions.push_back(t.value("repetition", 0));
    }
  }
  return map;
}

}  // namespace

json summarize_trials(const json& trials, const std::vector<std::string>& servers) {
  json out = {
      {"groups", json::array()}, {"comparisons", json::array()}, {"servers", json::object()}};
  const SampleMap map = collect(trials);
  // Startup time and idle memory are taken before any load, so every trial whose server
  // started counts, whatever happened under load; pooled over all scenarios.
  for (const std::string& server : servers) {
    json pooled = json::object();
    for (const char* metric : {"startup_ms", "rss_idle_kib"}) {
      std::vector<double> values;
      for (const json& t : trials) {
        if (t.value("server", "") == server && t.contains(metric) && t[metric].is_number()) {
          values.push_back(t[metric].get<double>());
        }
      }
      if (values.empty()) continue;
      const stats::Summary s = stats::summarize(values);
      pooled[metric] = {{"n", s.n},
                        {"median", s.median},
                        {"ci95", {s.ci95.low, s.ci95.high}},
                        {"min", s.min},
                        {"max", s.max}};
    }
    out["servers"][server] = pooled;
  }
  for (const std::string& scenario : scenario_order(trials)) {
    const auto by_server = map.find(scenario);
    for (const std::string& server : servers) {
      int total = 0, valid = 0, loadgen_bound = 0;
      for (const json& t : trials) {
        if (t.value("scenario", "") != scenario || t.value("server", "") != server) continue;
        ++total;
        if (t.value("valid", false)) ++valid;
        if (t.value("valid", false) && t.value("bound", "") == "loadgen") ++loadgen_bound;
      }
      if (total == 0) continue;
      json group = {{"scenario", scenario},
                    {"server", server},
                    {"trials", total},
                    {"valid_trials", valid},
                    {"loadgen_bound_trials", loadgen_bound},
                    {"metrics", json::object()}};
      if (by_server != map.end() && by_server->second.count(server)) {
        for (const auto& [metric, samples] : by_server->second.at(server)) {
          const stats::Summary s = stats::summarize(samples.values);
          json outliers = json::array();
          for (std::size_t index : s.outliers) outliers.push_back(samples.repetitions.at(index));
          group["metrics"][metric] = {{"n", s.n},
                                      {"median", s.median},
                                      {"ci95", {s.ci95.low, s.ci95.high}},
                                      {"mean", s.mean},
                                      {"min", s.min},
                                      {"max", s.max},
                                      {"outlier_repetitions", outliers},
                                      {"samples", samples.values}};
        }
      }
      out["groups"].push_back(group);
    }
    if (servers.empty() || by_server == map.end()) continue;
    const std::string& baseline = servers.front();
    if (!by_server->second.count(baseline)) continue;
    for (std::size_t i = 1; i < servers.size(); ++i) {
      if (!by_server->second.count(servers[i])) continue;
      for (const MetricDef& m : summary_metrics()) {
        const auto& base = by_server->second.at(baseline);
        const auto& other = by_server->second.at(servers[i]);
        if (!base.count(m.name) || !other.count(m.name)) continue;
        const auto& a = other.at(m.name).values;
        const auto& b = base.at(m.name).values;
        // A ratio needs a positive baseline and non-negative samples (stats.hpp).
        const auto negative = [](const std::vector<double>& v) {
          return std::any_of(v.begin(), v.end(), [](double x) { return x < 0; });
        };
        if (stats::median(b) <= 0 || negative(a) || negative(b)) continue;
        const stats::Ratio ratio = stats::ratio_of_medians(a, b);
        const stats::MannWhitney test = stats::mann_whitney_u(a, b);
        out["comparisons"].push_back({{"scenario", scenario},
                                      {"metric", m.name},
                                      {"server", servers[i]},
                                      {"baseline", baseline},
                                      {"ratio", ratio.ratio},
                                      {"ci95", {ratio.ci95.low, ratio.ci95.high}},
                                      {"mann_whitney_u", test.u},
                                      {"p_value", test.p_value},
                                      {"significant", test.significant()},
                                      {"n", {a.size(), b.size()}}});
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

const json* find_group(const json& summary, const std::string& scenario,
                       const std::string& server) {
  for (const json& g : member(summary, "groups")) {
    if (g.value("scenario", "") == scenario && g.value("server", "") == server) return &g;
  }
  return nullptr;
}

const json* find_comparison(const json& summary, const std::string& scenario,
                            const std::string& server, const std::string& metric) {
  for (const json& c : member(summary, "comparisons")) {
    if (c.value("scenario", "") == scenario && c.value("server", "") == server &&
        c.value("metric", "") == metric) {
      return &c;
    }
  }
  return nullptr;
}

std::string metric_cell(const json* group, const MetricDef& m) {
  if (!group || !group->contains("metrics") || !(*group)["metrics"].contains(m.name)) return "-";
  const json& s = (*group)["metrics"][m.name];
  return format_interval(num(s["median"]) * m.scale, num(s["ci95"][0]) * m.scale,
                         num(s["ci95"][1]) * m.scale);
}

std::string ratio_digits(double ratio) {
  const double a = std::fabs(ratio);
  if (a >= 100) return fmt::format("{:.0f}", ratio);
  if (a >= 10) return fmt::format("{:.1f}", ratio);
  return fmt::format("{:.2f}", ratio);
}

std::string ratio_cell(const json* c) {
  if (!c) return "-";
  // '*': the Mann-Whitney U test finds the difference significant at 5%.
  return fmt::format("{}x [{}-{}]{}", ratio_digits(num((*c)["ratio"])),
                     ratio_digits(num((*c)["ci95"][0])), ratio_digits(num((*c)["ci95"][1])),
                     c->value("significant", false) ? "*" : "");
}

// A table cell padded to its column, and never run into the next one.
std::string pad(const std::string& text, std::size_t width = 22) {
  return text.size() < width ? text + std::string(width - text.size(), ' ') : text + ' ';
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

}  // namespace

namespace {

// "go/rust 2.21 [2.10, 2.30] n=3": a claim's measured figure in one cell.
std::string claim_measured_cell(const json& claim) {
  const json& m = member(claim, "measured");
  if (!m.is_object() || !member(m, "value").is_number()) return "not measured";
  auto number = [](const json& x) {
    return x.is_number() ? format_number(x.get<double>()) : "inf";
  };
  const json& ci = member(m, "ci95");
  std::string cell = claim.value("comparison", std::string()) + " " + number(m["value"]);
  const std::string unit = claim.value("unit", std::string());
  if (unit == "ms" || unit == "s" || unit == "requests/s") cell += " " + unit;
  if (m.value("exact", false)) return cell + " (exact)";
  if (ci.is_array() && ci.size() == 2 && ci[0] != ci[1]) {
    cell += fmt::format(" [{}, {}]", number(ci[0]), number(ci[1]));
  }
  return cell + fmt::format(" n={}", m.value("n", 0));
}

// The verdicts, one line each: id, measured, the threshold read from the article, verdict.
std::string claims_table(const json& claims) {
  if (!claims.is_array() || claims.empty()) return "";
  std::string out =
      fmt::format("\n{:<16}{:<46}{:<14}{}\n", "claim", "measured (95% CI)", "article", "verdict");
  for (const json& c : claims) {
    std::string article = "-";
    if (member(c, "threshold").is_number()) {
      article = fmt::format("{} {}", c.value("side", "") == "at_least" ? ">=" : "<=",
                            format_number(c["threshold"].get<double>()));
    }
    std::string measured = claim_measured_cell(c);
    if (measured.size() > 45) measured = measured.substr(0, 44) + "~";
    out += fmt::format("{:<16}{:<46}{:<14}{}\n", c.value("id", "").substr(0, 15), measured, article,
                       c.value("verdict", ""));
  }
  return out;
}

}  // namespace

std::string render_terminal_summary(const json& results) {
  std::string out;
  const json& env = member(results, "environment");
  const json summary = member(results, "summary");
  const std::vector<std::string> servers = server_names(results);
  const std::string baseline = servers.empty() ? "" : servers.front();
  out += fmt::format(
      "hellobench {} profile, {} | {} cores | server CPUs {}, generator CPUs {}\n",
      env.value("profile", "?"), env.value("cpu_model", "?"), env.value("cores", 0),
      env.contains("cpu_sets") ? member(member(env, "cpu_sets"), "server").dump() : "?",
      env.contains("cpu_sets") ? member(member(env, "cpu_sets"), "generator").dump() : "?");
  out += "median [95% interval]; ratios vs " + baseline + ", * = significant (Mann-Whitney, 5%)\n";
  // With 3 against 3 the smallest two-sided exact p is 0.1: say so rather than let the missing
  // stars read as "no difference".
  std::size_t most_valid = 0;
  for (const json& g : member(summary, "groups")) {
    most_valid = std::max<std::size_t>(most_valid, g.value("valid_trials", 0));
  }
  if (most_valid > 0 && most_valid < 4) {
    out += fmt::format("n <= {} per server: too few trials for the rank test to reach p < 0.05\n",
                       most_valid);
  }

  const json& trials = member(results, "trials");
  for (const std::string& scenario : scenario_order(trials)) {
    const json* sample = nullptr;
    for (const json& t : trials) {
      if (t.value("scenario", "") == scenario) {
        sample = &t;
        break;
      }
    }
    const bool open = sample && sample->value("mode", "") == "open";
    std::string rate;
    if (open && member(*sample, "offered_rate").is_number()) {
      rate =
          fmt::format(" at {} req/s", format_number(member(*sample, "offered_rate").get<double>()));
    }
    out += fmt::format(
        "\n{} {}: {} {}{}, {} connections\n", scenario, sample ? sample->value("path", "") : "",
        sample ? sample->value("generator", "") : "", open ? "open loop" : "closed loop", rate,
        sample ? sample->value("connections", 0) : 0);
    const std::vector<std::string> columns =
        open ? std::vector<std::string>{"rps", "p95_us", "p99_us", "cpu_us_per_request"}
             : std::vector<std::string>{"rps", "p99_us", "cpu_us_per_request", "rss_peak_kib"};
    std::string header = fmt::format("{:<10}", "server");
    for (const std::string& c : columns) header += fmt::format("{:<22}", find_metric(c)->label);
    while (!header.empty() && header.back() == ' ') header.pop_back();
    out += header + '\n';
    std::vector<std::string> notes;
    std::vector<std::string> busy;  // servers whose CPU was shared with other work
    for (const std::string& server : servers) {
      const json* group = find_group(summary, scenario, server);
      if (!group) continue;
      std::string line = fmt::format("{:<10}", server.substr(0, 9));
      for (const std::string& c : columns) line += pad(metric_cell(group, *find_metric(c)));
      while (!line.empty() && line.back() == ' ') line.pop_back();
      out += line + '\n';
      if (server != baseline) {
        std::string ratios = fmt::format("{:<10}", fmt::format(" /{}", baseline.substr(0, 8)));
        for (const std::string& c : columns) {
          ratios += pad(ratio_cell(find_comparison(summary, scenario, server, c)));
        }
        while (!ratios.empty() && ratios.back() == ' ') ratios.pop_back();
        out += ratios + '\n';
      }
      const int invalid = group->value("trials", 0) - group->value("valid_trials", 0);
      if (invalid > 0) {
        notes.push_back(fmt::format("{}: {} of {} trials invalid (left out)", server, invalid,
                                    group->value("trials", 0)));
      }
      const json& metrics = member(*group, "metrics");
      const double interference =
          num_or_zero(member(member(metrics, "server_cpus_other_share"), "median")) +
          num_or_zero(member(member(metrics, "server_cpus_steal_share"), "median"));
      if (interference > 0.10)
        busy.push_back(fmt::format("{} {:.0f}%", server, 100 * interference));
      if (group->value("loadgen_bound_trials", 0) > 0) {
        notes.push_back(fmt::format(
            "{}: load generator was the bottleneck in {} of {} trials "
            "(throughput is a floor)",
            server, group->value("loadgen_bound_trials", 0), group->value("valid_trials", 0)));
      }
    }
    if (!busy.empty()) {
      // Rule 15's spirit: say when the windows measured the machine's contention too.
      notes.push_back(fmt::format("other load on the server CPU: {} of the window (noisy)",
                                  fmt::join(busy, ", ")));
    }
    for (const std::string& note : notes) out += "  note: " + note + '\n';
  }
  for (const json& s : member(results, "skipped")) {
    out += fmt::format("\n{}: skipped ({})", s.value("scenario", ""), s.value("reason", ""));
  }
  if (!member(results, "skipped").empty()) out += '\n';

  // Startup and idle memory do not depend on the scenario: pooled over every trial.
  const json& all = member(results, "summary");
  if (all.contains("servers")) {
    out += fmt::format("\n{:<10}{:<22}{:<22}{}\n", "server", "startup ms", "idle RSS MiB",
                       "binary MiB (stripped)");
    for (const std::string& server : servers) {
      const json& s = member(member(all, "servers"), server.c_str());
      std::string line = fmt::format("{:<10}", server.substr(0, 9));
      for (const char* metric : {"startup_ms", "rss_idle_kib"}) {
        const MetricDef& m = *find_metric(metric);
        if (s.contains(metric)) {
          line += fmt::format("{:<22}", format_interval(num(s[metric]["median"]) * m.scale,
                                                        num(s[metric]["ci95"][0]) * m.scale,
                                                        num(s[metric]["ci95"][1]) * m.scale));
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
      while (!line.empty() && line.back() == ' ') line.pop_back();
      out += line + '\n';
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
  out += claims_table(member(results, "claims"));
  return out;
}

}  // namespace hellobench
