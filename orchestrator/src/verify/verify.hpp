// Contract checks (CONTRACT.md section 1) over real sockets: what `hellobench verify` runs
// before any load, and what the cross-language integration test runs against the servers.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace hellobench {

struct CheckResult {
  std::string name;    // stable id, e.g. "get-root", "keep-alive", "header-limit"
  bool passed = false;
  std::string detail;  // why it failed (or what was seen), one line
};

struct VerifyReport {
  std::vector<CheckResult> checks;
  // Raw answers seen, by request path ("/", "/json", "/user"), for the cross-server parity check.
  std::map<std::string, std::string> bodies;
  std::map<std::string, std::vector<std::string>> header_names;  // lower-case, sorted
  // Size of each of those answers on the wire (status line, header lines, body), as received:
  // equal sizes mean the servers send the same bytes but for the value of Date.
  std::map<std::string, std::size_t> response_bytes;
  bool passed() const;
  std::vector<CheckResult> failures() const;
};

struct HttpCheckOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::chrono::milliseconds io_timeout{3000};
  // The 10 s header timeout and the 60 s idle timeout take a minute to observe: off for a run's
  // pre-flight check, on in the integration test.
  bool slow_checks = false;
  // The contract's limits (section 1). Only verify's own tests scale them down, to watch the
  // slow checks pass and fail in seconds instead of a minute.
  std::chrono::milliseconds header_timeout{10000};
  std::chrono::milliseconds idle_timeout{60000};
  int io_max_ms = 10000;
};

// Every HTTP behaviour of section 1 on a running server.
VerifyReport verify_http(const HttpCheckOptions& options);

struct LifecycleOptions {
  // The server's command with port 0 and explicit --threads; checks append to it.
  std::vector<std::string> argv;
  std::chrono::milliseconds ready_timeout{10000};
  // Threads in /proc/PID/status may exceed --threads by at most this many (the runtime's own
  // threads: a main thread that only waits for signals, Go's sysmon and GC workers, tokio's
  // blocking pool). -1: only the lower bound (at least --threads threads) is checked.
  int max_extra_threads = -1;
};

// Starts the server itself: the `listening on ADDR:PORT` line, exit 2 and a one-line stderr
// on a bad flag, SIGTERM -> exit 0 within 2 s, --threads honoured (thread count in /proc).
// Also: the only listening socket (/proc/PID/net/tcp) is the announced one, and without
// --threads, pinned to one CPU, the server looks like --threads 1. Check ids and what each
// asserts: tests/README.md.
VerifyReport verify_lifecycle(const LifecycleOptions& options);

// Same bytes across servers: bodies of "/", "/json", "/user" identical, same header names.
// Input: server name -> its report. One CheckResult per compared item.
std::vector<CheckResult> verify_parity(const std::map<std::string, VerifyReport>& reports);

// The stable ids of the checks each function reports, in report order (for test
// registration and for reports that list every check, passed or not).
std::vector<std::string> http_check_names(bool slow_checks);
std::vector<std::string> lifecycle_check_names();
std::vector<std::string> parity_check_names();

}  // namespace hellobench
