#include "analysis/claims.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>

#include "analysis/stats.hpp"
#include "analysis/summary.hpp"

namespace hellobench {

using nlohmann::json;

namespace {

// One judged figure: a scenario and metric, the comparison and its interval.
struct Part {
  std::string scenario;  // empty for builds and binaries
  std::string metric;
  std::string comparison;  // "go/rust", "go - rust", "go"
  std::string unit;
  bool measured = false;
  bool exact = false;  // not sampled (binary size): one value is the whole truth
  double value = 0;
  stats::Interval ci95;
  std::size_t n = 0;
  json per_server = json::object();
  std::string side;  // at_most / at_least; empty: shown, not judged
  std::optional<double> threshold;
  bool loadgen_bound = false;
  std::string verdict;  // empty: shown only
  std::string reason;
};

// A number field of a trial row, or the fallback when absent or null (an unmeasured figure).
double number_or(const json& row, const char* key, double fallback) {
  const auto it = row.find(key);
  return it != row.end() && it->is_number() ? it->get<double>() : fallback;
}

std::string num(double x) {
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  return format_number(x);
}

std::string interval_text(const Part& p) {
  return fmt::format("{} [{}, {}]", num(p.value), num(p.ci95.low), num(p.ci95.high));
}

std::string side_text(const std::string& side, double threshold) {
  return fmt::format("{} {}", side == "at_most" ? "at or below" : "at or above", num(threshold));
}

// The rule of verdicts, on one part.
void judge(Part& p) {
  if (!p.measured || p.side.empty() || !p.threshold) return;
  const std::string what = p.scenario.empty()
                               ? fmt::format("{} {}", p.comparison, p.metric)
                               : fmt::format("{} {} on {}", p.comparison, p.metric, p.scenario);
  const std::string figure = interval_text(p);
  const double t = *p.threshold;
  if (p.loadgen_bound) {
    p.verdict = kInconclusive;
    p.reason = fmt::format(
        "{}: a trial was load-generator-bound, so {} is a floor for the server, not its figure",
        what, num(p.value));
    return;
  }
  if (p.n < 2 && !p.exact) {
    p.verdict = kInconclusive;
    p.reason = fmt::format("{} = {} from n = 1: a single value is not an interval ({} needed)",
                           what, num(p.value), side_text(p.side, t));
    return;
  }
  const bool at_most = p.side == "at_most";
  const bool wholly_on_side = at_most ? p.ci95.high <= t : p.ci95.low >= t;
  const bool wholly_off_side = at_most ? p.ci95.low > t : p.ci95.high < t;
  const std::string n_text = p.exact ? "exact" : fmt::format("n = {}", p.n);
  if (wholly_on_side) {
    p.verdict = kHolds;
    p.reason = fmt::format("{} = {} ({}) is wholly {}", what, figure, n_text, side_text(p.side, t));
  } else if (wholly_off_side) {
    p.verdict = kDoesNotHold;
    p.reason = fmt::format("{} = {} ({}) is wholly {} {}", what, figure, n_text,
                           at_most ? "above" : "below", num(t));
  } else {
    p.verdict = kInconclusive;
    p.reason = fmt::format("{} = {} ({}) straddles {}", what, figure, n_text, num(t));
  }
  if (!p.exact && p.n < 5)
    p.reason += fmt::format(" (n = {} is small: the interval is rough)", p.n);
}

// Reads the run once: valid trials by server and scenario, the profile, the servers.
class Run {
 public:
  explicit Run(const json& results) : results_(results) {
    for (const json& s : member(results, "servers")) {
      if (s.is_object()) servers_.push_back(s.value("name", std::string()));
    }
    for (const json& t : member(results, "trials")) {
      if (!t.is_object()) continue;
      const std::string key = t.value("server", "") + "/" + t.value("scenario", "");
      if (t.value("valid", false)) {
        valid_[key].push_back(&t);
      } else {
        ++invalid_[key];
      }
      if (!servers_known(t.value("server", ""))) servers_.push_back(t.value("server", ""));
    }
    const json& profile = member(results, "profile");
    profile_name_ = profile.value("name", std::string("(unnamed)"));
    for (const json& s : member(profile, "scenarios")) {
      if (s.is_string()) profile_scenarios_.insert(s.get<std::string>());
    }
  }

