#include "trial/sweeps.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "analysis/stats.hpp"
#include "core/errors.hpp"
#include "trial/launch.hpp"

namespace hellobench {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::chrono::milliseconds millis(double seconds) {
  return std::chrono::milliseconds(static_cast<long>(std::llround(seconds * 1000)));
}

json probe_json(const CapacityProbe& p) {
  json out = {{"rate", p.rate},
              {"held", p.held},
              {"p99_us", p.p99_us},
              {"achieved_rate", p.achieved_rate},
              {"cpu_share", p.cpu_share},
              {"cpu_us_per_request", p.cpu_us_per_request},
              {"loadgen_bound", p.loadgen_bound}};
  if (!p.held) out["why_not"] = p.why_not;
  return out;
}

// One probe at `rate` on the running server: held when every request due was sent and
// answered without error, at the rate asked, with p99 at most the bound, and the generator was
// not the bottleneck.
CapacityProbe probe(const RunContext& context, const TrialPlan& plan, const RunningServer& server,
                    Generator& generator, const CapacitySearch& search, double rate,
                    const fs::path& log_dir) {
  TrialPlan at = plan;
  at.rate = rate;
  LoadSpec spec = load_spec_for(context, at, server.host, server.port);
  spec.duration = millis(search.probe_seconds);
  WindowMeasurement m = measure_window(context, server.process.pid(), generator, spec,
                                       log_dir / fmt::format("probe-{:.0f}", rate),
                                       log_dir / "server.stderr");
  CapacityProbe p;
  p.rate = rate;
  if (m.failure || !m.load) {
    p.why_not = m.failure.value_or("no result");
    return p;
  }
  const json& f = m.fields;
  p.p99_us = f["latency_us"].value("p99", 0.0);
  p.achieved_rate = f.value("rps", 0.0);
  p.cpu_share = f.value("server_cpu_share", 0.0);
  p.cpu_us_per_request = f.value("cpu_us_per_request", 0.0);
  p.loadgen_bound = f.value("bound", std::string()) == "loadgen";
  const double unsent = m.load->extra.count("unsent") ? m.load->extra.at("unsent") : 0.0;
  // A rate answered in full, on time and within the bound was held, whoever was busier: a
  // saturated generator side only adds delay. A probe that failed while the generator side was
  // saturated may have failed for the generator: the search then stops with a floor.
  if (m.load->total_errors() > 0) {
    p.why_not = fmt::format("{} errors", m.load->total_errors());
  } else if (!rate_held(unsent, static_cast<double>(m.load->requests))) {
    p.why_not = fmt::format("{:.0f} requests unsent: the rate was not held", unsent);
  } else if (p.p99_us > search.p99_bound_ms * 1000) {
    p.why_not = fmt::format("p99 {:.3g} ms over the {:.3g} ms bound", p.p99_us / 1000,
                            search.p99_bound_ms);
  } else {
    p.held = true;
  }
  if (!p.held && p.loadgen_bound) {
    p.why_not += fmt::format(", while the generator side was the bottleneck ({})",
                             f.value("bound_reason", std::string()));
  }
  return p;
}

struct Capacity {
  std::optional<double> held;    // the highest rate held
  std::optional<double> failed;  // the lowest rate above it that was not held
  bool floor_only = false;       // the search stopped at a generator-bound probe
  std::vector<CapacityProbe> probes;
  std::string error;             // the server could not be started
  json to_json(const CapacitySearch& search) const {
    json probes_json = json::array();
    for (const CapacityProbe& p : probes) probes_json.push_back(probe_json(p));
    json out = {{"rate", held ? json(*held) : json(nullptr)},
                {"failed_rate", failed ? json(*failed) : json(nullptr)},
                {"p99_bound_ms", search.p99_bound_ms},
                {"probe_s", search.probe_seconds},
                {"floor_only", floor_only},
                {"probes", probes_json}};
    if (!error.empty()) out["error"] = error;
    return out;
  }
};

Capacity search_capacity(const RunContext& context, const ProfileConfig& profile,
                         const SweepConfig& sweep, const ScenarioConfig& scenario,
                         const ServerConfig& server, Generator& generator) {
  const CapacitySearch& search = *sweep.capacity;
  Capacity c;
  TrialPlan plan = plan_trial(profile, scenario, server, 1);
  plan.sweep = sweep.name;
  plan.point = "capacity";
  const fs::path log_dir = context.run_dir / "logs" / sweep.name / (server.name + "-capacity");
  LaunchOptions launch;
  launch.bin_dir = context.bin_dir;
  launch.bind = context.config->bind;
  launch.cpus = context.cpus.server;
  launch.log_dir = log_dir;
  if (needs_database(scenario) && context.database_uri.empty()) {
    c.error = "the scenario needs a database and the run has none";
    return c;
  }
  launch.settings = launch_settings(context, plan);
  std::optional<RunningServer> running;
  try {
    running.emplace(launch_server(server, launch));
  } catch (const MissingToolError&) {
    throw;
  } catch (const std::exception& e) {
    c.error = e.what();
    return c;
  }
  // One warm-up at the first rate, then probes up the ladder on the same process: a search is
  // a single sequence, and a fresh start per probe would re-measure startup, not capacity.
  {
    TrialPlan warm = plan;
    warm.rate = search.start_rate;
    LoadSpec spec = load_spec_for(context, warm, running->host, running->port);
    spec.duration = millis(std::max(0.5, profile.warmup_seconds));
    try {
      generator.start(spec, log_dir / "warmup")->wait();
    } catch (const GeneratorError&) {
      // The first probe will say what is wrong.
    }
  }
  auto run_probe = [&](double rate) {
    CapacityProbe p = probe(context, plan, *running, generator, search, rate, log_dir);
    c.probes.push_back(p);
    if (context.progress) {
      context.progress->note(fmt::format("  {} capacity probe {:.0f}/s: {}", server.name, rate,
                                         p.held ? "held" : p.why_not));
    }
    return p;
  };
  // A rate is held when a probe holds it; a probe that fails is run once more at the same rate
  // (a single second's p99 is noisy: one late burst must not decide a capacity), unless the
  // generator was the bottleneck. Both probes are kept in results.json.
  int probes = 0;
  auto decide = [&](double at) {
    ++probes;
    CapacityProbe p = run_probe(at);
    if (!p.held && !p.loadgen_bound && probes < search.max_probes) {
      ++probes;
      p = run_probe(at);
    }
    return p;
  };
  double rate = search.start_rate;
  while (probes < search.max_probes) {
    const CapacityProbe p = decide(rate);
    if (p.held) {
      c.held = rate;
      rate *= search.growth;
      continue;
    }
    if (p.loadgen_bound) c.floor_only = true;
    c.failed = rate;
    break;
  }
  // The first rate not held: down the ladder until one is, so that a start rate set too high
  // still finds the capacity rather than none.
  for (rate = search.start_rate / search.growth;
       !c.held && c.failed && !c.floor_only && probes < search.max_probes && rate >= 1;
       rate /= search.growth) {
    if (decide(rate).held) {
      c.held = rate;
    } else {
      c.failed = rate;
    }
  }
  for (int i = 0; i < search.refinements && c.held && c.failed && !c.floor_only &&
                  probes < search.max_probes;
       ++i) {
    const double mid = std::sqrt(*c.held * *c.failed);  // geometric: the ladder is geometric
    if (decide(mid).held) {
      c.held = mid;
    } else {
      c.failed = mid;
    }
  }
  running->process.terminate(std::chrono::milliseconds(2000));
  return c;
}

// Medians of the figures a curve shows, per server, over a point's valid trials.
json point_figures(const json& rows) {
  static const std::vector<std::pair<const char*, const char*>> figures = {
      {"achieved_rate", "/rps"},
      {"cpu_share", "/server_cpu_share"},
      {"cpu_us_per_request", "/cpu_us_per_request"},
      {"rss_idle_kib", "/rss_idle_kib"},
      {"rss_mean_kib", "/rss_mean_kib"},
      {"rss_peak_kib", "/rss_peak_kib"},
      {"pss_end_kib", "/pss_end_kib"},
      {"p50_us", "/latency_us/p50"},
      {"p95_us", "/latency_us/p95"},
      {"p99_us", "/latency_us/p99"},
      {"overhead_p50_us", "/overhead_us/p50"},
      {"overhead_p95_us", "/overhead_us/p95"},
      {"gc_cycles", "/gc_cycles"},
      {"startup_ms", "/startup_ms"},
  };
  json out = json::object();
  int valid = 0;
  for (const auto& [name, pointer] : figures) {
    std::vector<double> values;
    for (const json& row : rows) {
      if (!row.value("valid", false)) continue;
      const json::json_pointer p(pointer);
      if (row.contains(p) && row.at(p).is_number()) values.push_back(row.at(p).get<double>());
    }
    if (!values.empty()) out[name] = stats::median(values);
  }
  int over_capacity = 0;
  for (const json& row : rows) {
    valid += row.value("valid", false) ? 1 : 0;
    over_capacity += row.value("over_capacity", false) ? 1 : 0;
  }
  out["n"] = valid;
  out["over_capacity"] = over_capacity;
  out["trials"] = rows.size();
  return out;
}

}  // namespace

