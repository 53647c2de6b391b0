// Contract checks (CONTRACT.md section 1, contract/README.md) over real sockets: what
// `hellobench verify` runs before any load, and what the cross-language integration test runs
// against the servers. Check ids and what each asserts: tests/README.md.
//
// One module per seam: http_checks.cpp (a running server's answers and connections),
// lifecycle.cpp (starting, stopping, arguments), service_checks.cpp (the service routes from
// the shared vectors), parity.cpp (the same bytes across servers).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace hellobench {

struct CheckResult {
  std::string name;  // stable id, e.g. "keep-alive", "sigterm-exit", "service:user 7"
  bool passed = false;
  std::string detail;  // why it failed (or what was seen), one line
  // The verdict rests on a time limit: on a failure, something came late (an answer, a close,
  // an exit) rather than wrongly or never. A loaded machine can cause that, so such a check has
  // already been retried once (or has a wide margin), and verify_servers measures a server
  // whose only failures are these, with a warning, instead of dropping it.
  bool timing = false;
  // Not run, and why (e.g. the server has no live_mb setting). A skipped check counts as
  // passed: nothing was found wrong.
  std::string skipped;
};

// One answer as received, kept for parity across servers.
struct ObservedAnswer {
  std::string body;
  std::vector<std::string> header_names;  // lower-case, sorted
  // Size on the wire (status line without its reason phrase, header lines, body), as received:
  // equal sizes mean the servers send the same bytes but for the value of Date (always 29
  // bytes) and the reason phrase (informational; net/http's cannot be changed).
  std::size_t wire_bytes = 0;
};

struct VerifyReport {
  std::vector<CheckResult> checks;
  // Answers kept for parity: by path for verify_http ("/", "/json", "/user"), by check id for
  // verify_service ("service:user 7").
  std::map<std::string, ObservedAnswer> answers;

  bool passed() const;                        // every check passed (or was skipped)
  std::vector<CheckResult> failures() const;  // the checks that failed
  // Failed, and every failure is a timing one (see CheckResult::timing).
  bool only_timing_failures() const;
};

// The server under check and the contract's limits.
struct HttpCheckOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::chrono::milliseconds io_timeout{3000};
  // The 10 s header timeout and the 60 s idle timeout take a minute to observe: off for a run's
  // pre-flight check, on in the integration test.
  bool slow_checks = false;
  // The contract's limits (section 1). Only verify's own tests scale them down, to watch the
  // slow checks pass and fail in seconds instead of a minute. The idle timeout also bounds how
  // long a check waits for a close that should come at once (it must not mistake the idle
  // timeout's close for it).
  std::chrono::milliseconds header_timeout{10000};
  std::chrono::milliseconds idle_timeout{60000};
  int io_max_ms = 10000;
};

// Every HTTP behaviour of section 1 on a running server. answers: "/", "/json", "/user".
VerifyReport verify_http(const HttpCheckOptions& options);

struct LifecycleOptions {
  // The server's command with port 0 and explicit --threads; checks append to it.
  std::vector<std::string> argv;
  std::chrono::milliseconds ready_timeout{10000};
  // Threads in /proc/PID/status may exceed --threads by at most this many (the runtime's own
  // threads: a main thread that only waits for signals, Go's sysmon and GC workers, tokio's
  // blocking pool). -1: only the lower bound (at least --threads threads) is checked.
  int max_extra_threads = -1;
  // The server's command with a --live-mb value (through its live_mb setting), for the
  // bad-live-mb check. Unset: the server has no such setting and the check is skipped.
  std::function<std::vector<std::string>(const std::string& value)> with_live_mb;
};

// Starts the server itself: the `listening on ADDR:PORT` line, exit 2 and a one-line stderr
// on a bad flag, SIGTERM -> exit 0 within 2 s, --threads honoured (thread count in /proc).
// Also: the only listening socket (/proc/PID/net/tcp) is the announced one, and without
// --threads, pinned to one CPU, the server looks like --threads 1. A server that prints its
// line but does not answer fails ready-answers after 5 s, and the checks that need answers
// fail at once, saying so.
VerifyReport verify_lifecycle(const LifecycleOptions& options);

// --- The service routes (contract/README.md), from contract/vectors/service.json ---

struct ServiceVector {
  std::string name;    // "user 7"
  std::string method;  // "GET"
  std::string target;  // "/users/7"
  std::optional<std::string> request_content_type;
  // The request body, decoded when the file gives it as request_body_base64. nullopt: none.
  std::optional<std::string> request_body;
  int status = 0;
  std::string content_type;
  std::string body;
  std::optional<std::string> allow;

  std::string check_id() const { return "service:" + name; }
};

struct ServiceVectors {
  std::filesystem::path file;
  int live_mb = 0;  // the store the server must be started with (--live-mb)
  std::vector<ServiceVector> vectors;
};

// contract/vectors/service.json, relative to a source tree.
inline const std::filesystem::path kServiceVectorsPath = "contract/vectors/service.json";

// Reads and checks the vectors file; ConfigError (exit 2) naming the file and the vector.
ServiceVectors load_service_vectors(const std::filesystem::path& file);
// The vectors file next to the config (config_dir/contract/vectors/service.json), else the one
// in the source tree hellobench was built from (HELLOBENCH_SOURCE_DIR); ConfigError naming
// both places when neither exists.
std::filesystem::path find_service_vectors(const std::filesystem::path& config_dir);

// On a server started with --live-mb vectors.live_mb: every vector on a fresh keep-alive
// connection (status, Content-Type, body byte for byte, Allow, the every-answer headers, no
// chunking, then GET / answered on the same connection), a chunked POST /orders, a chunked
// body over 64 KiB (413, connection kept) and a body over 1 MiB (413, Connection: close,
// closed). Uses host, port, io_timeout and idle_timeout. answers: by check id.
VerifyReport verify_service(const HttpCheckOptions& options, const ServiceVectors& vectors);

// --- Parity across servers ---

// Same bytes across servers for "/", "/json", "/user": identical bodies, the same header names,
// the same size on the wire. Input: server name -> its verify_http report. One CheckResult per
// compared item.
std::vector<CheckResult> verify_parity(const std::map<std::string, VerifyReport>& reports);
// The same for every service check (body, header names and size in one result per check id).
// Input: server name -> its verify_service report.
std::vector<CheckResult> verify_service_parity(const std::map<std::string, VerifyReport>& reports,
                                               const ServiceVectors& vectors);

// The stable ids of the checks each function reports, in report order (for test
// registration and for reports that list every check, passed or not).
std::vector<std::string> http_check_names(bool slow_checks);
std::vector<std::string> lifecycle_check_names();
std::vector<std::string> service_check_names(const ServiceVectors& vectors);
std::vector<std::string> parity_check_names();
std::vector<std::string> service_parity_check_names(const ServiceVectors& vectors);

}  // namespace hellobench
