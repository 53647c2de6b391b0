// The three servers against CONTRACT.md section 1 and the service routes of contract/README.md:
// one gtest per server per check (Servers/Contract.Check/<server>_<check>), the same checks for
// all three, and the parity comparisons across them (Across/Parity.Check/<check>). The service
// checks replay contract/vectors/service.json on each server started with --live-mb 1.
//
// The checks run once (about 75 s: the idle timeout is 60 s; the servers run in parallel and
// each server's slow checks run concurrently): in the test ContractRun.VerifiesEveryServer,
// which writes the results to $HELLOBENCH_CONTRACT_RESULTS when ctest sets it (see
// tests/CMakeLists.txt), or keeps them in memory when the executable runs by hand.
// $HELLOBENCH_SERVER_BIN_DIR points the test at servers built elsewhere.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
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
#include <set>
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

// The shared vectors of the source tree. Read when the tests are registered (the check names
// come from them); a file that cannot be read leaves none, and every service test fails saying
// why (kVectorsCheck).
struct Vectors {
  ServiceVectors vectors;
  std::string error;
};
const Vectors& service_vectors() {
  static const Vectors loaded = [] {
    Vectors v;
    try {
      v.vectors =
          load_service_vectors(std::filesystem::path(HELLOBENCH_SOURCE_DIR) / kServiceVectorsPath);
    } catch (const std::exception& e) {
      v.error = e.what();
    }
    return v;
  }();
  return loaded;
}
const std::string kVectorsCheck = "service:vectors";

std::vector<std::string> service_names() {
  if (!service_vectors().error.empty()) return {kVectorsCheck};
  return service_check_names(service_vectors().vectors);
}

struct ServerResults {
  std::string missing;  // why the server could not be checked at all; empty when it was
  std::vector<CheckResult> checks;
  VerifyReport http;     // kept for parity
  VerifyReport service;  // kept for parity; empty when the server did not start with --live-mb
  bool service_ran = false;
};

struct ContractResults {
  std::map<std::string, ServerResults> servers;
  std::vector<CheckResult> parity;
};

json to_json(const std::vector<CheckResult>& checks) {
  json out = json::array();
  for (const auto& c : checks) {
    out.push_back({{"name", c.name},
                   {"passed", c.passed},
                   {"detail", c.detail},
                   {"timing", c.timing},
                   {"skipped", c.skipped}});
  }
  return out;
}

std::vector<CheckResult> checks_from_json(const json& in) {
  std::vector<CheckResult> out;
  for (const auto& c : in) {
    CheckResult r;
    r.name = c.at("name");
    r.passed = c.at("passed");
    r.detail = c.at("detail");
    r.timing = c.at("timing");
    r.skipped = c.at("skipped");
    out.push_back(std::move(r));
  }
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
    results.servers[name].missing = server.at("missing");
    results.servers[name].checks = checks_from_json(server.at("checks"));
  }
  results.parity = checks_from_json(in.at("parity"));
  return results;
}

// Every service check failed with one reason (the server did not start with --live-mb).
std::vector<CheckResult> all_failed(const std::vector<std::string>& names, const std::string& why) {
  std::vector<CheckResult> out;
  for (const auto& name : names) {
    CheckResult r;
    r.name = name;
    r.detail = why;
    out.push_back(std::move(r));
  }
  return out;
}