std::optional<double> rate_for_cpu_share(const std::vector<CapacityProbe>& probes, double share) {
  std::vector<const CapacityProbe*> held;
  for (const CapacityProbe& p : probes) {
    if (p.held && p.cpu_share > 0) held.push_back(&p);
  }
  std::sort(held.begin(), held.end(),
            [](const CapacityProbe* a, const CapacityProbe* b) { return a->rate < b->rate; });
  // Remove probes whose share does not grow with the rate (noise): keep the curve monotone.
  std::vector<const CapacityProbe*> curve;
  for (const CapacityProbe* p : held) {
    if (curve.empty() || p->cpu_share > curve.back()->cpu_share) curve.push_back(p);
  }
  if (curve.empty()) return std::nullopt;
  auto line = [&](const CapacityProbe& a, const CapacityProbe& b) {
    return a.rate + (share - a.cpu_share) * (b.rate - a.rate) / (b.cpu_share - a.cpu_share);
  };
  for (std::size_t i = 0; i + 1 < curve.size(); ++i) {
    if (curve[i]->cpu_share <= share && share <= curve[i + 1]->cpu_share) {
      return line(*curve[i], *curve[i + 1]);
    }
  }
  if (curve.size() < 2) {
    // One point: below it, CPU share through the origin (it is at least that near zero load);
    // above it, unknown (the server was never seen holding that much).
    if (share > curve.front()->cpu_share) return std::nullopt;
    return curve.front()->rate * share / curve.front()->cpu_share;
  }
  if (share < curve.front()->cpu_share) {
    const double r = line(*curve[0], *curve[1]);
    return r > 0 ? std::optional<double>(r)
                 : std::optional<double>(curve.front()->rate * share / curve.front()->cpu_share);
  }
  return std::nullopt;  // above every held probe: the server never used that much and held
}