  const std::vector<std::string>& servers() const { return servers_; }
  const std::string& profile_name() const { return profile_name_; }
  const json& results() const { return results_; }

  std::vector<const json*> trials(const std::string& server, const std::string& scenario) const {
    const auto it = valid_.find(server + "/" + scenario);
    return it == valid_.end() ? std::vector<const json*>{} : it->second;
  }

  std::vector<double> samples(const std::string& server, const std::string& scenario,
                              const json::json_pointer& pointer, double scale = 1) const {
    std::vector<double> out;
    for (const json* t : trials(server, scenario)) {
      if (t->contains(pointer) && (*t)[pointer].is_number()) {
        const double x = (*t)[pointer].get<double>() * scale;
        if (std::isfinite(x)) out.push_back(x);
      }
    }
    return out;
  }

  bool loadgen_bound(const std::string& server, const std::string& scenario) const {
    for (const json* t : trials(server, scenario)) {
      if (t->value("bound", std::string()) == "loadgen") return true;
    }
    return false;
  }

  // Why a server has no figure on a scenario, for the reason of an unmeasured part.
  std::string why_missing(const std::string& server, const std::string& scenario) const {
    if (!profile_scenarios_.empty() && !profile_scenarios_.count(scenario)) {
      return fmt::format("{}: not measured in the {} profile; run --profile full or --scenarios {}",
                         scenario, profile_name_, scenario);
    }
    if (!servers_known(server))
      return fmt::format("{}: server '{}' not in this run", scenario, server);
    const auto it = invalid_.find(server + "/" + scenario);
    if (it != invalid_.end()) {
      return fmt::format("{}: every trial of {} was invalid ({})", scenario, server, it->second);
    }
    return fmt::format("{}: no trial of {} in this run", scenario, server);
  }

  // Builds of one kind: samples by server (only successful builds).
  std::vector<double> build_samples(const std::string& server, const std::string& kind,
                                    const std::string& build_profile) const {
    std::vector<double> out;
    for (const json& b : member(results_, "builds")) {
      if (!b.is_object() || b.value("server", "") != server || b.value("kind", "") != kind)
        continue;
      if (!build_profile.empty() && b.value("build_profile", "") != build_profile) continue;
      if (!b.value("ok", false)) continue;
      for (const json& s : member(b, "samples_s")) {
        if (s.is_number()) out.push_back(s.get<double>());
      }
    }
    return out;
  }

 private:
  bool servers_known(const std::string& name) const {
    return std::find(servers_.begin(), servers_.end(), name) != servers_.end();
  }

