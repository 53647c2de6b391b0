#include "gate/judge.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>

#include "analysis/stats.hpp"
#include "analysis/summary.hpp"
#include "output/compare.hpp"

namespace hellobench {

using nlohmann::json;

namespace {

std::string allowed_text(const Metric& metric, double allowed_pct) {
  return metric.lower_is_better ? fmt::format("+{:g}%", allowed_pct)
                                : fmt::format("-{:g}%", allowed_pct);
}

std::vector<std::string> servers_of(const GateRule& rule, const std::vector<std::string>& run) {
  if (rule.servers.empty()) return run;
  std::vector<std::string> out;
  for (const std::string& s : rule.servers) {
    if (std::find(run.begin(), run.end(), s) != run.end()) out.push_back(s);
  }
  return out;
}

Selection selection_of(const GateRule& rule) {
  Selection s;
  s.metric = rule.metric;
  s.scenario = rule.scenario;
  return s;
}

json row_of(const GateRule& rule, const std::string& server, double allowed_pct) {
  return {{"rule", rule.name},
          {"rule_where", rule.where},
          {"server", server},
          {"scenario", rule.scenario},
          {"metric", rule.metric->name},
          {"label", rule.metric->label},
          {"lower_is_better", rule.metric->lower_is_better},
          {"severity", rule.hard ? "hard" : "soft"},
          {"allowed_pct", allowed_pct},
          {"allowed", allowed_text(*rule.metric, allowed_pct)}};
}

void settle(json& row) {
  const std::string verdict = row.value("verdict", "");
  const bool hard = row.value("severity", "") == "hard";
  row["failed"] = hard && (verdict == kGateRegression || verdict == kGateNotMeasured);
  row["warned"] = !row["failed"].get<bool>() && verdict != kGatePass;
}

json finish(json verdict) {
  int hard = 0, soft = 0;
  for (json& row : verdict["rows"]) {
    settle(row);
    if (row["failed"].get<bool>()) ++hard;
    if (row.value("verdict", "") == kGateRegression && row.value("severity", "") == "soft") ++soft;
  }
  verdict["hard_failures"] = hard;
  verdict["soft_failures"] = soft;
  verdict["passed"] = hard == 0;
  return verdict;
}

std::vector<std::string> run_servers(const json& doc) {
  std::vector<std::string> names;
  for (const json& s : member(doc, "servers")) names.push_back(s.value("name", ""));
  return names;
}

// The rounds in which both sides have a counted sample, in round order.
struct RoundPairs {
  std::vector<double> candidate, baseline;
};
RoundPairs pair_rounds(const Samples& candidate, const Samples& baseline) {
  RoundPairs out;
  for (std::size_t i = 0; i < candidate.values.size(); ++i) {
    for (std::size_t j = 0; j < baseline.values.size(); ++j) {
      if (candidate.rounds[i] == baseline.rounds[j] && baseline.values[j] > 0) {
        out.candidate.push_back(candidate.values[i]);
        out.baseline.push_back(baseline.values[j]);
        break;
      }
    }
  }
  return out;
}

std::string figure_where(const json& row) {
  const std::string scenario = row.value("scenario", "");
  return scenario.empty() ? "binary" : scenario;
}

}  // namespace

std::string baseline_name(const std::string& server, const std::string& baseline_label) {
  return server + "@" + baseline_label;
}

GateCheck judge_change(const Metric& metric, double allowed_pct, double ratio, double low,
                       double high, double coverage, bool exact) {
  GateCheck c;
  const double limit = metric.lower_is_better ? 1 + allowed_pct / 100 : 1 - allowed_pct / 100;
  const auto worse_than = [&](double x, double bound) {
    return metric.lower_is_better ? x > bound : x < bound;
  };
  const std::string change = percent_change(ratio);
  const std::string interval = exact
                                   ? "exact"
                                   : fmt::format("[{}, {}], {:.3g}% coverage", percent_change(low),
                                                 percent_change(high), coverage * 100);
  const std::string allowed = allowed_text(metric, allowed_pct);
  if (!worse_than(ratio, limit)) {
    c.verdict = kGatePass;
    c.reason =
        fmt::format("{} {} ({}) is within the allowed {}", metric.label, change, interval, allowed);
    return c;
  }
  const bool interval_worse = metric.lower_is_better ? low > 1 : high < 1;
  if (exact || (interval_worse && coverage >= kMinDecidingCoverage)) {
    c.verdict = kGateRegression;
    c.reason = fmt::format("{} {} ({}): worse than the allowed {}", metric.label, change, interval,
                           allowed);
    return c;
  }
  c.verdict = kGateUnclear;
  c.reason = fmt::format(
      "{} {} is beyond the allowed {}, but {} ({}): not called a regression", metric.label, change,
      allowed,
      interval_worse ? "the interval's coverage is under 90%" : "the interval reaches no change",
      interval);
  return c;
}

json judge_same_job(const json& doc, const GateRules& rules,
                    const std::vector<std::string>& servers, const std::string& baseline_label) {
  const Figures figures(doc);
  json verdict = {{"mode", "same-job"},
                  {"rules_file", rules.file.string()},
                  {"baseline", baseline_label},
                  {"rows", json::array()},
                  {"warnings", json::array()}};
  for (const GateRule& rule : rules.rules) {
    for (const std::string& server : servers_of(rule, servers)) {
      json row = row_of(rule, server, rule.allowed_pct);
      const std::string base = baseline_name(server, baseline_label);
      const Selection sel = selection_of(rule);
      const Samples cand = figures.samples(sel, server);
      const Samples basel = figures.samples(sel, base);
      const RoundPairs pairs = pair_rounds(cand, basel);
      if (cand.exact && basel.exact) {
        // File sizes: one exact figure a side (Figures' exact ratio).
        const Estimate e = figures.ratio(sel, server, base);
        const GateCheck c =
            judge_change(*rule.metric, rule.allowed_pct, e.value, e.low, e.high, 1, /*exact=*/true);
        row.update({{"ratio", e.value},
                    {"low", e.low},
                    {"high", e.high},
                    {"coverage", 1},
                    {"method", "exact"},
                    {"n", 1},
                    {"paired", false},
                    {"verdict", c.verdict},
                    {"reason", c.reason}});
      } else if (pairs.candidate.empty()) {
        row["verdict"] = kGateNotMeasured;
        row["reason"] = cand.values.empty() ? figures.why_missing(sel, server)
                        : basel.values.empty()
                            ? figures.why_missing(sel, base)
                            : std::string("no round has a valid trial of both binaries");
      } else {
        // The rounds where both binaries have a counted trial: an invalid trial of one (a rate
        // not held, say) drops its round, never the pairing of the others.
        const stats::PairedInterval p =
            stats::paired_ratio(pairs.candidate, pairs.baseline, kTargetCoverage);
        const GateCheck c = judge_change(*rule.metric, rule.allowed_pct, p.estimate, p.low, p.high,
                                         p.coverage, false);
        std::string reason = c.reason;
        const std::size_t rounds =
            std::max(cand.values.size() + cand.invalid, basel.values.size() + basel.invalid);
        if (pairs.candidate.size() < rounds) {
          reason += fmt::format(
              " ({} of {} rounds paired: the others lack a valid trial of "
              "one binary)",
              pairs.candidate.size(), rounds);
        }
        row.update({{"ratio", p.estimate},
                    {"low", p.low},
                    {"high", p.high},
                    {"coverage", p.coverage},
                    {"method", p.n == 1 ? "single round" : p.method},
                    {"n", p.n},
                    {"paired", true},
                    {"per_round", p.per_round},
                    {"verdict", c.verdict},
                    {"reason", reason}});
      }
      verdict["rows"].push_back(row);
    }
  }
  return finish(verdict);
}

json judge_stored(const json& baseline, const json& candidate, const GateRules& rules) {
  const Figures fa(baseline);
  const Figures fb(candidate);
  json verdict = {{"mode", "stored"},
                  {"rules_file", rules.file.string()},
                  {"rows", json::array()},
                  {"warnings", json::array()}};
  for (const json& d : environment_differences(baseline, candidate)) {
    verdict["warnings"].push_back(fmt::format(
        "the environments differ: {}: baseline {} / candidate {} (stored-baseline figures then "
        "compare machines as much as code; prefer the same-job gate)",
        d.value("field", ""), d["a"].is_string() ? d["a"].get<std::string>() : d["a"].dump(),
        d["b"].is_string() ? d["b"].get<std::string>() : d["b"].dump()));
  }
  std::vector<std::string> both;
  const std::vector<std::string> in_b = run_servers(candidate);
  for (const std::string& s : run_servers(baseline)) {
    if (std::find(in_b.begin(), in_b.end(), s) != in_b.end()) both.push_back(s);
  }
  for (const GateRule& rule : rules.rules) {
    for (const std::string& server : servers_of(rule, both)) {
      json row = row_of(rule, server, rule.stored_allowed_pct);
      const Change c = unpaired_change(fa, server, fb, server, selection_of(rule));
      if (!c.measured) {
        row["verdict"] = kGateNotMeasured;
        row["reason"] = c.why_not;
      } else {
        const bool exact = c.method == "exact";
        const GateCheck g = judge_change(*rule.metric, rule.stored_allowed_pct, c.ratio, c.low,
                                         c.high, c.coverage, exact);
        row.update({{"ratio", c.ratio},
                    {"low", c.low},
                    {"high", c.high},
                    {"coverage", c.coverage},
                    {"method", c.method},
                    {"n", {c.n_a, c.n_b}},
                    {"paired", false},
                    {"verdict", g.verdict},
                    {"reason", g.reason}});
      }
      verdict["rows"].push_back(row);
    }
  }
  return finish(verdict);
}

int gate_exit_code(const json& verdict) { return verdict.value("passed", false) ? 0 : 1; }

namespace {

std::string change_cell(const json& row) {
  if (!row.contains("ratio")) return "-";
  return percent_change(row["ratio"].get<double>());
}

std::string interval_cell(const json& row) {
  if (!row.contains("ratio")) return "";
  if (row.value("method", "") == "exact") return "exact";
  return fmt::format("[{}, {}] {:.3g}%", percent_change(row["low"].get<double>()),
                     percent_change(row["high"].get<double>()),
                     row["coverage"].get<double>() * 100);
}

std::string verdict_cell(const json& row) {
  const std::string v = row.value("verdict", "");
  if (row.value("failed", false)) return "FAIL " + v;
  if (row.value("warned", false)) return "warn " + v;
  return v;
}

std::string header(const json& verdict) {
  if (verdict.value("mode", "") == "same-job") {
    return fmt::format(
        "hellobench gate, same-job: candidate (working tree) against baseline {}, measured "
        "interleaved in one run; change = paired ratio candidate/baseline per round, median "
        "and order-statistic interval.",
        verdict.value("baseline", ""));
  }
  return "hellobench gate, stored baseline: two separate runs; change = ratio of medians with a "
         "Bonferroni interval (coverage a lower bound), judged with the wider stored margins.";
}

std::string summary_line(const json& verdict) {
  const int hard = verdict.value("hard_failures", 0);
  const int soft = verdict.value("soft_failures", 0);
  if (hard > 0) {
    return fmt::format("gate: FAIL: {} hard rule figure(s) failed{}", hard,
                       soft > 0 ? fmt::format(", {} soft regression(s) warned", soft) : "");
  }
  return fmt::format("gate: PASS ({} figures judged{})", verdict["rows"].size(),
                     soft > 0 ? fmt::format("; {} soft regression(s) warned", soft) : "");
}

}  // namespace

std::string render_gate_text(const json& verdict) {
  std::string out = header(verdict) + "\n";
  for (const json& w : member(verdict, "warnings"))
    out += "warning: " + w.get<std::string>() + "\n";
  std::vector<std::vector<std::string>> table = {{"rule", "server", "where", "metric", "severity",
                                                  "allowed", "change", "interval", "verdict"}};
  for (const json& row : verdict["rows"]) {
    table.push_back({row.value("rule", ""), row.value("server", ""), figure_where(row),
                     row.value("label", ""), row.value("severity", ""), row.value("allowed", ""),
                     change_cell(row), interval_cell(row), verdict_cell(row)});
  }
  std::vector<std::size_t> widths(table.front().size(), 0);
  for (const auto& line : table) {
    for (std::size_t i = 0; i < line.size(); ++i) widths[i] = std::max(widths[i], line[i].size());
  }
  for (const auto& line : table) {
    std::string text;
    for (std::size_t i = 0; i < line.size(); ++i) {
      text += line[i];
      if (i + 1 < line.size()) text += std::string(widths[i] - line[i].size() + 2, ' ');
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out += text + "\n";
  }
  for (const json& row : verdict["rows"]) {
    if (row.value("failed", false) || row.value("warned", false)) {
      out += fmt::format("{}: rule '{}' ({}), {} {}: {}\n",
                         row.value("failed", false) ? "FAILED" : "warning", row.value("rule", ""),
                         row.value("severity", ""), row.value("server", ""), figure_where(row),
                         row.value("reason", ""));
    }
  }
  out += summary_line(verdict) + "\n";
  return out;
}

std::string render_gate_markdown(const json& verdict) {
  std::string md = "## hellobench gate\n\n" + header(verdict) + "\n\n";
  for (const json& w : member(verdict, "warnings"))
    md += "- warning: " + w.get<std::string>() + "\n";
  md += "\n| rule | server | where | metric | severity | allowed | change | interval | verdict |\n";
  md += "| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n";
  for (const json& row : verdict["rows"]) {
    const std::string v = verdict_cell(row);
    md += fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n", row.value("rule", ""),
                      row.value("server", ""), figure_where(row), row.value("label", ""),
                      row.value("severity", ""), row.value("allowed", ""), change_cell(row),
                      interval_cell(row), row.value("failed", false) ? "**" + v + "**" : v);
  }
  md += "\n";
  for (const json& row : verdict["rows"]) {
    if (row.value("failed", false) || row.value("warned", false)) {
      md += fmt::format("- {} `{}` ({}), {} {}: {}\n",
                        row.value("failed", false) ? "**failed**" : "warning",
                        row.value("rule", ""), row.value("severity", ""), row.value("server", ""),
                        figure_where(row), row.value("reason", ""));
    }
  }
  md += "\n**" + summary_line(verdict) + "**\n";
  return md;
}

}  // namespace hellobench
