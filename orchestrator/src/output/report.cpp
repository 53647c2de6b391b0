#include "output/report.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <limits>

#include "analysis/summary.hpp"

namespace hellobench {

using nlohmann::json;

namespace {

std::string text(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return "-";
  return value.dump();
}

// A number from results.json; null (how JSON stores an infinite interval end) reads as NaN.
double num(const json& value) {
  return value.is_number() ? value.get<double>() : std::numeric_limits<double>::quiet_NaN();
}

// "52.1k [51.0-53.2k] (97%)": median, order-statistic interval and its coverage; n = 1 is
// the value alone (a single value is no interval).
std::string cell_for(const json& metric, double scale) {
  if (metric.value("n", 0) <= 1) {
    return format_interval(num(metric["median"]) * scale, num(metric["median"]) * scale,
                           num(metric["median"]) * scale);
  }
  const json& interval = metric.contains("interval") ? metric["interval"] : metric["ci95"];
  return fmt::format("{} ({:.0f}%)",
                     format_interval(num(metric["median"]) * scale, num(interval[0]) * scale,
                                     num(interval[1]) * scale),
                     num(metric.value("coverage", json())) * 100);
}

std::string claim_measured(const json& m, const std::string& unit) {
  if (!m.is_object() || !m.value("measured", false)) return "not measured";
  const std::string suffix = unit == "ratio" ? "x" : (unit == "share" || unit == "count") ? ""
                                                                                           : " " + unit;
  if (m.value("method", "") == "exact") return format_number(num(m["value"])) + suffix + " (exact)";
  if (m.value("estimator", "") == "held_rate") {
    return fmt::format("held {}, failed at {}", format_number(num(m["interval"][0])),
                       format_number(num(m["interval"][1])));
  }
  return fmt::format("{}{} [{}, {}], {:.3g}% coverage ({}), n = {}",
                     format_number(num(m["value"])), suffix, format_number(num(m["interval"][0])),
                     format_number(num(m["interval"][1])), num(m["coverage"]) * 100,
                     m.value("method", ""), m.value("n", 0));
}

}  // namespace

std::string render_markdown(const json& results) {
  std::string md;
  const json& env = member(results, "environment");
  md += fmt::format("# hellobench run: {} profile\n\n", env.value("profile", "?"));
  md += fmt::format(
      "Started {}, finished {}. Commit `{}`{}.\n\n", text(results.value("started_at", json())),
      text(results.value("finished_at", json())), text(env.value("git_commit", json())),
      env.value("git_dirty", false) ? " (with uncommitted changes)" : "");

  // The claims first: what a reader came for, each verdict in one quotable sentence.
  md += "## Claims\n\n";
  const json& claims = member(results, "claims");
  if (claims.empty()) {
    md += results.value("claims_note", std::string("No claim verdicts in this run.")) + "\n\n";
  } else {
    for (const json& c : claims) {
      md += fmt::format("- **{}: {}.** {}\n", c.value("id", ""), text(c.value("verdict", json())),
                        text(c.value("sentence", json())));
    }
    md += "\n| claim | the article | regime | measured | verdict |\n"
          "| --- | --- | --- | --- | --- |\n";
    for (const json& c : claims) {
      std::string side;
      if (member(c, "threshold").is_number()) {
        side = fmt::format(" (read as {} {})", c.value("side", "") == "at_least" ? ">=" : "<=",
                           format_number(num(c["threshold"])));
      }
      md += fmt::format("| {} | {}{} | {} | {} | **{}** |\n", c.value("id", ""),
                        text(c.value("text", json())), side,
                        member(c, "regime").value("label", std::string()),
                        claim_measured(member(c, "measured"), c.value("unit", std::string())),
                        text(c.value("verdict", json())));
    }
    md += "\n" + results.value("claims_note", std::string()) + "\n";
    md += "\n<details><summary>Every part of every claim</summary>\n\n"
          "| claim | role | part | measured | verdict | why |\n"
          "| --- | --- | --- | --- | --- | --- |\n";
    for (const json& c : claims) {
      for (const json& p : member(c, "parts")) {
        if (p.contains("points")) {
          for (const json& point : p["points"]) {
            md += fmt::format("| {} | {} | {} @ {} | {} | {} | {} |\n", c.value("id", ""),
                              p.value("role", ""), p.value("label", ""),
                              point.value("point", ""),
                              claim_measured(member(point, "measured"), p.value("unit", "")),
                              text(point.value("verdict", json())),
                              text(point.value("reason", json())));
          }
          continue;
        }
        md += fmt::format("| {} | {} | {} | {} | {} | {} |\n", c.value("id", ""),
                          p.value("role", ""), p.value("label", ""),
                          claim_measured(member(p, "measured"), p.value("unit", "")),
                          text(p.value("verdict", json())), text(p.value("reason", json())));
      }
    }
    md += "\n</details>\n\n";
    md += fmt::format("Scope: {}.\n\n", text(claims[0].value("scope", json())));
  }

  md += "## Environment\n\n| item | value |\n| --- | --- |\n";
  md +=
      fmt::format("| CPU | {} ({} cores) |\n", env.value("cpu_model", "?"), env.value("cores", 0));
  md +=
      fmt::format("| kernel | {} |\n| OS | {} |\n", env.value("kernel", "?"), env.value("os", "?"));
  if (env.contains("cpu_sets")) {
    md += fmt::format("| CPU sets | server {}, generator {}, orchestrator {} |\n",
                      member(member(env, "cpu_sets"), "server").dump(),
                      member(member(env, "cpu_sets"), "generator").dump(),
                      member(member(env, "cpu_sets"), "orchestrator").dump());
  }
  md +=
      fmt::format("| server threads | {} |\n| build jobs | {} |\n",
                  text(env.value("server_threads", json())), text(env.value("build_jobs", json())));
  // value() returns a copy: keep it alive for items(), which only refers to it.
  const json toolchains = member(env, "toolchains");
  for (const auto& [name, version] : toolchains.items()) {
    md += fmt::format("| {} | {} |\n", name, text(version));
  }

  const json& rules = member(results, "rules_bent");
  if (!rules.empty()) {
    md += "\n## Measurement rules bent on this machine\n\n";
    for (const json& r : rules)
      md += fmt::format("- rule {}: {}\n", text(r.value("rule", json())), r.value("reason", ""));
  }

  md +=
      "\n## Servers\n\n| server | language | binary bytes | stripped | shared libraries | tuning "
      "|\n"
      "| --- | --- | --- | --- | --- | --- |\n";
  for (const json& s : member(results, "servers")) {
    const json b = member(s, "binary");
    std::vector<std::string> libs;
    for (const json& l : member(b, "shared_libraries")) libs.push_back(l.get<std::string>());
    md += fmt::format("| {} | {} | {} | {} | {} | {} |\n", s.value("label", s.value("name", "")),
                      s.value("language", ""), text(b.value("bytes", json())),
                      text(b.value("stripped_bytes", json())),
                      libs.empty() ? "none (static)" : fmt::format("{}", fmt::join(libs, ", ")),
                      s.value("tuning", ""));
  }

  const json& verify = member(results, "verify");
  md += "\n## Verification\n\n";
  const json verified = member(verify, "servers");
  for (const auto& [name, v] : verified.items()) {
    std::vector<std::string> failed;
    for (const json& c : member(v, "checks")) {
      if (!c.value("passed", false))
        failed.push_back(fmt::format("{} ({})", c.value("name", ""), c.value("detail", "")));
    }
    md += fmt::format("- {}: {} ({} checks){}\n", name,
                      v.value("passed", false) ? "pass" : "**FAIL**", member(v, "checks").size(),
                      failed.empty() ? "" : fmt::format(": {}", fmt::join(failed, "; ")));
  }
  for (const json& c : member(verify, "parity")) {
    if (!c.value("passed", false))
      md += fmt::format("- parity **FAIL**: {}: {}\n", c.value("name", ""), c.value("detail", ""));
  }

  const json& builds = member(results, "builds");
  if (!builds.empty()) {
    md +=
        "\n## Builds (seconds, median of n)\n\n| server | kind | profile | n | median | samples | "
        "binary bytes | stripped |\n"
        "| --- | --- | --- | --- | --- | --- | --- | --- |\n";
    for (const json& b : builds) {
      std::vector<std::string> samples;
      for (const json& s : member(b, "samples_s"))
        samples.push_back(fmt::format("{:.2f}", s.get<double>()));
      md += fmt::format(
          "| {} | {} | {} | {} | {} | {} | {} | {} |\n", b.value("server", ""), b.value("kind", ""),
          b.value("build_profile", ""), text(b.value("n", json())),
          b.value("ok", false) ? (member(b, "median_s").is_number()
                                      ? fmt::format("{:.2f}", member(b, "median_s").get<double>())
                                      : "-")
                               : "FAILED: " + b.value("error", std::string()),
          fmt::join(samples, ", "), text(b.value("binary_bytes", json())),
          text(b.value("binary_stripped_bytes", json())));
    }
  }

  const json& summary = member(results, "summary");
  md +=
      "\n## Load trials\n\nMedian [order-statistic interval] (its coverage) over valid trials; "
      "ratios against the first server are medians of per-round ratios with their interval. "
      "Closed-loop latency (wrk) hides stalls (coordinated omission); fixed-rate (open) latency "
      "does not.\n";
  std::string current;
  // A named copy: `sample` below points into it.
  const json trials = member(results, "trials");
  for (const json& g : member(summary, "groups")) {
    const std::string scenario =
        g.contains("sweep") ? fmt::format("{} @ {}", g.value("sweep", ""), g.value("point", ""))
                            : g.value("scenario", "");
    if (scenario != current) {
      current = scenario;
      const json* sample = nullptr;
      for (const json& t : trials) {
        if (t.value("scenario", "") == g.value("scenario", "") &&
            t.value("sweep", "") == g.value("sweep", "") &&
            t.value("point", "") == g.value("point", "")) {
          sample = &t;
          break;
        }
      }
      md += fmt::format(
          "\n### {}{}\n\n", scenario,
          sample ? fmt::format(" (`{}`, {}, {} loop, {} connections{})", sample->value("path", ""),
                               sample->value("generator", ""), sample->value("mode", ""),
                               text(sample->value("connections", json())),
                               member(*sample, "offered_rate").is_number()
                                   ? fmt::format(", {} req/s offered",
                                                 text(member(*sample, "offered_rate")))
                                   : "")
                 : "");
      md +=
          "| server | valid/trials | req/s | p50 ms | p99 ms | CPU us/req | RSS mean MiB | RSS "
          "peak MiB | bound by loadgen | other load on server CPU % |\n"
          "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n";
    }
    const json& m = member(g, "metrics");
    auto cell = [&](const char* name, double scale) {
      return m.contains(name) ? cell_for(m[name], scale) : "-";
    };
    md += fmt::format("| {} | {}/{} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
                      g.value("server", ""), g.value("valid_trials", 0), g.value("trials", 0),
                      cell("rps", 1), cell("p50_us", 1e-3), cell("p99_us", 1e-3),
                      cell("cpu_us_per_request", 1), cell("rss_mean_kib", 1.0 / 1024),
                      cell("rss_peak_kib", 1.0 / 1024), g.value("loadgen_bound_trials", 0),
                      cell("server_cpus_other_share", 100));
  }
  const json& comparisons = member(summary, "comparisons");
  if (!comparisons.empty()) {
    md +=
        "\n### Ratios\n\n| scenario | metric | ratio | interval | coverage | rank test |\n"
        "| --- | --- | --- | --- | --- | --- |\n";
    for (const json& c : comparisons) {
      const std::string metric = c.value("metric", "");
      if (metric != "rps" && metric != "p99_us" && metric != "cpu_us_per_request" &&
          metric != "rss_peak_kib" && metric != "p95_us") {
        continue;
      }
      // The rank test is quoted as stats::describe() put it: "not run" where n cannot reach
      // p < 0.05, never "no significant difference" when it could not look.
      md += fmt::format(
          "| {} | {} {}/{} | {:.3f}x | {:.3f}-{:.3f} | {:.3g}% ({}) | {} |\n",
          c.contains("sweep") ? c.value("sweep", "") + " @ " + c.value("point", "")
                              : c.value("scenario", ""),
          metric, c.value("server", ""), c.value("baseline", ""), num(c["ratio"]),
          num(c["interval"][0]), num(c["interval"][1]), num(c["coverage"]) * 100,
          c.value("method", ""), c.value("rank_test", std::string("-")));
    }
  }
  for (const json& s : member(results, "skipped")) {
    md += fmt::format("\n- scenario {} skipped: {}\n", s.value("scenario", ""),
                      s.value("reason", ""));
  }
  int invalid = 0;
  for (const json& t : member(results, "trials")) {
    if (!t.value("valid", false)) {
      if (invalid++ == 0)
        md += "\n## Invalid trials (kept in results.json, left out of the figures)\n\n";
      md +=
          fmt::format("- {} {} r{}: {}\n", t.value("server", ""), t.value("scenario", ""),
                      text(t.value("repetition", json())), text(t.value("invalid_reason", json())));
    }
  }

  md += "\n## Summary table\n\n```\n" + render_terminal_summary(results) + "```\n";
  return md;
}

}  // namespace hellobench