  const json& results_;
  std::vector<std::string> servers_;
  std::map<std::string, std::vector<const json*>> valid_;
  std::map<std::string, int> invalid_;
  std::string profile_name_;
  std::set<std::string> profile_scenarios_;
};

Part unmeasured(std::string scenario, std::string metric, std::string comparison,
                std::string reason) {
  Part p;
  p.scenario = std::move(scenario);
  p.metric = std::move(metric);
  p.comparison = std::move(comparison);
  p.reason = std::move(reason);
  return p;
}

json medians_by_server(const Run& run, const std::string& scenario,
                       const json::json_pointer& pointer, double scale) {
  json out = json::object();
  for (const std::string& s : run.servers()) {
    const auto x = run.samples(s, scenario, pointer, scale);
    if (!x.empty()) out[s] = stats::median(x);
  }
  return out;
}

// a/b (or a - b) of the medians of one metric on one scenario.
Part compare(const Run& run, const std::string& scenario, const std::string& metric,
             const std::string& a, const std::string& b, bool difference, double scale,
             const std::string& unit, const ClaimConfig& claim, bool judged = true) {
  const json::json_pointer pointer(metric.front() == '/' ? metric : "/" + metric);
  const std::string metric_name = metric.front() == '/' ? metric.substr(1) : metric;
  const std::string comparison = difference ? a + " - " + b : a + "/" + b;
  const auto xa = run.samples(a, scenario, pointer, scale);
  const auto xb = run.samples(b, scenario, pointer, scale);
  if (xa.empty() || xb.empty()) {
    return unmeasured(scenario, metric_name, comparison,
                      run.why_missing(xa.empty() ? a : b, scenario));
  }
  Part p;
  p.scenario = scenario;
  p.metric = metric_name;
  p.comparison = comparison;
  p.unit = unit;
  p.measured = true;
  p.n = std::min(xa.size(), xb.size());
  p.per_server = medians_by_server(run, scenario, pointer, scale);
  if (difference) {
    const stats::Difference d = stats::difference_of_medians(xa, xb);
    p.value = d.difference;
    p.ci95 = d.ci95;
  } else {
    if (stats::median(xb) <= 0) {
      return unmeasured(scenario, metric_name, comparison,
                        fmt::format("{}: the median of {} is 0, no ratio", scenario, b));
    }
    const stats::Ratio r = stats::ratio_of_medians(xa, xb);
    p.value = r.ratio;
    p.ci95 = r.ci95;
  }
  if (judged) {
    p.side = claim.direction;
    p.threshold = claim.threshold;
  }
  return p;
}

Part compare_builds(const Run& run, const std::string& kind, const std::string& build_profile,
                    const std::string& a, const std::string& b, const ClaimConfig& claim,
                    bool judged) {
  const std::string metric = fmt::format("build {} s", kind);
  const std::string comparison = a + "/" + b;
  const auto xa = run.build_samples(a, kind, build_profile);
  const auto xb = run.build_samples(b, kind, build_profile);
  if (xa.empty() || xb.empty()) {
    const bool any =
        !run.build_samples(a, kind, "").empty() || !run.build_samples(b, kind, "").empty();
    std::string reason =
        any ? fmt::format("{} builds of {} are missing or failed", kind, xa.empty() ? a : b)
            : fmt::format(
                  "not measured in the {} profile; run --profile full or hellobench build "
                  "--kinds {}",
                  run.profile_name(), kind == "ci" ? "ci" : "dev");
    return unmeasured("", metric, comparison, claim.id + ": " + reason);
  }
  Part p;
  p.metric = metric;
  p.comparison = comparison;
  p.unit = "ratio";
  p.measured = true;
  p.n = std::min(xa.size(), xb.size());
  for (const std::string& s : run.servers()) {
    const auto x = run.build_samples(s, kind, build_profile);
    if (!x.empty()) p.per_server[s] = stats::median(x);
  }
  const stats::Ratio r = stats::ratio_of_medians(xa, xb);
  p.value = r.ratio;
  p.ci95 = r.ci95;
  if (judged) {
    p.side = claim.direction;
    p.threshold = claim.threshold;
  }
  return p;
}

// (max - min of the per-server medians) / the median of all samples, with a bootstrap
// interval that resamples every server independently.
Part spread(const Run& run, const std::string& scenario, const std::string& percentile,
            const ClaimConfig& claim) {
  const json::json_pointer pointer("/latency_us/" + percentile);
  const std::string metric = percentile + " spread";
  std::vector<std::vector<double>> by_server;
  for (const std::string& s : run.servers()) {
    auto x = run.samples(s, scenario, pointer, 1e-3);
    if (x.empty())
      return unmeasured(scenario, metric, "(max - min) / median", run.why_missing(s, scenario));
    by_server.push_back(std::move(x));
  }
  if (by_server.size() < 2) {
    return unmeasured(scenario, metric, "(max - min) / median", "fewer than two servers measured");
  }
  auto statistic = [](const std::vector<std::vector<double>>& groups) {
    std::vector<double> medians;
    std::vector<double> pooled;
    for (const auto& g : groups) {
      medians.push_back(stats::median(g));
      pooled.insert(pooled.end(), g.begin(), g.end());
    }
    const double overall = stats::median(pooled);
    const auto [lo, hi] = std::minmax_element(medians.begin(), medians.end());
    return overall > 0 ? (*hi - *lo) / overall : std::numeric_limits<double>::infinity();
  };
  Part p;
  p.scenario = scenario;
  p.metric = metric;
  p.comparison = "(max - min) / median";
  p.unit = "share";
  p.measured = true;
  p.value = statistic(by_server);
  p.n = by_server.front().size();
  for (const auto& g : by_server) p.n = std::min(p.n, g.size());
  p.per_server = medians_by_server(run, scenario, pointer, 1e-3);
  std::mt19937_64 rng(1);
  std::vector<double> boot;
  std::vector<std::vector<double>> draw(by_server.size());
  for (int i = 0; i < 4000; ++i) {
    for (std::size_t g = 0; g < by_server.size(); ++g) {
      std::uniform_int_distribution<std::size_t> pick(0, by_server[g].size() - 1);
      draw[g].resize(by_server[g].size());
      for (double& x : draw[g]) x = by_server[g][pick(rng)];
    }
    boot.push_back(statistic(draw));
  }
  p.ci95 = {stats::quantile(boot, 0.025), stats::quantile(boot, 0.975)};
  p.side = claim.direction;
  p.threshold = claim.threshold;
  return p;
}

// A single server's figure (startup time, p99 at a rate): median and bootstrap interval.
Part single(const Run& run, const std::string& scenario, const std::string& server,
            std::vector<double> samples, const std::string& metric, const std::string& unit,
            const json& per_server) {
  if (samples.empty())
    return unmeasured(scenario, metric, server, run.why_missing(server, scenario));
  const stats::Summary s = stats::summarize(samples);
  Part p;
  p.scenario = scenario;
  p.metric = metric;
  p.comparison = server;
  p.unit = unit;
  p.measured = true;
  p.value = s.median;
  p.ci95 = s.ci95;
  p.n = s.n;
  p.per_server = per_server;
  return p;
}

// ---------------------------------------------------------------------------------------------
// The claims. Each returns its parts; the verdict combines them.

std::vector<Part> build_claim(const Run& run, const ClaimConfig& c, const std::string& kind,
                              const std::string& build_profile) {
  std::vector<Part> parts{compare_builds(run, kind, build_profile, "rust", "go", c, true)};
  // C++ against Go is shown beside the article's pair, not judged.
  Part cpp = compare_builds(run, kind, build_profile, "cpp", "go", c, false);
  if (cpp.measured) parts.push_back(cpp);
  return parts;
}

std::vector<Part> ratio_claim(const Run& run, const ClaimConfig& c,
                              const std::vector<std::string>& metrics, const std::string& unit) {
  std::vector<Part> parts;
  for (const std::string& scenario : c.scenarios) {
    for (const std::string& m : metrics) {
      parts.push_back(compare(run, scenario, m, "go", "rust", false, 1, unit, c));
    }
  }
  return parts;
}

std::vector<Part> p95_claim(const Run& run, const ClaimConfig& c) {
  std::vector<Part> parts;
  for (const std::string& scenario : c.scenarios) {
    parts.push_back(compare(run, scenario, "/latency_us/p95", "go", "rust", true, 1e-3, "ms", c));
  }
  return parts;
}

std::vector<Part> io_claim(const Run& run, const ClaimConfig& c) {
  std::vector<Part> parts;
  for (const std::string& scenario : c.scenarios) {
    for (const char* percentile : {"p50", "p95"})
      parts.push_back(spread(run, scenario, percentile, c));
  }
  return parts;
}

// Go at a fixed rate of at least the article's figure (open loop): every valid trial held the
// rate and kept p99 within the bound; and the closed-loop maximum, shown against the figure.
std::vector<Part> go_10k_claim(const Run& run, const ClaimConfig& c) {
  const double rate_figure = c.figures.count("go") ? c.figures.at("go") : 10000;
  std::vector<Part> parts;
  const json::json_pointer p99("/latency_us/p99");
  for (const std::string& scenario : c.scenarios) {
    const auto trials = run.trials("go", scenario);
    const bool open = !trials.empty() && trials.front()->value("mode", "") == "open";
    if (trials.empty()) {
      parts.push_back(unmeasured(scenario, "rate", "go", run.why_missing("go", scenario)));
      continue;
    }
    if (open) {
      Part p = single(run, scenario, "go", run.samples("go", scenario, p99, 1e-3), "p99 ms", "ms",
                      medians_by_server(run, scenario, p99, 1e-3));
      p.side = "at_most";
      p.threshold = c.threshold;
      const double offered = number_or(*trials.front(), "offered_rate", 0);
      int held = 0;
      for (const json* t : trials) {
        const double rps = number_or(*t, "rps", 0);
        const double trial_p99 = t->contains(p99) && (*t)[p99].is_number()
                                     ? (*t)[p99].get<double>() * 1e-3
                                     : std::numeric_limits<double>::infinity();
        if (rps >= 0.99 * offered && (!c.threshold || trial_p99 <= *c.threshold)) ++held;
      }
      judge(p);
      if (offered < rate_figure) {
        p.verdict = kInconclusive;
        p.reason = fmt::format("{}: offered {} requests/s, below the article's {}", scenario,
                               num(offered), num(rate_figure));
      } else if (trials.size() >= 2) {
        // The per-trial test decides: the rate and the bound must hold in every valid trial
        // (n = 1 keeps judge()'s "a single value" verdict).
        const int n = static_cast<int>(trials.size());
        p.verdict = held == n ? kHolds : held == 0 ? kDoesNotHold : kInconclusive;
        p.reason = fmt::format(
            "go held {} requests/s with p99 within {} ms in {} of {} valid trials (median p99 {} "
            "ms [{}, {}])",
            num(offered), c.threshold ? num(*c.threshold) : "-", held, n, num(p.value),
            num(p.ci95.low), num(p.ci95.high));
      }
      parts.push_back(p);
    } else {
      const json::json_pointer rps("/rps");
      Part p = single(run, scenario, "go", run.samples("go", scenario, rps), "max rps (closed)",
                      "requests/s", medians_by_server(run, scenario, rps, 1));
      p.side = "at_least";
      p.threshold = rate_figure;
      p.loadgen_bound = run.loadgen_bound("go", scenario);
      judge(p);
      parts.push_back(p);
    }
  }
  return parts;
}

std::vector<Part> startup_claim(const Run& run, const ClaimConfig& c) {
  // Pooled over every valid trial of every scenario: each trial is a fresh start.
  std::map<std::string, std::vector<double>> by_server;
  for (const json& t : member(run.results(), "trials")) {
    if (t.is_object() && t.value("valid", false) && t.contains("startup_ms") &&
        t["startup_ms"].is_number()) {
      by_server[t.value("server", "")].push_back(t["startup_ms"].get<double>());
    }
  }
  json per_server = json::object();
  for (const auto& [s, x] : by_server) per_server[s] = stats::median(x);
  Part p = single(run, "", "go", by_server["go"], "startup ms", "ms", per_server);
  if (!p.measured) p.reason = "startup: no valid trial of go in this run";
  p.side = c.direction;
  p.threshold = c.threshold;
  return {p};
}

const json* server_binary(const Run& run, const std::string& name) {
  for (const json& s : member(run.results(), "servers")) {
    if (s.is_object() && s.value("name", "") == name && s.contains("binary") &&
        s["binary"].is_object()) {
      return &s["binary"];
    }
  }
  return nullptr;
}

// Libraries every Linux program gets from the system (the C runtime, the loader, the vDSO):
// a binary needing only these ships as a single file.
bool system_library(const std::string& lib) {
  for (const char* prefix : {"linux-vdso", "libc.so", "libm.so", "libpthread", "libdl.so",
                             "librt.so", "/lib64/ld-linux", "ld-linux"}) {
    if (lib.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

std::vector<Part> binary_claim(const Run& run, const ClaimConfig& c) {
  const json* go = server_binary(run, "go");
  const json* rust = server_binary(run, "rust");
  if (!go || !rust || !go->contains("stripped_bytes") || !rust->contains("stripped_bytes")) {
    return {unmeasured("", "stripped bytes", "go/rust",
                       "binary: the go or rust binary was not inspected in this run")};
  }
  Part size;
  size.metric = "stripped bytes";
  size.comparison = "go/rust";
  size.unit = "ratio";
  size.measured = true;
  size.exact = true;  // a file size, not a sample
  size.n = 1;
  for (const std::string& s : run.servers()) {
    if (const json* b = server_binary(run, s); b && b->contains("stripped_bytes")) {
      size.per_server[s] = (*b)["stripped_bytes"];
    }
  }
  size.value = (*go)["stripped_bytes"].get<double>() / (*rust)["stripped_bytes"].get<double>();
  size.ci95 = {size.value, size.value};
  size.side = c.direction;
  size.threshold = c.threshold;

  Part single_file;
  single_file.metric = "non-system shared libraries";
  single_file.comparison = "go";
  single_file.unit = "libraries";
  single_file.measured = true;
  single_file.exact = true;
  single_file.n = 1;
  for (const std::string& s : run.servers()) {
    if (const json* b = server_binary(run, s)) {
      json extra = json::array();
      for (const json& lib : member(*b, "shared_libraries")) {
        if (lib.is_string() && !system_library(lib.get<std::string>())) extra.push_back(lib);
      }
      single_file.per_server[s] = extra;
    }
  }
  single_file.value = static_cast<double>(single_file.per_server.value("go", json::array()).size());
  single_file.ci95 = {single_file.value, single_file.value};
  single_file.side = "at_most";
  single_file.threshold = 0;
  return {size, single_file};
}

std::string scope_of(const Run& run) {
  const json& env = member(run.results(), "environment");
  return fmt::format(
      "these servers ({}), this machine ({}, {} cores, servers on {} thread(s)), the {} profile",
      fmt::join(run.servers(), ", "), env.value("cpu_model", std::string("unknown CPU")),
      env.contains("cores") ? env["cores"].dump() : "?",
      env.contains("server_threads") ? env["server_threads"].dump() : "?", run.profile_name());
}

json part_json(const Part& p) {
  json j = {{"scenario", p.scenario.empty() ? json() : json(p.scenario)},
            {"metric", p.metric},
            {"comparison", p.comparison},
            {"unit", p.unit},
            {"side", p.side.empty() ? json() : json(p.side)},
            {"threshold", p.threshold ? json(*p.threshold) : json()},
            {"verdict", p.verdict.empty() ? json() : json(p.verdict)},
            {"reason", p.reason}};
  if (p.measured) {
    auto finite = [](double x) { return std::isfinite(x) ? json(x) : json(); };
    j["measured"] = {{"value", finite(p.value)},
                     {"ci95", {finite(p.ci95.low), finite(p.ci95.high)}},
                     {"n", p.n},
                     {"per_server", p.per_server}};
    if (p.exact) j["measured"]["exact"] = true;
  } else {
    j["measured"] = nullptr;
  }
  return j;
}

json claim_json(const Run& run, const ClaimConfig& c, std::vector<Part> parts) {
  for (Part& p : parts) {
    if (p.verdict.empty()) judge(p);
  }
  std::vector<const Part*> judged;
  std::vector<std::string> not_measured;
  for (const Part& p : parts) {
    // p50 and p95 of one scenario share a reason: name it once.
    if (!p.measured &&
        std::find(not_measured.begin(), not_measured.end(), p.reason) == not_measured.end()) {
      not_measured.push_back(p.reason);
    }
    if (p.measured && !p.verdict.empty()) judged.push_back(&p);
  }
  // The claim is a conjunction of its parts: one part wholly on the wrong side refutes it,
  // every part on its side is needed for `holds`.
  const Part* decisive = nullptr;
  std::string verdict = kInconclusive;
  std::string reason;
  if (judged.empty()) {
    reason = not_measured.empty() ? c.id + ": no rule measured this claim" : not_measured.front();
  } else {
    for (const Part* p : judged) {
      if (p->verdict == kDoesNotHold) decisive = p;
      if (decisive) break;
    }
    if (decisive) {
      verdict = kDoesNotHold;
    } else {
      for (const Part* p : judged) {
        if (p->verdict == kInconclusive) {
          decisive = p;
          break;
        }
      }
      verdict = decisive ? kInconclusive : kHolds;
      if (!decisive) decisive = judged.front();
    }
    reason = decisive->reason;
    if (verdict == kHolds && judged.size() > 1) {
      reason = fmt::format("all {} parts hold; {}", judged.size(), reason);
    }
    if (!not_measured.empty())
      reason += fmt::format(" (not measured: {})", fmt::join(not_measured, "; "));
  }
  const Part* shown = decisive ? decisive : (parts.empty() ? nullptr : &parts.front());
  json entry = {
      {"id", c.id},
      {"text", c.text},
      {"article", c.figures},
      {"article_unit", c.unit},
      {"metric", c.metric.empty() ? (shown ? json(shown->metric) : json()) : json(c.metric)},
      {"unit", shown && !shown->unit.empty() ? json(shown->unit) : json(c.unit)},
      {"comparison", shown ? json(shown->comparison) : json()},
      // The rule of the part shown (go-10k's closed-loop part reads rps, not p99),
      // else the config's.
      {"side", shown && !shown->side.empty() ? json(shown->side)
               : c.direction.empty()         ? json()
                                             : json(c.direction)},
      {"threshold", shown && shown->threshold ? json(*shown->threshold)
                    : c.threshold             ? json(*c.threshold)
                                              : json()},
      {"verdict", verdict},
      {"reason", reason},
      {"scope", scope_of(run)},
      {"not_measured", not_measured}};
  entry["measured"] = shown && shown->measured ? part_json(*shown)["measured"] : json();
  if (shown && shown->measured) {
    entry["scenario"] = shown->scenario.empty() ? json() : json(shown->scenario);
  }
  entry["parts"] = json::array();
  for (const Part& p : parts) entry["parts"].push_back(part_json(p));
  return entry;
}

json evaluate_claim(const Run& run, const ClaimConfig& c) {
  std::vector<Part> parts;
  if (c.id == "build-dev-loop") {
    parts = build_claim(run, c, "incremental", "debug");
  } else if (c.id == "build-ci") {
    parts = build_claim(run, c, "ci", "");
  } else if (c.id == "memory") {
    parts = ratio_claim(run, c, {"rss_mean_kib", "rss_peak_kib", "rss_idle_kib"}, "ratio");
  } else if (c.id == "cpu" || c.id == "json") {
    parts = ratio_claim(run, c, {"cpu_us_per_request"}, "ratio");
  } else if (c.id == "p95") {
    parts = p95_claim(run, c);
  } else if (c.id == "go-10k") {
    parts = go_10k_claim(run, c);
  } else if (c.id == "io-bound") {
    parts = io_claim(run, c);
  } else if (c.id == "startup") {
    parts = startup_claim(run, c);
  } else if (c.id == "binary") {
    parts = binary_claim(run, c);
  } else if (c.id == "loc") {
    // Not counted: the servers implement the whole contract (flags, five routes, graceful
    // shutdown), so a line count of theirs is not the article's hello world.
    parts = {unmeasured("", "lines", "go, rust",
                        "loc: not measured; the servers implement the whole contract (flags, "
                        "/json, /user, /io, graceful shutdown), so their line counts are not "
                        "comparable with a 13- or 21-line hello world")};
  } else {
    parts = {unmeasured("", c.metric, "", c.id + ": hellobench has no rule for this claim")};
  }
  return claim_json(run, c, std::move(parts));
}

}  // namespace

json evaluate_claims(const json& results, const std::vector<ClaimConfig>& claims) {
  const Run run(results);
  json out = json::array();
  for (const ClaimConfig& c : claims) {
    // A malformed results file must not cost a whole run its results: the claim says why.
    try {
      out.push_back(evaluate_claim(run, c));
    } catch (const std::exception& e) {
      out.push_back(claim_json(
          run, c, {unmeasured("", c.metric, "", c.id + ": could not be evaluated: " + e.what())}));
    }
  }
  return out;
}

const char* claims_note() {
  return "Each claim is read as a side of a threshold (claims_config: direction, threshold). "
         "holds: the whole 95% interval (bootstrap, ratio or difference of medians over valid "
         "trials) is on the claim's side; does not hold: wholly on the other side; "
         "inconclusive: it straddles the threshold, n = 1, a throughput trial was "
         "load-generator-bound, or the profile did not measure it. A claim with several parts "
         "fails if any part fails and holds only if every measured part holds. Verdicts speak "
         "for these servers on this machine in this profile only (scope).";
}

json claims_config_json(const std::vector<ClaimConfig>& claims) {
  json out = json::array();
  for (const ClaimConfig& c : claims) {
    out.push_back({{"id", c.id},
                   {"text", c.text},
                   {"unit", c.unit},
                   {"article", c.figures},
                   {"scenarios", c.scenarios},
                   {"metric", c.metric},
                   {"direction", c.direction},
                   {"threshold", c.threshold ? json(*c.threshold) : json()}});
  }
  return out;
}

std::vector<ClaimConfig> claims_from_json(const json& claims_config) {
  std::vector<ClaimConfig> out;
  for (const json& j : claims_config) {
    ClaimConfig c;
    c.id = j.value("id", std::string());
    c.text = j.value("text", std::string());
    c.unit = j.value("unit", std::string());
    for (const auto& [k, v] : member(j, "article").items()) {
      if (v.is_number()) c.figures[k] = v.get<double>();
    }
    for (const json& s : member(j, "scenarios")) {
      if (s.is_string()) c.scenarios.push_back(s.get<std::string>());
    }
    c.metric = j.value("metric", std::string());
    c.direction = j.value("direction", std::string());
    if (j.contains("threshold") && j["threshold"].is_number()) {
      c.threshold = j["threshold"].get<double>();
    }
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace hellobench