// The service checks on the server started with --live-mb (the vectors' store).
void check_service(const std::vector<std::string>& argv, ServerResults& results) {
  const Vectors& v = service_vectors();
  if (!v.error.empty()) {
    auto failed = all_failed({kVectorsCheck}, v.error);
    results.checks.insert(results.checks.end(), failed.begin(), failed.end());
    return;
  }
  auto with_store = argv;
  with_store.insert(with_store.end(), {"--live-mb", std::to_string(v.vectors.live_mb)});
  try {
    auto process = Process::spawn(ProcessSpec{with_store, {}, {}, {}, {}, {}});
    auto line = process.wait_for_stdout_line("listening on ", 10s);
    if (!line) {
      std::string err = process.stderr_text();
      while (!err.empty() && err.back() == '\n') err.pop_back();
      const auto status = process.wait_exit(100ms);
      auto failed = all_failed(
          service_names(),
          status ? fmt::format("not run: with --live-mb {} it exited with status {} before its "
                               "ready line (stderr: {})",
                               v.vectors.live_mb, *status, err)
                 : fmt::format("not run: with --live-mb {}, no 'listening on ADDR:PORT' line "
                               "within 10 s (stderr: {})",
                               v.vectors.live_mb, err));
      results.checks.insert(results.checks.end(), failed.begin(), failed.end());
      return;
    }
    HttpCheckOptions options;
    options.port = static_cast<std::uint16_t>(std::stoi(line->substr(line->rfind(':') + 1)));
    results.service = verify_service(options, v.vectors);
    results.service_ran = true;
    process.terminate(2s);
  } catch (const std::exception& e) {
    auto failed = all_failed(service_names(), fmt::format("not run: {}", e.what()));
    results.checks.insert(results.checks.end(), failed.begin(), failed.end());
    return;
  }
  results.checks.insert(results.checks.end(), results.service.checks.begin(),
                        results.service.checks.end());
}

// Starts the server on a free port, runs every HTTP check (slow ones included), stops it, then
// runs the lifecycle checks, which start the server themselves, then the service checks on the
// server started with --live-mb.
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
  lifecycle.with_live_mb = [argv](const std::string& value) {
    auto with = argv;
    with.insert(with.end(), {"--live-mb", value});
    return with;
  };
  auto lifecycle_report = verify_lifecycle(lifecycle);
  results.checks = results.http.checks;
  results.checks.insert(results.checks.end(), lifecycle_report.checks.begin(),
                        lifecycle_report.checks.end());
  check_service(argv, results);
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
  std::map<std::string, VerifyReport> service_reports;
  for (std::size_t i = 0; i < kServers.size(); ++i) {
    auto server = futures[i].get();
    if (server.missing.empty()) reports[kServers[i].name] = server.http;
    // A server that did not start with --live-mb has no answers: parity says so.
    if (server.missing.empty()) service_reports[kServers[i].name] = server.service;
    results.servers[kServers[i].name] = std::move(server);
  }
  results.parity = verify_parity(reports);
  if (service_vectors().error.empty()) {
    auto service = verify_service_parity(service_reports, service_vectors().vectors);
    results.parity.insert(results.parity.end(), service.begin(), service.end());
  } else {
    auto failed = all_failed({kVectorsCheck}, service_vectors().error);
    results.parity.insert(results.parity.end(), failed.begin(), failed.end());
  }
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

// A gtest name from a check id: every run of characters other than letters and digits becomes
// one '_' ("service:body of 64 KiB + 1" -> "service_body_of_64_KiB_1"). Ids that would collide
// get _2, _3 in registration order, so every check keeps its own test.
std::string test_name(const std::string& text) {
  static std::mutex mutex;
  static std::map<std::string, std::string> given;  // id -> name
  static std::set<std::string> taken;
  std::lock_guard lock(mutex);
  if (auto it = given.find(text); it != given.end()) return it->second;
  std::string name;
  for (char c : text) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      name += c;
    } else if (!name.empty() && name.back() != '_') {
      name += '_';
    }
  }
  while (!name.empty() && name.back() == '_') name.pop_back();
  std::string unique = name;
  for (int n = 2; !taken.insert(unique).second; ++n) unique = fmt::format("{}_{}", name, n);
  return given[text] = unique;
}

std::vector<ServerCheck> every_server_check() {
  std::vector<std::string> names = http_check_names(true);
  auto lifecycle = lifecycle_check_names();
  names.insert(names.end(), lifecycle.begin(), lifecycle.end());
  auto service = service_names();
  names.insert(names.end(), service.begin(), service.end());
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

std::vector<std::string> every_parity_check() {
  auto names = parity_check_names();
  auto service = service_names();
  names.insert(names.end(), service.begin(), service.end());
  return names;
}

INSTANTIATE_TEST_SUITE_P(Across, Parity, ::testing::ValuesIn(every_parity_check()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return test_name(info.param);
                         });

}  // namespace
}  // namespace hellobench
