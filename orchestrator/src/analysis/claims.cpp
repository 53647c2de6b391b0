#include "analysis/claims.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <string>

#include "analysis/figures.hpp"
#include "analysis/metrics.hpp"
#include "core/errors.hpp"

namespace hellobench {

using nlohmann::json;

namespace {

const std::set<std::string> kEstimators = {"value", "ratio", "difference", "held_rate"};

[[noreturn]] void fail_at(const ClaimConfig& claim, const ClaimPart& part, std::size_t index,
                          const std::string& message) {
  throw ConfigError(fmt::format("{}: claim '{}'.part[{}]: {}", part.where.empty() ? claim.where
                                                                                  : part.where,
                                claim.id, index, message));
}

// Numbers for sentences and tables: three significant figures, no exponent for usual sizes.
std::string num(double x) {
  if (std::isnan(x)) return "n/a";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  const double a = std::fabs(x);
  if (a == 0) return "0";
  if (a >= 1e6) return fmt::format("{:.3g}M", x / 1e6);
  if (a >= 1e4) return fmt::format("{:.3g}k", x / 1e3);
  if (a >= 100) return fmt::format("{:.0f}", x);
  return fmt::format("{:.3g}", x);
}

std::string percent(double share) { return fmt::format("{:.3g}%", share * 100); }

// object[key], or null when absent; object_at: the same, but an empty object instead of null
// (value() on it gives the default).
const json& field(const json& object, const char* key) {
  static const json null_value;
  if (!object.is_object()) return null_value;
  const auto it = object.find(key);
  return it == object.end() ? null_value : *it;
}

const json& object_at(const json& object, const char* key) {
  static const json empty = json::object();
  const json& value = field(object, key);
  return value.is_object() ? value : empty;
}

std::string comparison(const ClaimPart& part) {
  if (part.estimator == "ratio") return part.a + "/" + part.b;
  if (part.estimator == "difference") return part.a + " - " + part.b;
  return part.a;
}

std::string unit_suffix(const ClaimPart& part, const Metric& metric) {
  if (part.estimator == "ratio") return "x";
  const std::string unit = metric.unit;
  if (unit == "share" || unit == "count") return "";
  return " " + unit;
}

std::string side_words(const std::string& side) {
  return side == "at_most" ? "at most" : "at least";
}

// The verdict rule on one judged estimate.
struct Judged {
  std::string verdict;
  std::string reason;
  std::string leaning;  // which side the point estimate is on: "on", "off" (curves)
};

Judged judge(const ClaimPart& part, const Metric& metric, const Estimate& e) {
  Judged j;
  const std::string what = fmt::format("{} {}", comparison(part), metric.label);
  if (!e.measured) {
    j.verdict = kInconclusive;
    j.reason = fmt::format("{}: not measured: {}", what, e.why_not);
    return j;
  }
  const double t = *part.threshold;
  const bool at_most = part.side == "at_most";
  const auto on_side = [&](double x) { return at_most ? x <= t : x >= t; };
  j.leaning = on_side(e.value) ? "on" : "off";
  const std::string suffix = unit_suffix(part, metric);
  const std::string figure =
      fmt::format("{}{} [{}, {}]", num(e.value), suffix, num(e.low), num(e.high));
  const std::string wanted = fmt::format("{} {}{}", side_words(part.side), num(t), suffix);
  if (e.estimator == "held_rate") {
    // The search held `low` and failed at `high`: the capacity c is in [low, high). When no rate
    // failed (high == low), or the failure may have been the generator's, only c >= low is known.
    const bool bracketed = e.high > e.low;
    const bool below = bracketed && e.high <= t;  // c < high <= t
    const bool reached = e.low >= t;              // c >= low >= t
    const bool beyond = e.low > t;                // c >= low > t
    if (at_most ? below : reached) {
      j.verdict = kHolds;
      j.reason = at_most ? fmt::format("{}: the search failed at {} (wanted {})", what,
                                       num(e.high), wanted)
                         : fmt::format("{} held {} (wanted {})", what, num(e.low), wanted);
    } else if (at_most ? beyond : below) {
      j.verdict = kDoesNotHold;
      j.reason = at_most ? fmt::format("{} held {} (wanted {})", what, num(e.low), wanted)
                         : fmt::format("{}: the search held {} and failed at {} (wanted {})",
                                       what, num(e.low), num(e.high), wanted);
    } else if (bracketed) {
      j.verdict = kInconclusive;
      j.reason = fmt::format("{}: the search held {} and failed at {}, which brackets {}", what,
                             num(e.low), num(e.high), num(t));
    } else {
      j.verdict = kInconclusive;
      j.reason = fmt::format("{}: the search held {}, and no rate above it is known to fail, so "
                             "{} is not decided",
                             what, num(e.low), wanted);
    }
    return j;
  }
  const std::string stated =
      e.method == "exact"
          ? "exact"
          : fmt::format("{} interval, {}, n = {}", percent(e.coverage), e.method, e.n);
  if (e.method != "exact" && e.coverage < kMinDecidingCoverage) {
    j.verdict = kInconclusive;
    j.reason = fmt::format(
        "{} = {} ({}): an interval with {} coverage cannot decide; 95% needs at least 6 paired "
        "rounds (a headline point of the quick profile, or --profile full)",
        what, figure, stated, percent(e.coverage));
    return j;
  }
  const bool wholly_on = at_most ? e.high <= t : e.low >= t;
  const bool wholly_off = at_most ? e.low > t : e.high < t;
  if (wholly_on) {
    j.verdict = kHolds;
    j.reason = fmt::format("{} = {} ({}) is wholly {}", what, figure, stated, wanted);
  } else if (wholly_off) {
    j.verdict = kDoesNotHold;
    j.reason = fmt::format("{} = {} ({}) is wholly {} {}{}", what, figure, stated,
                           at_most ? "above" : "below", num(t), suffix);
  } else {
    j.verdict = kInconclusive;
    j.reason = fmt::format("{} = {} ({}) straddles {}{}", what, figure, stated, num(t), suffix);
  }
  return j;
}

Selection selection_of(const ClaimPart& part, const std::string& point) {
  Selection s;
  s.metric = find_metric(part.metric);
  s.scenario = part.scenario;
  s.sweep = part.sweep;
  s.point = point;
  s.minus_scenario = part.minus_scenario;
  s.where = part.where_fields;
  return s;
}

// The labels of a sweep's points in order, from the results (a curve part runs over them).
std::vector<std::string> point_labels(const json& results, const std::string& sweep) {
  std::vector<std::string> labels;
  for (const json& s : field(results, "sweeps")) {
    if (s.value("name", std::string()) != sweep) continue;
    for (const json& p : field(s, "points")) labels.push_back(p.value("label", std::string()));
  }
  return labels;
}

json part_json(const ClaimPart& part, const Metric& metric) {
  json out = {{"role", part.role},
              {"label", part.label},
              {"source", part.source},
              {"metric", part.metric},
              {"metric_label", metric.label},
              {"unit", part.estimator == "ratio" ? "ratio" : metric.unit},
              {"estimator", part.estimator},
              {"comparison", comparison(part)},
              {"side", part.side.empty() ? json(nullptr) : json(part.side)},
              {"threshold", part.threshold ? json(*part.threshold) : json(nullptr)}};
  if (!part.scenario.empty()) out["scenario"] = part.scenario;
  if (!part.minus_scenario.empty()) out["minus_scenario"] = part.minus_scenario;
  if (!part.sweep.empty()) out["sweep"] = part.sweep;
  if (!part.point.empty()) out["point"] = part.point;
  if (!part.where_fields.empty()) out["where"] = part.where_fields;
  return out;
}

json evaluate_part(const Figures& figures, const ClaimPart& part) {
  const Metric* metric = find_metric(part.metric);
  if (!metric) throw std::invalid_argument(fmt::format("unknown metric '{}'", part.metric));
  json out = part_json(part, *metric);
  const bool judged = part.threshold.has_value();
  const bool curve = !part.sweep.empty() && part.point.empty() && part.source == "trials";
  if (curve) {
    json points = json::array();
    std::string last_leaning;
    std::string last_label;  // the last point with an estimate (unmeasured points are skipped)
    json changes = json::array();
    for (const std::string& label : point_labels(figures.results(), part.sweep)) {
      const Estimate e = figures.estimate(part.estimator, selection_of(part, label), part.a,
                                          part.b);
      json p = {{"point", label}, {"measured", e.to_json()}};
      if (judged) {
        const Judged j = judge(part, *metric, e);
        p["verdict"] = j.verdict;
        p["reason"] = j.reason;
        p["leaning"] = j.leaning.empty() ? json(nullptr) : json(j.leaning);
        if (!j.leaning.empty()) {
          if (!last_leaning.empty() && j.leaning != last_leaning) {
            changes.push_back({{"before", last_label}, {"at", label},
                               {"to", j.leaning == "on" ? "on the article's side"
                                                        : "off the article's side"}});
          }
          last_leaning = j.leaning;
          last_label = label;
        }
      }
      points.push_back(std::move(p));
    }
    out["points"] = points;
    out["changes"] = changes;
    if (points.empty()) {
      out["verdict"] = judged ? json(kInconclusive) : json(nullptr);
      out["reason"] = fmt::format("sweep {} was not run in the {} profile (run --profile full)",
                                  part.sweep, figures.profile());
    } else {
      // A curve is context for the reader: its points have their own verdicts; the part itself
      // decides nothing (its points rarely have the repetitions an interval needs).
      out["verdict"] = nullptr;
      out["reason"] = changes.empty()
                          ? std::string("the point estimates stay on one side along the sweep")
                          : fmt::format("the point estimates cross the threshold {} time(s)",
                                        changes.size());
    }
    return out;
  }
  const Estimate e = figures.estimate(part.estimator, selection_of(part, part.point), part.a,
                                      part.b);
  out["measured"] = e.to_json();
  if (judged && part.role != "context") {
    const Judged j = judge(part, *metric, e);
    out["verdict"] = j.verdict;
    out["reason"] = j.reason;
  } else {
    out["verdict"] = nullptr;
    out["reason"] = e.measured ? std::string("shown, not judged") : e.why_not;
  }
  return out;
}

std::string machine_words(const json& results, const json& headline) {
  const json& env = object_at(results, "environment");
  // Builds use every core (the same job count for all), not the server's CPU set.
  if (headline.value("source", std::string()) == "builds" && env.value("build_jobs", 0) > 0) {
    return fmt::format("With {} build jobs on this {}-CPU machine ({})", env.value("build_jobs", 0),
                       env.value("cores", 0), env.value("cpu_model", std::string("this machine")));
  }
  const json& cpus = object_at(env, "cpu_sets");
  const std::size_t server_cpus = field(cpus, "server").is_array() ? field(cpus, "server").size()
                                                                   : 0;
  const std::string model = env.value("cpu_model", std::string("this machine"));
  const int cores = env.value("cores", 0);
  if (server_cpus > 0 && cores > 0) {
    return fmt::format("On {} of this {}-CPU machine ({})",
                       server_cpus == 1 ? std::string("one core")
                                        : fmt::format("{} cores", server_cpus),
                       cores, model);
  }
  return "On this machine";
}

// The quotable sentence: the headline part (see headline_part), its scope, and the verdict.
std::string sentence(const json& results, const ClaimConfig& claim, const json& parts,
                     const std::string& verdict, const json* headline) {
  const json* floor = nullptr;
  for (const json& p : parts) {
    if (!floor && p.value("role", "") == "floor" && p.contains("measured")) floor = &p;
  }
  const std::string profile = object_at(results, "profile").value("name", std::string("?"));
  if (!headline) {
    return fmt::format("In the {} profile hellobench did not measure \"{}\" in its regime; "
                       "the verdict is {}.",
                       profile, claim.text, verdict);
  }
  const json& m = (*headline)["measured"];
  const std::string label = headline->value("label", std::string());
  const std::string unit = headline->value("unit", std::string());
  const std::string suffix = unit == "ratio" ? "x" : (unit == "share" || unit == "count")
                                                         ? ""
                                                         : " " + unit;
  const std::string metric_label = headline->value("metric_label", std::string());
  std::string measured;
  if (!m.value("measured", false)) {
    measured = fmt::format("{} {} was not measured ({})", headline->value("comparison", ""),
                           metric_label, m.value("why_not", std::string()));
  } else if (m.value("method", "") == "exact") {
    measured = fmt::format("{} {} was {}{} (exact)", headline->value("comparison", ""),
                           metric_label, num(m["value"].get<double>()), suffix);
  } else if (m.value("estimator", "") == "held_rate") {
    measured = fmt::format("the {} server held {} with p99 under the bound",
                           headline->value("comparison", ""), num(m["value"].get<double>()));
  } else {
    measured = fmt::format("{} {} was {}{} ({} interval {} to {}, n = {})",
                           headline->value("comparison", ""), metric_label,
                           num(m["value"].get<double>()), suffix,
                           percent(m.value("coverage", 0.0)), num(m["interval"][0].get<double>()),
                           num(m["interval"][1].get<double>()), m.value("n", 0));
  }
  std::string article;
  if (headline->contains("threshold") && (*headline)["threshold"].is_number()) {
    article = fmt::format("the article's {} {}{}", side_words(headline->value("side", "")),
                          num((*headline)["threshold"].get<double>()), suffix);
  }
  const std::string verdict_words = verdict == kHolds           ? "holds there"
                                    : verdict == kDoesNotHold  ? "does not hold there"
                                                               : "is not decided there";
  std::string out = fmt::format("{}, {}: {}; {} {}.", machine_words(results, *headline),
                                label.empty() ? std::string("in the claim's regime") : label,
                                measured, article.empty() ? "the claim" : article, verdict_words);
  if (floor && (*floor)["measured"].value("measured", false)) {
    const json& fm = (*floor)["measured"];
    const std::string funit = floor->value("unit", std::string());
    out += fmt::format(" On the hello routes (each stack's floor) the same figure is {}{}.",
                       num(fm["value"].get<double>()),
                       funit == "ratio" ? "x" : (funit == "share" || funit == "count") ? "" : " " + funit);
  }
  return out;
}

// The part a claim is quoted by: the first regime part (not a curve) whose verdict is the
// claim's, so that the figure quoted is one that decided it; else the first regime part.
const json* headline_part(const json& parts, const std::string& verdict) {
  for (const json& p : parts) {
    if (p.value("role", "") == "regime" && p.contains("measured") && p["verdict"].is_string() &&
        p["verdict"].get<std::string>() == verdict) {
      return &p;
    }
  }
  for (const json& p : parts) {
    if (p.value("role", "") == "regime" && p.contains("measured")) return &p;
  }
  return nullptr;
}

json evaluate_claim(const Figures& figures, const ClaimConfig& claim) {
  json out = {{"id", claim.id},
              {"text", claim.text},
              {"article", claim.figures},
              {"article_unit", claim.unit},
              {"regime", {{"description", claim.regime}, {"parameters", json::object()}}}};
  json parts = json::array();
  for (const ClaimPart& part : claim.parts) parts.push_back(evaluate_part(figures, part));

  // The verdict from the judged regime parts.
  int judged = 0, holds = 0, fails = 0;
  std::vector<std::string> reasons;
  for (const json& p : parts) {
    if (p.value("role", "") != "regime" || !p["verdict"].is_string()) continue;
    ++judged;
    const std::string v = p["verdict"].get<std::string>();
    if (v == kHolds) ++holds;
    if (v == kDoesNotHold) ++fails;
    reasons.push_back(p.value("reason", std::string()));
  }
  std::string verdict = kInconclusive;
  if (fails > 0) {
    verdict = kDoesNotHold;
  } else if (judged > 0 && holds == judged) {
    verdict = kHolds;
  }
  out["verdict"] = verdict;
  out["reason"] = judged == 0 ? std::string("no judged part in the article's regime")
                              : fmt::format("{}", fmt::join(reasons, "; "));
  out["parts"] = parts;

  // The headline part, as the flat fields older readers expect.
  const json* headline = headline_part(out["parts"], verdict);
  if (headline) {
    const json& p = *headline;
    out["measured"] = p["measured"];
    if (p["measured"].is_object() && p["measured"].value("measured", false)) {
      out["measured"]["ci95"] = p["measured"]["interval"];
    }
    out["metric"] = p["metric"];
    out["unit"] = p["unit"];
    out["comparison"] = p["comparison"];
    out["side"] = p["side"];
    out["threshold"] = p["threshold"];
    json parameters = json::object();
    for (const char* key : {"scenario", "sweep", "point", "where"}) {
      if (p.contains(key)) parameters[key] = p[key];
    }
    out["regime"]["parameters"] = parameters;
    out["regime"]["label"] = p.value("label", std::string());
  }
  if (!out.contains("measured")) out["measured"] = {{"measured", false}};
  out["sentence"] = sentence(figures.results(), claim, out["parts"], verdict, headline);
  out["scope"] = fmt::format("{} servers, this machine, the {} profile",
                             fmt::join(figures.servers(), "/"), figures.profile());
  return out;
}

}  // namespace

void validate_claims(const Config& config) {
  std::set<std::string> servers;
  for (const ServerConfig& s : config.servers) {
    servers.insert(s.name);
    std::string language = s.language;
    std::transform(language.begin(), language.end(), language.begin(), ::tolower);
    if (language == "c++") language = "cpp";
    servers.insert(language);
  }
  for (const ClaimConfig& claim : config.claims) {
    for (std::size_t i = 0; i < claim.parts.size(); ++i) {
      const ClaimPart& part = claim.parts[i];
      const auto source = metric_source_from_string(part.source);
      if (!source) {
        fail_at(claim, part, i,
                fmt::format("unknown source '{}' (known: trials, capacity, builds, binaries, "
                            "microbenchmarks, sources)",
                            part.source));
      }
      const Metric* metric = find_metric(part.metric);
      if (!metric || metric->source != *source) {
        fail_at(claim, part, i,
                fmt::format("unknown metric '{}' for source {} (known: {})", part.metric,
                            part.source, metric_names(*source)));
      }
      if (!kEstimators.count(part.estimator)) {
        fail_at(claim, part, i,
                fmt::format("unknown estimator '{}' (known: value, ratio, difference, "
                            "held_rate)",
                            part.estimator));
      }
      if ((part.estimator == "held_rate") != (*source == MetricSource::capacity)) {
        fail_at(claim, part, i, "held_rate goes with source 'capacity', and only with it");
      }
      if (part.a.empty()) fail_at(claim, part, i, "missing field 'a' (the server measured)");
      const bool two = part.estimator == "ratio" || part.estimator == "difference";
      if (two && part.b.empty()) {
        fail_at(claim, part, i, fmt::format("estimator {} needs 'b'", part.estimator));
      }
      if (!two && !part.b.empty()) {
        fail_at(claim, part, i, fmt::format("estimator {} takes no 'b'", part.estimator));
      }
      for (const std::string* name : {&part.a, &part.b}) {
        if (!name->empty() && !servers.count(*name)) {
          fail_at(claim, part, i,
                  fmt::format("unknown server '{}' (known: {})", *name, fmt::join(servers, ", ")));
        }
      }
      if (*source == MetricSource::trials) {
        if (part.sweep.empty() && part.scenario.empty()) {
          fail_at(claim, part, i, "a trials part needs 'scenario' or 'sweep'");
        }
        for (const std::string* name : {&part.scenario, &part.minus_scenario}) {
          if (!name->empty() && !config.find_scenario(*name)) {
            fail_at(claim, part, i, fmt::format("unknown scenario '{}'", *name));
          }
        }
      }
      if (!part.sweep.empty()) {
        const SweepConfig* sweep = config.find_sweep(part.sweep);
        if (!sweep) fail_at(claim, part, i, fmt::format("unknown sweep '{}'", part.sweep));
        if (!part.scenario.empty() && part.scenario != sweep->scenario) {
          fail_at(claim, part, i,
                  fmt::format("sweep '{}' runs scenario '{}', not '{}'", part.sweep,
                              sweep->scenario, part.scenario));
        }
        if (!part.point.empty()) {
          const bool known = std::any_of(sweep->points.begin(), sweep->points.end(),
                                         [&](const SweepPoint& p) { return p.label == part.point; });
          if (!known) {
            fail_at(claim, part, i,
                    fmt::format("sweep '{}' has no point '{}'", part.sweep, part.point));
          }
        }
      } else if (!part.point.empty()) {
        fail_at(claim, part, i, "'point' needs 'sweep'");
      }
      if (*source == MetricSource::capacity && part.sweep.empty()) {
        fail_at(claim, part, i, "a capacity part needs 'sweep' (the sweep that searched it)");
      }
    }
  }
}

json evaluate_claims(const json& results, const std::vector<ClaimConfig>& claims) {
  const Figures figures(results);
  json out = json::array();
  for (const ClaimConfig& claim : claims) {
    try {
      out.push_back(evaluate_claim(figures, claim));
    } catch (const std::exception& e) {
      // Never an "inconclusive": a computation that throws is a bug, and the run says so.
      out.push_back({{"id", claim.id},
                     {"text", claim.text},
                     {"verdict", kError},
                     {"reason", fmt::format("evaluating this claim failed: {}", e.what())},
                     {"sentence", fmt::format("hellobench could not evaluate \"{}\": {}",
                                              claim.text, e.what())},
                     {"measured", {{"measured", false}}},
                     {"parts", json::array()}});
    }
  }
  return out;
}

int claim_errors(const json& claims) {
  int errors = 0;
  for (const json& c : claims) {
    if (c.value("verdict", std::string()) == kError) ++errors;
  }
  return errors;
}

const char* claims_note() {
  return "Each claim is judged in the regime the article describes (its `regime` parts), with "
         "the hello-route figure beside it as each stack's floor. A part holds when its whole "
         "interval is on the article's side of the threshold, does not hold when the whole "
         "interval is on the other side, and is inconclusive when it straddles the threshold, "
         "when its stated coverage is below 90% (too few paired rounds), or when the run did not "
         "measure it. Intervals are order-statistic intervals (of a median, or of the per-round "
         "ratios or differences of interleaved rounds), whose coverage is exact and stated beside "
         "each one; file sizes are exact. A claim does not hold if any regime part does not hold "
         "and holds only if every regime part holds. Scope: these servers, on this machine, in "
         "this profile.";
}

json claims_config_json(const std::vector<ClaimConfig>& claims) {
  json out = json::array();
  for (const ClaimConfig& c : claims) {
    json parts = json::array();
    for (const ClaimPart& p : c.parts) {
      parts.push_back({{"role", p.role},
                       {"label", p.label},
                       {"source", p.source},
                       {"scenario", p.scenario},
                       {"minus_scenario", p.minus_scenario},
                       {"sweep", p.sweep},
                       {"point", p.point},
                       {"metric", p.metric},
                       {"estimator", p.estimator},
                       {"a", p.a},
                       {"b", p.b},
                       {"where", p.where_fields},
                       {"side", p.side},
                       {"threshold", p.threshold ? json(*p.threshold) : json(nullptr)}});
    }
    out.push_back({{"id", c.id},
                   {"text", c.text},
                   {"unit", c.unit},
                   {"article", c.figures},
                   {"regime", c.regime},
                   {"parts", parts}});
  }
  return out;
}

std::vector<ClaimConfig> claims_from_json(const json& claims_config) {
  std::vector<ClaimConfig> out;
  if (!claims_config.is_array()) return out;
  for (const json& c : claims_config) {
    ClaimConfig claim;
    claim.id = c.value("id", std::string());
    claim.text = c.value("text", std::string());
    claim.unit = c.value("unit", std::string());
    claim.regime = c.value("regime", std::string());
    for (const auto& [key, value] : field(c, "article").items()) {
      if (value.is_number()) claim.figures[key] = value.get<double>();
    }
    for (const json& p : field(c, "parts")) {
      ClaimPart part;
      part.role = p.value("role", std::string("regime"));
      part.label = p.value("label", std::string());
      part.source = p.value("source", std::string("trials"));
      part.scenario = p.value("scenario", std::string());
      part.minus_scenario = p.value("minus_scenario", std::string());
      part.sweep = p.value("sweep", std::string());
      part.point = p.value("point", std::string());
      part.metric = p.value("metric", std::string());
      part.estimator = p.value("estimator", std::string("ratio"));
      part.a = p.value("a", std::string());
      part.b = p.value("b", std::string());
      for (const auto& [key, value] : field(p, "where").items()) {
        if (value.is_string()) part.where_fields[key] = value.get<std::string>();
      }
      part.side = p.value("side", std::string());
      if (p.contains("threshold") && p["threshold"].is_number()) {
        part.threshold = p["threshold"].get<double>();
      }
      claim.parts.push_back(std::move(part));
    }
    out.push_back(std::move(claim));
  }
  return out;
}

}  // namespace hellobench