int planned_sweep_trials(const RunContext& context, const ProfileConfig& profile,
                         const SweepConfig& sweep) {
  int total = 0;
  for (const SweepPoint& p : sweep.points) {
    total += (p.headline ? profile.repetitions : profile.sweep_repetitions) *
             static_cast<int>(context.servers.size());
  }
  return total;
}

void run_sweep(const RunContext& context, const ProfileConfig& profile, const SweepConfig& sweep,
               Generator& generator, int& order, TrialsOutcome& outcome) {
  const ScenarioConfig& scenario = *context.config->find_scenario(sweep.scenario);
  json out = {{"name", sweep.name},
              {"scenario", sweep.scenario},
              {"vary", sweep.vary},
              {"description", sweep.description},
              {"capacity", json::object()},
              {"points", json::array()}};
  std::map<std::string, Capacity> capacity;
  if (sweep.capacity) {
    for (const ServerConfig* server : context.servers) {
      TrialPlan plan = plan_trial(profile, scenario, *server, 1);
      if (const auto why = unsupported_reason(plan)) {
        out["capacity"][server->name] = {{"rate", nullptr}, {"error", *why}};
        continue;
      }
      if (context.progress) {
        context.progress->note(fmt::format("sweep {}: capacity of {}", sweep.name, server->name));
      }
      capacity[server->name] =
          search_capacity(context, profile, sweep, scenario, *server, generator);
      out["capacity"][server->name] = capacity[server->name].to_json(*sweep.capacity);
    }
  }

  for (const SweepPoint& point : sweep.points) {
    json p = {{"label", point.label}, {"headline", point.headline}};
    std::optional<double> rate = scenario.rate;
    std::string unreachable;
    if (point.rate) rate = point.rate;
    if (point.fraction || point.cpu_share) {
      const auto it = capacity.find(point.of);
      if (it == capacity.end() || !it->second.held) {
        unreachable = fmt::format("no capacity measured for '{}'", point.of);
      } else if (point.fraction) {
        rate = *point.fraction * *it->second.held;
      } else {
        rate = rate_for_cpu_share(it->second.probes, *point.cpu_share);
        if (!rate) {
          unreachable = fmt::format("{} held no rate at {}% CPU", point.of, *point.cpu_share * 100);
        }
      }
      p["of"] = point.of;
      if (point.fraction) p["fraction"] = *point.fraction;
      if (point.cpu_share) p["cpu_share_target"] = *point.cpu_share;
    }
    if (point.value) p["value"] = *point.value;
    p["rate"] = rate ? json(std::round(*rate)) : json(nullptr);
    if (!unreachable.empty()) {
      p["skipped"] = unreachable;
      outcome.skipped.push_back({{"scenario", fmt::format("sweep {} point {}", sweep.name,
                                                          point.label)},
                                 {"reason", unreachable}});
      if (context.progress) {
        context.progress->note(
            fmt::format("sweep {} point {} skipped: {}", sweep.name, point.label, unreachable));
      }
      out["points"].push_back(p);
      continue;
    }
    const int repetitions = point.headline ? profile.repetitions : profile.sweep_repetitions;
    std::map<std::string, json> rows;
    for (int rep = 1; rep <= repetitions; ++rep) {
      for (const ServerConfig* server : context.servers) {
        TrialPlan plan = plan_trial(profile, scenario, *server, rep);
        plan.sweep = sweep.name;
        plan.point = point.label;
        plan.order = ++order;
        if (rate) plan.rate = std::round(*rate);
        if (const auto c = capacity.find(server->name); c != capacity.end() && c->second.failed) {
          plan.failed_capacity_rate = *c->second.failed;
        }
        if (point.value) plan.settings[sweep.vary] = *point.value;
        if (const auto why = unsupported_reason(plan)) {
          if (rep == 1) {
            outcome.skipped.push_back(
                {{"scenario", fmt::format("sweep {} on {}", sweep.name, server->name)},
                 {"reason", *why}});
          }
          continue;
        }
        if (context.progress) {
          context.progress->step(order, fmt::format("{} {}@{} r{}", server->name, sweep.name,
                                                    point.label, rep));
        }
        json row = run_trial(context, plan, generator, outcome);
        rows[server->name].push_back(row);
        outcome.trials.push_back(std::move(row));
      }
    }
    p["servers"] = json::object();
    for (const auto& [name, server_rows] : rows) p["servers"][name] = point_figures(server_rows);
    out["points"].push_back(p);
  }
  outcome.sweeps.push_back(out);
}

}  // namespace hellobench
