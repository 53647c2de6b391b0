// Runs the load: one event loop per thread (Boost.Asio on epoll, or an io_uring ring),
// connections spread evenly over the threads, closed loop or open loop at a fixed rate,
// per-thread counters and histograms merged at the end. Latency runs from when each request was due
// (open loop) or sent (closed loop) to the last byte of its response.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "loadgen/histogram.hpp"
#include "loadgen/options.hpp"

namespace loadgen {

// Errors by kind, each counted once per request lost (connect: once per failed attempt).
struct ErrorCounts {
  std::uint64_t connect = 0;
  std::uint64_t read = 0;  // read failed, or the server closed with requests unanswered
  std::uint64_t write = 0;
  std::uint64_t timeout = 0;     // unanswered after --timeout; the connection is replaced
  std::uint64_t parse = 0;       // a malformed response; the connection is replaced
  std::uint64_t status_4xx = 0;  // answered (so also counted in requests), but 4xx
  std::uint64_t status_5xx = 0;

  // Failures where no answer came back at all.
  std::uint64_t transport() const { return connect + read + write + timeout + parse; }
  std::uint64_t total() const { return transport() + status_4xx + status_5xx; }
  void add(const ErrorCounts& other);
};

// Histograms in nanoseconds: 1 ns to one hour, 3 significant figures.
Histogram make_latency_histogram();

// A send is late when it leaves more than this after its due time (open loop only): a timer's
// normal jitter is tens of microseconds, so this counts only real waits.
inline constexpr std::chrono::microseconds kLateThreshold{1000};

// One request of a targets file: what it is, and what its requests met.
struct TargetResult {
  std::string name;
  double weight = 1;
  std::string method;
  std::string path;
  std::uint64_t requests = 0;  // answered, due in the window
  // As the run's, but connect stays 0: a failed connect carries no request (in the closed
  // loop none was drawn yet), and neither does an answer nobody asked for (parse).
  ErrorCounts errors;
  Histogram latency_ns = make_latency_histogram();
  bool has_overhead = false;  // its request holds {wait}
  Histogram overhead_ns = make_latency_histogram();
  std::uint64_t overhead_clamped = 0;
};

struct RunResult {
  std::uint64_t requests = 0;  // answered requests that were due in the measured window
  double duration_s = 0;       // the measured window
  double rps = 0;
  int connections = 0;
  int threads = 0;
  std::vector<int> connections_per_thread;
  std::optional<double> offered_rate;  // open loop only
  Histogram latency_ns = make_latency_histogram();
  // With a `wait` variable: for each answered request whose target holds {wait}, its latency
  // minus the wait it asked for (the rendered whole milliseconds). A timer that fires early
  // can make that negative: such samples are recorded as 0 and counted in overhead_clamped.
  bool has_overhead = false;
  Histogram overhead_ns = make_latency_histogram();
  std::uint64_t overhead_clamped = 0;
  std::vector<TargetResult> targets;  // with --targets: one per request of the file, in order
  ErrorCounts errors;
  std::uint64_t reconnects = 0;  // connections re-opened after a close, failure or timeout
  std::uint64_t late_sends = 0;  // sent more than kLateThreshold after due, or never sent
  std::uint64_t unsent = 0;      // due in the window but still waiting for a connection at its end
  Histogram late_by_ns = make_latency_histogram();  // how late the late sends were
  std::uint64_t bytes_read = 0;
  std::uint64_t connects = 0;          // successful connects, warm-up included
  std::uint64_t connect_failures = 0;  // failed attempts, warm-up included

  Engine engine = Engine::epoll;        // the engine that ran
  std::string engine_fallback;          // why not io_uring, when it was not asked for and not used
  std::string host;                     // --host-name, else this machine's host name
  std::optional<double> start_at;       // --start-at, Unix epoch seconds
  std::optional<double> start_late_ms;  // with --start-at: how late the start was
  bool started_late = false;            // later than --max-start-late

  // Errors over attempts (answered requests plus those lost); 0 when nothing was attempted.
  double error_rate() const;
};

// Live totals for a progress line, readable from another thread while a run goes on.
struct Progress {
  std::uint64_t requests = 0;
  std::uint64_t errors = 0;
  double elapsed_s = 0;
};

struct RunHooks {
  // Called about once a second from the calling thread while the run goes on.
  std::function<void(const Progress&)> progress;
  // When it becomes true the measured window ends early (as on SIGINT).
  const std::atomic<bool>* stop = nullptr;
};

// Thrown when the run cannot start (the host does not resolve); what() says why.
struct RunError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Runs to completion: at most warmup + duration + timeout plus a few sweeps of the timeout
// timer, whatever the server does.
RunResult run(const Options& options, const RunHooks& hooks = {});

// Empty when the io_uring engine can run here; else why not (kernel, permissions, features).
// Sets up a small ring and receives a byte through every feature the engine uses.
std::string uring_unavailable_reason();

// Threads to use: the requested number, or the CPUs this process may run on; never more than
// the connections.
int effective_threads(const Options& options);

// Connections of each thread: as even as possible, the first ones take the remainder.
std::vector<int> spread_connections(int connections, int threads);

}  // namespace loadgen
