#include "verify/verify_servers.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>

#include "core/errors.hpp"
#include "trial/launch.hpp"
#include "verify/http_client.hpp"
#include "verify/verify.hpp"

namespace hellobench {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kLiveMb = "live_mb";

json checks_json(const std::vector<CheckResult>& checks) {
  json out = json::array();
  for (const CheckResult& c : checks) {
    json row = {{"name", c.name}, {"passed", c.passed}, {"detail", c.detail}, {"timing", c.timing}};
    if (!c.skipped.empty()) row["skipped"] = c.skipped;
    out.push_back(std::move(row));
  }
  return out;
}

// A detail on one line: a server's stderr quoted in an error may end in (or hold) newlines.
std::string one_line(std::string text) {
  std::replace(text.begin(), text.end(), '\n', ' ');
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

CheckResult failed(const std::string& name, const std::string& detail) {
  CheckResult c;
  c.name = name;
  c.detail = one_line(detail);
  return c;
}

const CheckResult* find_check(const std::vector<CheckResult>& checks, const std::string& name) {
  for (const CheckResult& c : checks) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

}  // namespace

VerifyOutcome verify_servers(const RunContext& context, bool slow_checks) {
  VerifyOutcome outcome;
  outcome.json = {{"servers", json::object()},
                  {"parity", json::array()},
                  {"service_parity", json::array()},
                  {"passed", true}};
  std::map<std::string, VerifyReport> http_reports;
  std::map<std::string, VerifyReport> service_reports;
  std::optional<ServiceVectors> vectors;  // read once the first server can take them
  const int threads = static_cast<int>(std::max<std::size_t>(1, context.cpus.server.size()));
  const std::string& bind = context.config->bind;
  int k = 0;
  if (context.progress)
    context.progress->begin("verify", static_cast<int>(context.servers.size()), 4);
  for (const ServerConfig* server : context.servers) {
    if (context.progress) context.progress->step(++k, server->name);
    const fs::path binary = server_binary(*server, context.bin_dir);
    if (!fs::exists(binary)) {
      throw MissingToolError(fmt::format(
          "server '{}': binary {} not found; build it first (`make servers`, or --bin-dir)",
          server->name, binary.string()));
    }
    const bool has_live_mb = server->options.contains(kLiveMb);
    std::vector<CheckResult> checks;
    if (server->tier == "minimal") {
      // The minimal tier is the framework docs' hello world (CONTRACT.md, "Tiers"): held to a
      // reduced contract, GET / answered 200 with the hello body; its defaults are measured, not
      // judged (no Server header, no limits, no timeouts unless the docs' example sets them).
      LaunchOptions launch;
      launch.bin_dir = context.bin_dir;
      launch.bind = bind;
      launch.cpus = context.cpus.server;
      launch.log_dir = context.run_dir / "logs" / "verify" / server->name;
      try {
        RunningServer running = launch_server(*server, launch);
        const HttpResponse r =
            http_exchange(running.host, running.port, http_get("/", running.host),
                          std::chrono::milliseconds(3000));
        const bool ok = r.status == 200 && r.body == "Hello, World!";
        checks.push_back(ok ? CheckResult{"minimal-get-root", true, "200 Hello, World!"}
                            : failed("minimal-get-root",
                                     fmt::format("GET / answered {} with {} bytes", r.status,
                                                 r.body.size())));
        running.process.terminate(std::chrono::milliseconds(2000));
      } catch (const MissingToolError&) {
        throw;
      } catch (const std::exception& e) {
        checks.push_back(failed("minimal-get-root", e.what()));
      }
      const bool passed = checks.back().passed;
      outcome.json["servers"][server->name] = {
          {"passed", passed}, {"warnings", json::array()}, {"checks", checks_json(checks)},
          {"contract", "minimal: GET / only"}};
      if (!passed) {
        outcome.failed_servers.push_back(server->name);
        outcome.json["passed"] = false;
      }
      continue;
    }

    LifecycleOptions lifecycle;
    lifecycle.argv = server_argv(*server, context.bin_dir, bind, threads);
    if (has_live_mb) {
      lifecycle.with_live_mb = [&](const std::string& value) {
        return server_argv(*server, context.bin_dir, bind, threads, 0, {{kLiveMb, value}});
      };
    }
    const VerifyReport life = verify_lifecycle(lifecycle);
    checks.insert(checks.end(), life.checks.begin(), life.checks.end());
    // A server that never started, or printed its line and then did not answer, is not started
    // again for the HTTP and service checks: they would only wait for it.
    std::optional<std::string> cannot_serve;
    for (const char* gate : {"ready-line", "ready-answers"}) {
      const CheckResult* c = find_check(life.checks, gate);
      if (!cannot_serve && c && !c->passed) {
        cannot_serve = fmt::format("not run: the server failed {} ({})", gate, c->detail);
      }
    }

    LaunchOptions launch;
    launch.bin_dir = context.bin_dir;
    launch.bind = bind;
    launch.cpus = context.cpus.server;
    if (cannot_serve) {
      checks.push_back(failed("start", *cannot_serve));
    } else {
      try {
        launch.log_dir = context.run_dir / "logs" / "verify" / server->name;
        RunningServer running = launch_server(*server, launch);
        HttpCheckOptions http;
        http.host = running.host;
        http.port = running.port;
        http.slow_checks = slow_checks;
        VerifyReport http_report = verify_http(http);
        running.process.terminate(std::chrono::milliseconds(2000));
        checks.insert(checks.end(), http_report.checks.begin(), http_report.checks.end());
        http_reports.emplace(server->name, std::move(http_report));
      } catch (const MissingToolError&) {
        throw;
      } catch (const std::exception& e) {
        checks.push_back(failed("start", e.what()));
      }
    }

    if (!has_live_mb) {
      CheckResult skipped;
      skipped.name = "service";
      skipped.passed = true;
      skipped.skipped = fmt::format(
          "server '{}' has no {} setting ([server.options]), so it cannot hold the store the "
          "service routes need",
          server->name, kLiveMb);
      skipped.detail = "skipped: " + skipped.skipped;
      checks.push_back(std::move(skipped));
    } else if (cannot_serve) {
      checks.push_back(failed("service:start", *cannot_serve));
    } else {
      if (!vectors) vectors = load_service_vectors(find_service_vectors(context.config->base_dir));
      try {
        launch.log_dir = context.run_dir / "logs" / "verify" / (server->name + "-service");
        launch.settings = {{kLiveMb, std::to_string(vectors->live_mb)}};
        RunningServer running = launch_server(*server, launch);
        HttpCheckOptions http;
        http.host = running.host;
        http.port = running.port;
        VerifyReport service_report = verify_service(http, *vectors);
        running.process.terminate(std::chrono::milliseconds(2000));
        checks.insert(checks.end(), service_report.checks.begin(), service_report.checks.end());
        service_reports.emplace(server->name, std::move(service_report));
      } catch (const MissingToolError&) {
        throw;
      } catch (const std::exception& e) {
        checks.push_back(failed("service:start",
                                fmt::format("with --live-mb {}: {}", vectors->live_mb, e.what())));
      }
    }

    VerifyReport all;
    all.checks = std::move(checks);
    json warnings = json::array();
    for (const CheckResult& c : all.failures()) {
      if (c.timing) warnings.push_back(fmt::format("{}: {}", c.name, c.detail));
    }
    const bool passed = !all.checks.empty() && (all.passed() || all.only_timing_failures());
    outcome.json["servers"][server->name] = {
        {"passed", passed}, {"warnings", warnings}, {"checks", checks_json(all.checks)}};
    if (!passed) {
      outcome.failed_servers.push_back(server->name);
      outcome.json["passed"] = false;
      if (context.progress) {
        const auto failures = all.failures();
        const auto first = std::find_if(failures.begin(), failures.end(),
                                        [](const CheckResult& c) { return !c.timing; });
        context.progress->note(fmt::format(
            "verify: {} FAILED ({}: {}; {} of {} checks failed); it is not benchmarked",
            server->name, first->name, first->detail, failures.size(), all.checks.size()));
      }
    } else if (!warnings.empty()) {
      outcome.warned_servers.push_back(server->name);
      if (context.progress) {
        context.progress->note(fmt::format(
            "verify: {} passed with {} warning(s), only time limits missed ({}); it is measured",
            server->name, warnings.size(), warnings.front().get<std::string>()));
      }
    }
  }
  auto record_parity = [&](const std::vector<CheckResult>& parity, const char* key) {
    outcome.json[key] = checks_json(parity);
    for (const CheckResult& c : parity) {
      if (!c.passed) {
        outcome.json["passed"] = false;
        if (context.progress)
          context.progress->note(fmt::format("parity: {}: {}", c.name, c.detail));
      }
    }
  };
  if (http_reports.size() >= 2) record_parity(verify_parity(http_reports), "parity");
  if (service_reports.size() >= 2 && vectors) {
    record_parity(verify_service_parity(service_reports, *vectors), "service_parity");
  }
  if (context.progress) context.progress->end();
  return outcome;
}

}  // namespace hellobench
