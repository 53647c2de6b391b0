#include "verify/verify_servers.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <map>

#include "core/errors.hpp"
#include "trial/launch.hpp"
#include "verify/verify.hpp"

namespace hellobench {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

json checks_json(const std::vector<CheckResult>& checks) {
  json out = json::array();
  for (const CheckResult& c : checks) {
    out.push_back({{"name", c.name}, {"passed", c.passed}, {"detail", c.detail}});
  }
  return out;
}

}  // namespace

VerifyOutcome verify_servers(const RunContext& context, bool slow_checks) {
  VerifyOutcome outcome;
  outcome.json = {{"servers", json::object()}, {"parity", json::array()}, {"passed", true}};
  std::map<std::string, VerifyReport> reports;
  const int threads = static_cast<int>(std::max<std::size_t>(1, context.cpus.server.size()));
  int k = 0;
  if (context.progress)
    context.progress->begin("verify", static_cast<int>(context.servers.size()), 3);
  for (const ServerConfig* server : context.servers) {
    if (context.progress) context.progress->step(++k, server->name);
    const fs::path binary = server_binary(*server, context.bin_dir);
    if (!fs::exists(binary)) {
      throw MissingToolError(fmt::format(
          "server '{}': binary {} not found; build it first (`make servers`, or --bin-dir)",
          server->name, binary.string()));
    }
    std::vector<CheckResult> checks;
    VerifyReport http_report;
    try {
      LifecycleOptions lifecycle;
      lifecycle.argv = server_argv(*server, context.bin_dir, context.config->bind, threads);
      const VerifyReport life = verify_lifecycle(lifecycle);
      checks.insert(checks.end(), life.checks.begin(), life.checks.end());

      LaunchOptions launch;
      launch.bin_dir = context.bin_dir;
      launch.bind = context.config->bind;
      launch.cpus = context.cpus.server;
      launch.log_dir = context.run_dir / "logs" / "verify" / server->name;
      RunningServer running = launch_server(*server, launch);
      HttpCheckOptions http;
      http.host = running.host;
      http.port = running.port;
      http.slow_checks = slow_checks;
      http_report = verify_http(http);
      checks.insert(checks.end(), http_report.checks.begin(), http_report.checks.end());
      running.process.terminate(std::chrono::milliseconds(2000));
      reports.emplace(server->name, http_report);
    } catch (const MissingToolError&) {
      throw;
    } catch (const std::exception& e) {
      checks.push_back({"start", false, e.what()});
    }
    bool passed = !checks.empty();
    for (const CheckResult& c : checks) passed = passed && c.passed;
    outcome.json["servers"][server->name] = {{"passed", passed}, {"checks", checks_json(checks)}};
    if (!passed) {
      outcome.failed_servers.push_back(server->name);
      outcome.json["passed"] = false;
      if (context.progress) {
        std::string first;
        for (const CheckResult& c : checks) {
          if (!c.passed) {
            first = fmt::format("{}: {}", c.name, c.detail);
            break;
          }
        }
        context.progress->note(
            fmt::format("verify: {} FAILED ({}); it is not benchmarked", server->name, first));
      }
    }
  }
  if (reports.size() >= 2) {
    const std::vector<CheckResult> parity = verify_parity(reports);
    outcome.json["parity"] = checks_json(parity);
    for (const CheckResult& c : parity) {
      if (!c.passed) {
        outcome.json["passed"] = false;
        if (context.progress)
          context.progress->note(fmt::format("parity: {}: {}", c.name, c.detail));
      }
    }
  }
  if (context.progress) context.progress->end();
  return outcome;
}

}  // namespace hellobench
