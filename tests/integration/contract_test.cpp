// The three servers against CONTRACT.md section 1: one gtest per server per check
// (Servers/Contract.Check/<server>_<check>), the same checks for all three, and the parity
// comparisons across them (Across/Parity.Check/<check>).
//
// The checks run once (about 70 s: the idle timeout is 60 s; the servers run in parallel and
// each server's slow checks run concurrently): in the test ContractRun.VerifiesEveryServer,
// which writes the results to $HELLOBENCH_CONTRACT_RESULTS when ctest sets it (see
// tests/CMakeLists.txt), or keeps them in memory when the executable runs by hand.
// $HELLOBENCH_SERVER_BIN_DIR points the test at servers built elsewhere.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "trial/process.hpp"
#include "verify/verify.hpp"

namespace hellobench {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

// Threads beyond --threads that each runtime may show in /proc/PID/status (see
// LifecycleOptions::max_extra_threads); -1 where the count is not predictable.
struct ServerUnderTest {
  std::string name;
  int max_extra_threads;
};
const std::vector<ServerUnderTest> kServers = {
    {"cpp-server", 1},   // N Asio threads and the main thread
    {"go-server", -1},   // sysmon, GC workers, threads parked in syscalls: no fixed bound
    {"rust-server", 1},  // N tokio workers and the main thread (no blocking-pool work)
};
constexpr int kThreads = 2;

std::filesystem::path bin_dir() {
  if (const char* dir = std::getenv("HELLOBENCH_SERVER_BIN_DIR"); dir && *dir) return dir;
  return HELLOBENCH_BIN_DIR;
}

struct ServerResults {
  std::string missing;  // why the server could not be checked at all; empty when it was
  std::vector<CheckResult> checks;
  VerifyReport http;  // kept for parity
};

struct ContractResults {
  std::map<std::string, ServerResults> servers;
  std::vector<CheckResult> parity;
};

json to_json(const std::vector<CheckResult>& checks) {
  json out = json::array();
  for (const auto& c : checks)
    out.push_back({{"name", c.name}, {"passed", c.passed}, {"detail", c.detail}});
  return out;
}

std::vector<CheckResult> checks_from_json(const json& in) {
  std::vector<CheckResult> out;
  for (const auto& c : in) out.push_back({c.at("name"), c.at("passed"), c.at("detail")});
  return out;
}

json to_json(const ContractResults& results) {
  json out;
  for (const auto& [name, server] : results.servers) {
    out["servers"][name] = {{"missing", server.missing}, {"checks", to_json(server.checks)}};
  }
  out["parity"] = to_json(results.parity);
  return out;
}

ContractResults results_from_json(const json& in) {
  ContractResults results;
  for (const auto& [name, server] : in.at("servers").items()) {
    results.servers[name] = {server.at("missing"), checks_from_json(server.at("checks")), {}};
  }
  results.parity = checks_from_json(in.at("parity"));
  return results;
}

// Starts the server on a free port, runs every HTTP check (slow ones included), stops it, then
// runs the lifecycle checks, which start the server themselves.
ServerResults check_server(const ServerUnderTest& server) {
  ServerResults results;
  const auto binary = bin_dir() / server.name;
  if (!std::filesystem::exists(binary)) {
    results.missing =
        fmt::format("{} not found: build it first (cmake --build <build> --target {})",
                    binary.string(), server.name);
    return results;
  }
  const std::vector<std::string> argv = {binary.string(), "--port", "0", "--threads",
                                         std::to_string(kThreads)};
  try {
    auto process = Process::spawn(ProcessSpec{argv, {}, {}, {}, {}, {}});
    auto line = process.wait_for_stdout_line("listening on ", 10s);
    if (!line) {
      results.missing =
          fmt::format("{} did not print 'listening on ADDR:PORT' within 10 s (exit {}, stderr: {})",
                      server.name, process.exit_status().value_or(-1), process.stderr_text());
      return results;
    }
    HttpCheckOptions options;
    options.port = static_cast<std::uint16_t>(std::stoi(line->substr(line->rfind(':') + 1)));
    options.slow_checks = true;
    results.http = verify_http(options);
    process.terminate(2s);
  } catch (const std::exception& e) {
    results.missing = fmt::format("{}: {}", server.name, e.what());
    return results;
  }
  LifecycleOptions lifecycle;
  lifecycle.argv = argv;
  lifecycle.max_extra_threads = server.max_extra_threads;
  auto lifecycle_report = verify_lifecycle(lifecycle);
  results.checks = results.http.checks;
  results.checks.insert(results.checks.end(), lifecycle_report.checks.begin(),
                        lifecycle_report.checks.end());
  return results;
}

ContractResults run_every_check() {
  // One thread per server: a child dies with the thread that spawned it (PR_SET_PDEATHSIG),
  // and each thread ends only after its servers are stopped.
  std::vector<std::future<ServerResults>> futures;
  for (const auto& server : kServers)
    futures.push_back(std::async(std::launch::async, check_server, server));
  ContractResults results;
  std::map<std::string, VerifyReport> reports;
  for (std::size_t i = 0; i < kServers.size(); ++i) {
    auto server = futures[i].get();
    if (server.missing.empty()) reports[kServers[i].name] = server.http;
    results.servers[kServers[i].name] = std::move(server);
  }
  results.parity = verify_parity(reports);
  std::vector<std::string> missing;
  for (const auto& [name, server] : results.servers) {
    if (!server.missing.empty()) missing.push_back(name);
  }
  if (!missing.empty()) {
    for (auto& check : results.parity) {
      check.passed = false;
      check.detail = fmt::format("{} not checked (see its tests); among the others: {}",
                                 fmt::join(missing, ", "), check.detail);
    }
  }
  return results;
}

std::optional<std::filesystem::path> results_file() {
  if (const char* path = std::getenv("HELLOBENCH_CONTRACT_RESULTS"); path && *path) return path;
  return std::nullopt;
}

// Run by hand: the results of the one in-process run.
const ContractResults& in_process_results() {
  static const ContractResults results = run_every_check();
  return results;
}

// The results for a per-check test: from the fixture's file under ctest, else in-process.
const ContractResults& results() {
  static std::once_flag once;
  static ContractResults from_file;
  auto path = results_file();
  if (!path) return in_process_results();
  std::call_once(once, [&] {
    std::ifstream in(*path);
    if (!in) {
      throw std::runtime_error(
          fmt::format("no contract results at {}: the test ContractRun.VerifiesEveryServer writes "
                      "them (ctest runs it first)",
                      path->string()));
    }
    from_file = results_from_json(json::parse(in));
  });
  return from_file;
}

void print_summary(const ContractResults& results) {
  for (const auto& [name, server] : results.servers) {
    if (!server.missing.empty()) {
      std::cout << name << ": NOT CHECKED: " << server.missing << "\n";
      continue;
    }
    auto failed = std::count_if(server.checks.begin(), server.checks.end(),
                                [](auto& c) { return !c.passed; });
    std::cout << name << ": " << server.checks.size() - failed << "/" << server.checks.size()
              << " checks passed\n";
    for (const auto& c : server.checks) {
      std::cout << "  " << (c.passed ? "pass " : "FAIL ") << c.name << ": " << c.detail << "\n";
    }
  }
  for (const auto& c : results.parity) {
    std::cout << "parity " << (c.passed ? "pass " : "FAIL ") << c.name << ": " << c.detail << "\n";
  }
}

TEST(ContractRun, VerifiesEveryServer) {
  auto path = results_file();
  if (!path) {
    print_summary(in_process_results());
    return;
  }
  // A stale file must never stand in for this run.
  std::filesystem::remove(*path);
  auto results = run_every_check();
  print_summary(results);
  auto temporary = path->string() + ".tmp";
  {
    std::ofstream out(temporary);
    out << to_json(results).dump(2) << "\n";
    ASSERT_TRUE(out.good()) << "cannot write " << temporary;
  }
  std::filesystem::rename(temporary, *path);
}

// --- one test per server and check ---

struct ServerCheck {
  std::string server;
  std::string check;
};

void PrintTo(const ServerCheck& p, std::ostream* os) { *os << p.server << " " << p.check; }

std::string test_name(std::string text) {
  std::replace(text.begin(), text.end(), '-', '_');
  return text;
}

std::vector<ServerCheck> every_server_check() {
  std::vector<std::string> names = http_check_names(true);
  auto lifecycle = lifecycle_check_names();
  names.insert(names.end(), lifecycle.begin(), lifecycle.end());
  std::vector<ServerCheck> params;
  for (const auto& server : kServers) {
    for (const auto& name : names) params.push_back({server.name, name});
  }
  return params;
}

class Contract : public ::testing::TestWithParam<ServerCheck> {};

TEST_P(Contract, Check) {
  const auto& [server_name, check_name] = GetParam();
  const auto& all = results();
  auto server = all.servers.find(server_name);
  ASSERT_NE(server, all.servers.end()) << server_name << " was not run";
  if (!server->second.missing.empty()) FAIL() << server->second.missing;
  auto& checks = server->second.checks;
  auto check = std::find_if(checks.begin(), checks.end(),
                            [&](const CheckResult& c) { return c.name == check_name; });
  ASSERT_NE(check, checks.end()) << server_name << ": no result for " << check_name;
  EXPECT_TRUE(check->passed) << server_name << " " << check_name << ": " << check->detail;
}

INSTANTIATE_TEST_SUITE_P(Servers, Contract, ::testing::ValuesIn(every_server_check()),
                         [](const ::testing::TestParamInfo<ServerCheck>& info) {
                           return test_name(info.param.server + "_" + info.param.check);
                         });

class Parity : public ::testing::TestWithParam<std::string> {};

TEST_P(Parity, Check) {
  const auto& all = results();
  auto check = std::find_if(all.parity.begin(), all.parity.end(),
                            [&](const CheckResult& c) { return c.name == GetParam(); });
  ASSERT_NE(check, all.parity.end()) << "no result for " << GetParam();
  EXPECT_TRUE(check->passed) << GetParam() << ": " << check->detail;
}

INSTANTIATE_TEST_SUITE_P(Across, Parity, ::testing::ValuesIn(parity_check_names()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return test_name(info.param);
                         });

}  // namespace
}  // namespace hellobench
