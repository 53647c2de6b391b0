#include "analysis/figures.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>

#include "analysis/stats.hpp"

namespace hellobench {

using nlohmann::json;

namespace {

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

std::string text_of(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return "";
  if (value.is_number_integer()) return std::to_string(value.get<long long>());
  if (value.is_number()) return fmt::format("{}", value.get<double>());
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  return value.dump();
}

bool where_matches(const json& row, const std::map<std::string, std::string>& where) {
  for (const auto& [key, expected] : where) {
    if (text_of(field(row, key.c_str())) != expected) return false;
  }
  return true;
}

Estimate not_measured(std::string estimator, std::string why) {
  Estimate e;
  e.estimator = std::move(estimator);
  e.why_not = std::move(why);
  return e;
}

// Pairs the rounds two servers share (both had a counted sample in that round). Each sample
// pairs at most once, so a repeated round number cannot pair one sample with two.
struct Pairs {
  std::vector<double> a, b;
  std::vector<int> rounds;
};
Pairs pair_rounds(const Samples& a, const Samples& b) {
  Pairs out;
  std::vector<bool> used(b.values.size(), false);
  for (std::size_t i = 0; i < a.values.size(); ++i) {
    for (std::size_t j = 0; j < b.values.size(); ++j) {
      if (!used[j] && a.rounds[i] == b.rounds[j]) {
        used[j] = true;
        out.a.push_back(a.values[i]);
        out.b.push_back(b.values[j]);
        out.rounds.push_back(a.rounds[i]);
        break;
      }
    }
  }
  return out;
}

}  // namespace

json Estimate::to_json() const {
  if (!measured) return {{"measured", false}, {"estimator", estimator}, {"why_not", why_not}};
  json out = {{"measured", true},
              {"estimator", estimator},
              {"value", value},
              {"interval", {low, high}},
              {"coverage", coverage},
              {"coverage_reached", coverage_reached},
              {"method", method},
              {"n", n},
              {"paired", paired},
              {"medians", medians}};
  // ci95 is kept for readers of schema hellobench/1; `coverage` says what it really is.
  out["ci95"] = {low, high};
  if (left_out_loadgen_bound > 0) out["left_out_loadgen_bound"] = left_out_loadgen_bound;
  if (rounds_left_out > 0) out["rounds_left_out"] = rounds_left_out;
  return out;
}

Figures::Figures(const json& results) : results_(results) {
  for (const json& s : field(results, "servers")) {
    if (s.is_object() && s.contains("name")) servers_.push_back(s.value("name", std::string()));
  }
  for (const json& t : field(results, "trials")) {
    const std::string name = t.value("server", std::string());
    if (!name.empty() && std::find(servers_.begin(), servers_.end(), name) == servers_.end()) {
      servers_.push_back(name);
    }
  }
  profile_ = object_at(results, "profile").value("name", std::string("(unnamed)"));
}

Samples Figures::samples(const Selection& selection, const std::string& server) const {
  if (!selection.minus_scenario.empty()) {
    Selection first = selection;
    first.minus_scenario.clear();
    Selection second = first;
    second.scenario = selection.minus_scenario;
    const Samples a = samples(first, server);
    const Samples b = samples(second, server);
    Samples out;
    out.invalid = a.invalid + b.invalid;
    out.left_out_loadgen_bound = a.left_out_loadgen_bound + b.left_out_loadgen_bound;
    const Pairs pairs = pair_rounds(a, b);
    for (std::size_t i = 0; i < pairs.a.size(); ++i) {
      out.values.push_back(pairs.a[i] - pairs.b[i]);
      out.rounds.push_back(pairs.rounds[i]);
    }
    return out;
  }
  Samples out;
  const Metric* metric = selection.metric;
  if (!metric) return out;
  switch (metric->source) {
    case MetricSource::trials:
      for (const json& t : field(results_, "trials")) {
        if (t.value("server", std::string()) != server) continue;
        if (!selection.scenario.empty() && t.value("scenario", std::string()) != selection.scenario)
          continue;
        if (text_of(field(t, "sweep")) != selection.sweep) continue;
        if (!selection.point.empty() && text_of(field(t, "point")) != selection.point) continue;
        if (!where_matches(t, selection.where)) continue;
        if (!t.value("valid", false)) {
          ++out.invalid;
          continue;
        }
        if (metric->needs_server_bound && t.value("bound", std::string()) == "loadgen") {
          ++out.left_out_loadgen_bound;
          continue;
        }
        if (const auto v = metric_value(*metric, t)) {
          out.values.push_back(*v);
          out.rounds.push_back(t.value("repetition", 0));
        } else {
          ++out.without_value;
        }
      }
      break;
    case MetricSource::capacity:
      for (const json& sweep : field(results_, "sweeps")) {
        if (sweep.value("name", std::string()) != selection.sweep) continue;
        const json& c = field(field(sweep, "capacity"), server.c_str());
        // The capacity lies in [rate held, first rate failed). A search that failed at its first
        // probe held nothing below it (0); one that stopped at a generator-bound failure only
        // knows its floor (the failure may have been the generator's).
        const json& failed = field(c, "failed_rate");
        const bool floor_only = field(c, "floor_only").is_boolean() && c["floor_only"].get<bool>();
        std::optional<double> held = metric_value(*metric, c);
        if (!held && failed.is_number() && !floor_only) held = 0.0;
        if (held) {
          out.values.push_back(*held);
          out.rounds.push_back(1);
          if (failed.is_number() && !floor_only) {
            out.bracket_high = failed.get<double>() * metric->scale;
          }
        }
      }
      break;
    case MetricSource::builds:
      for (const json& b : field(results_, "builds")) {
        if (b.value("server", std::string()) != server || !where_matches(b, selection.where))
          continue;
        if (!b.value("ok", false)) {
          ++out.invalid;
          continue;
        }
        int round = 0;
        for (const json& s : field(b, "samples_s")) {
          ++round;
          if (s.is_number()) {
            out.values.push_back(s.get<double>() * metric->scale);
            out.rounds.push_back(round);
          }
        }
      }
      break;
    case MetricSource::binaries:
      for (const json& s : field(results_, "servers")) {
        if (s.value("name", std::string()) != server) continue;
        if (const auto v = metric_value(*metric, s)) {
          out.values.push_back(*v);
          out.rounds.push_back(1);
          out.exact = true;
        }
      }
      break;
    case MetricSource::sources:
      for (const json& r : field(results_, "sources")) {
        if (r.value("server", std::string()) != server) continue;
        if (const auto v = metric_value(*metric, r)) {
          out.values.push_back(*v);
          out.rounds.push_back(1);
          out.exact = true;
        }
      }
      break;
    case MetricSource::microbenchmarks:
      // A row's repeated measurements (samples_ns_per_op for /ns_per_op) are its samples,
      // rounds 1..n; a row without them gives its one value. Never paired across languages.
      out.unpaired = true;
      for (const json& r : field(field(results_, "microbenchmarks"), "rows")) {
        if (r.value("language", std::string()) != server || !where_matches(r, selection.where))
          continue;
        // samples_<field> beside a top-level field: the row's repeated measurements of it.
        const json* repeated = nullptr;
        if (!metric->derive && metric->pointer && metric->pointer[0] == '/' &&
            std::strchr(metric->pointer + 1, '/') == nullptr) {
          repeated = &field(r, fmt::format("samples_{}", metric->pointer + 1).c_str());
        }
        if (repeated && repeated->is_array() && !repeated->empty()) {
          for (const json& sample : *repeated) {
            if (!sample.is_number() || !std::isfinite(sample.get<double>())) continue;
            out.values.push_back(sample.get<double>() * metric->scale);
            out.rounds.push_back(static_cast<int>(out.values.size()));
          }
        } else if (const auto v = metric_value(*metric, r)) {
          out.values.push_back(*v);
          out.rounds.push_back(static_cast<int>(out.values.size()));
        }
      }
      break;
  }
  return out;
}

std::string Figures::why_missing(const Selection& selection, const std::string& server) const {
  const Metric* m = selection.metric;
  if (!m) return "no metric";
  if (!selection.minus_scenario.empty()) {
    // A marginal: name the side that is missing.
    Selection first = selection;
    first.minus_scenario.clear();
    Selection second = first;
    second.scenario = selection.minus_scenario;
    if (samples(first, server).values.empty()) return why_missing(first, server);
    if (samples(second, server).values.empty()) return why_missing(second, server);
    return fmt::format("no round of {} has both {} and {}", server, selection.scenario,
                       selection.minus_scenario);
  }
  const Samples s = samples(selection, server);
  switch (m->source) {
    case MetricSource::trials: {
      std::string where = selection.scenario;
      if (!selection.sweep.empty()) {
        where = fmt::format("sweep {}{}", selection.sweep,
                            selection.point.empty() ? "" : ", point " + selection.point);
      }
      if (s.left_out_loadgen_bound > 0 && s.values.empty() && s.without_value == 0) {
        return fmt::format("{}: every valid trial of {} was load-generator-bound ({}), so its {} "
                           "describes the generator",
                           where, server, s.left_out_loadgen_bound, m->name);
      }
      if (s.without_value > 0) {
        return fmt::format("{}: the {} valid trial(s) of {} carry no {}", where, s.without_value,
                           server, m->name);
      }
      if (s.invalid > 0) {
        return fmt::format("{}: every trial of {} was invalid ({})", where, server, s.invalid);
      }
      if (std::find(servers_.begin(), servers_.end(), server) == servers_.end()) {
        return fmt::format("server '{}' is not in this run", server);
      }
      if (!selection.sweep.empty() && !selection.point.empty()) {
        for (const json& sweep : field(results_, "sweeps")) {
          if (sweep.value("name", std::string()) != selection.sweep) continue;
          for (const json& p : field(sweep, "points")) {
            if (text_of(field(p, "label")) == selection.point && field(p, "skipped").is_string()) {
              return fmt::format("{} was skipped: {}", where, p["skipped"].get<std::string>());
            }
          }
        }
      }
      if (!selection.sweep.empty()) {
        return fmt::format("{} was not run in the {} profile (run --profile full, or a profile "
                           "whose sweeps list '{}')",
                           where, profile_, selection.sweep);
      }
      return fmt::format("scenario {} was not run in the {} profile (run --profile full or "
                         "--scenarios {})",
                         where, profile_, selection.scenario);
    }
    case MetricSource::capacity:
      for (const json& sweep : field(results_, "sweeps")) {
        if (sweep.value("name", std::string()) != selection.sweep) continue;
        const json& c = field(field(sweep, "capacity"), server.c_str());
        if (field(c, "error").is_string()) {
          return fmt::format("the capacity search of {} in sweep {} failed: {}", server,
                             selection.sweep, c["error"].get<std::string>());
        }
        if (c.is_object()) {
          const bool floor_only = field(c, "floor_only").is_boolean() && c["floor_only"].get<bool>();
          return fmt::format("the capacity search of {} in sweep {} held no rate{}", server,
                             selection.sweep,
                             floor_only ? " before the generator side became the bottleneck" : "");
        }
      }
      return fmt::format("no capacity of {} from sweep {} in the {} profile (run --profile full)",
                         server, selection.sweep, profile_);
    case MetricSource::builds:
      if (s.invalid > 0) return fmt::format("the {} build of {} failed", m->name, server);
      return fmt::format("no {} build of {} in the {} profile (run `hellobench build`, or "
                         "--profile full)",
                         [&] {
                           std::string w;
                           for (const auto& [k, v] : selection.where) w += k + "=" + v + " ";
                           return w.empty() ? std::string("such") : w.substr(0, w.size() - 1);
                         }(),
                         server, profile_);
    case MetricSource::binaries:
      return fmt::format("no binary size for {} in this run", server);
    case MetricSource::sources:
      return fmt::format("no line count for {} (its [server.loc] files, counted by cloc)", server);
    case MetricSource::microbenchmarks:
      return fmt::format("no JSON microbenchmark rows for {} (run `make microbench`, then "
                         "`hellobench run --microbench FILE`)",
                         server);
  }
  return "not measured";
}

Estimate Figures::value(const Selection& selection, const std::string& a) const {
  const Samples s = samples(selection, a);
  if (s.values.empty()) return not_measured("value", why_missing(selection, a));
  Estimate e;
  e.estimator = "value";
  e.measured = true;
  e.n = s.values.size();
  e.left_out_loadgen_bound = s.left_out_loadgen_bound;
  if (s.exact) {
    e.value = e.low = e.high = s.values.front();
    e.coverage = 1;
    e.coverage_reached = true;
    e.method = "exact";
  } else {
    const stats::MedianInterval m = stats::median_interval(s.values, kTargetCoverage);
    e.value = m.median;
    e.low = m.low;
    e.high = m.high;
    e.coverage = m.coverage;
    e.coverage_reached = m.reached;
    e.method = e.n == 1 ? "single sample" : m.method;
  }
  e.medians[a] = e.value;
  return e;
}

namespace {

Estimate compare(const Samples& sa, const Samples& sb, const std::string& a, const std::string& b,
                 bool ratio) {
  Estimate e;
  e.estimator = ratio ? "ratio" : "difference";
  e.measured = true;
  e.left_out_loadgen_bound = sa.left_out_loadgen_bound + sb.left_out_loadgen_bound;
  e.medians[a] = stats::median(sa.values);
  e.medians[b] = stats::median(sb.values);
  if (sa.exact && sb.exact) {
    e.value = ratio ? sa.values.front() / sb.values.front() : sa.values.front() - sb.values.front();
    e.low = e.high = e.value;
    e.coverage = 1;
    e.coverage_reached = true;
    e.method = "exact";
    e.n = 1;
    return e;
  }
  const Pairs pairs = sa.unpaired || sb.unpaired ? Pairs{} : pair_rounds(sa, sb);
  // Paired on the rounds both servers have (a round where one trial was invalid is left out of
  // both), when at least two rounds pair, or the only round does; else the medians, unpaired.
  const bool complete =
      pairs.a.size() == sa.values.size() && pairs.b.size() == sb.values.size();
  if (!pairs.a.empty() && (pairs.a.size() >= 2 || complete)) {
    e.rounds_left_out = static_cast<int>(std::max(sa.values.size(), sb.values.size()) -
                                         pairs.a.size());
    const stats::PairedInterval p = ratio ? stats::paired_ratio(pairs.a, pairs.b, kTargetCoverage)
                                          : stats::paired_difference(pairs.a, pairs.b,
                                                                     kTargetCoverage);
    e.value = p.estimate;
    e.low = p.low;
    e.high = p.high;
    e.coverage = p.coverage;
    e.coverage_reached = p.reached;
    e.method = p.n == 1 ? "single round" : p.method;
    e.n = p.n;
    e.paired = true;
    return e;
  }
  const stats::UnpairedInterval u = ratio
                                        ? stats::unpaired_ratio(sa.values, sb.values, kTargetCoverage)
                                        : stats::unpaired_difference(sa.values, sb.values,
                                                                     kTargetCoverage);
  e.value = u.estimate;
  e.low = u.low;
  e.high = u.high;
  e.coverage = u.coverage;
  e.coverage_reached = u.reached;
  e.method = u.method;
  e.n = std::min(sa.values.size(), sb.values.size());
  return e;
}

}  // namespace

Estimate Figures::ratio(const Selection& selection, const std::string& a,
                        const std::string& b) const {
  const Samples sa = samples(selection, a);
  const Samples sb = samples(selection, b);
  if (sa.values.empty()) return not_measured("ratio", why_missing(selection, a));
  if (sb.values.empty()) return not_measured("ratio", why_missing(selection, b));
  for (double x : sb.values) {
    if (!(x > 0)) {
      return not_measured("ratio", fmt::format("{} of {} is {} in a sample: no ratio",
                                               selection.metric->name, b, x));
    }
  }
  return compare(sa, sb, a, b, /*ratio=*/true);
}

Estimate Figures::difference(const Selection& selection, const std::string& a,
                             const std::string& b) const {
  const Samples sa = samples(selection, a);
  const Samples sb = samples(selection, b);
  if (sa.values.empty()) return not_measured("difference", why_missing(selection, a));
  if (sb.values.empty()) return not_measured("difference", why_missing(selection, b));
  return compare(sa, sb, a, b, /*ratio=*/false);
}

Estimate Figures::held_rate(const Selection& selection, const std::string& a) const {
  const Samples s = samples(selection, a);
  if (s.values.empty()) return not_measured("held_rate", why_missing(selection, a));
  Estimate e;
  e.estimator = "held_rate";
  e.measured = true;
  e.n = 1;
  e.value = e.low = s.values.front();
  // The search bracket: the rate held, and the first rate above it that failed. The capacity
  // lies in it for that search; there is no probability to state, so coverage is not claimed.
  e.high = s.bracket_high.value_or(e.value);
  e.coverage = 0;
  e.method = s.bracket_high ? "search bracket: held .. first failed" : "highest rate probed";
  e.medians[a] = e.value;
  return e;
}

Estimate Figures::estimate(const std::string& estimator, const Selection& selection,
                           const std::string& a, const std::string& b) const {
  if (estimator == "value") return value(selection, a);
  if (estimator == "ratio") return ratio(selection, a, b);
  if (estimator == "difference") return difference(selection, a, b);
  if (estimator == "held_rate") return held_rate(selection, a);
  return not_measured(estimator, fmt::format("unknown estimator '{}'", estimator));
}

}  // namespace hellobench
