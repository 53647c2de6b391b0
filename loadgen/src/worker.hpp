// One worker thread: its engine's event loop, its connections, its schedule (open loop), its
// counters and histograms. Nothing here is shared with other threads except the relaxed
// atomics read by the progress line and the stop flag. The protocol (what to send when, what
// an answer or a failure counts as) is all here; the engine only moves bytes (event_loop.hpp).
#pragma once

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "event_loop.hpp"
#include "loadgen/engine.hpp"
#include "loadgen/requests.hpp"
#include "loadgen/response_parser.hpp"

namespace loadgen::detail {

namespace asio = boost::asio;

struct WorkerSetup {
  Engine engine = Engine::epoll;
  std::vector<asio::ip::tcp::endpoint> endpoints;
  std::shared_ptr<const RequestSet> requests;  // read-only, shared by the threads
  std::uint64_t seed = draws::kDefaultSeed;
  int index = 0;             // this worker's thread index: its open-loop draw stream
  int first_connection = 0;  // global index of its first connection: closed-loop streams
  int connections = 1;
  int pipeline = 1;
  std::optional<double> rate;                   // this worker's share of the offered rate
  TimePoint start;                              // schedule and warm-up start (set_timeline)
  TimePoint measure_start;                      // start + warmup
  TimePoint window_end;                         // measure_start + duration
  std::chrono::nanoseconds schedule_offset{0};  // staggers the workers' due times
  std::chrono::nanoseconds timeout{0};
  const std::atomic<bool>* stop = nullptr;
};

class Worker;

// A request in flight.
struct Request {
  TimePoint due;
  TimePoint sent;
  std::uint32_t target = 0;   // index in the request set
  std::int64_t wait_ns = -1;  // the {wait} it asked for (whole ms, in ns); -1: none
};

class Connection {
 public:
  // slot: its number in the worker's loop; index: its place among all threads' connections
  // (its closed-loop stream).
  Connection(Worker& worker, std::size_t slot, int index);
  void start();
  // Sends what this connection may send now (closed loop: the next batch once all answers
  // are in; open loop: due requests up to the pipeline depth), or offers itself as idle.
  void make_available(TimePoint now);
  // Called by the sweep timer: connect and request timeouts.
  void check_timeouts(TimePoint now);
  // Drops the connection for good at the end of the run; requests still in flight are
  // counted as timeouts (each has waited at least --timeout by then).
  void shut_down();

  // The loop's completions for this connection.
  void on_connect(bool ok);
  void on_write(bool ok, std::size_t bytes);
  void on_read(const char* data, std::size_t bytes);
  void on_eof(TimePoint now);
  void on_read_error();
  void on_retry_timer();

  std::size_t in_flight() const { return in_flight_count_; }
  bool idle_listed = false;

 private:
  enum class State { closed, waiting_to_connect, connecting, open };
  enum class Failure { connect, read, write, timeout, parse };

  void connect();
  void send(TimePoint now, std::size_t count, bool scheduled);
  void write_some();
  // One response was parsed in full; false when the connection is being closed.
  bool on_response(TimePoint now);
  // Counts every request in flight as lost under `failure`, closes, and reconnects while the
  // window is open.
  void fail(Failure failure, TimePoint now);
  void close_socket();
  // Counts the requests in flight that were due in the measured window (those are the ones
  // counted) as lost under `failure`, per target too; returns how many.
  std::uint64_t lose_in_flight(Failure failure);
  // Resets the parser for the answer to the oldest request in flight (HEAD answers have no body).
  void reset_parser();
  // Opens a new connection while the window is open; after a refused connect, with back-off.
  void reconnect(bool after_connect_failure);

  Worker& worker_;
  std::size_t slot_;
  State state_ = State::closed;
  ResponseParser parser_;
  // Requests with placeholders or several targets are rendered here (pipeline x the largest
  // request, allocated once); a plain request is written from the worker's batch instead.
  std::unique_ptr<char[]> render_buffer_;
  const char* write_data_ = nullptr;
  // Closed loop: this connection's draw stream (keys per draw name) and its request count.
  std::vector<std::uint64_t> draw_keys_;
  std::uint64_t requests_started_ = 0;
  std::vector<Request> in_flight_;  // ring, capacity = pipeline depth
  std::size_t in_flight_head_ = 0;
  std::size_t in_flight_count_ = 0;
  bool writing_ = false;
  std::size_t write_offset_ = 0;
  std::size_t write_end_ = 0;
  TimePoint connect_started_{};
  std::chrono::milliseconds backoff_{0};
  bool connected_once_ = false;
};

class Worker : private LoopEvents {
 public:
  explicit Worker(WorkerSetup setup);
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;
  ~Worker();

  // Builds the engine's event loop in the calling thread, the one that then calls run():
  // done before the timeline starts, so that setting up (rings, buffers) does not eat into it.
  void prepare();

  // Sets the run's times (after construction, so that building the workers does not eat into
  // the schedule) and computes the open-loop schedule.
  void set_timeline(TimePoint start, TimePoint measure_start, TimePoint window_end);

  // Runs the whole timeline in the calling thread; returns when every connection is done.
  void run();

  // Merged by the caller once run() has returned.
  Histogram latency_ns = make_latency_histogram();
  Histogram late_by_ns = make_latency_histogram();
  Histogram overhead_ns = make_latency_histogram();  // requests with {wait}: latency - wait
  std::uint64_t overhead_clamped = 0;                // of those, latency < wait: recorded as 0
  std::vector<TargetResult> target_stats;            // one per target, with --targets only
  ErrorCounts errors;
  std::uint64_t requests = 0;
  std::uint64_t reconnects = 0;
  std::uint64_t late_sends = 0;
  std::uint64_t unsent = 0;
  std::uint64_t bytes_read = 0;
  std::uint64_t connects = 0;
  std::uint64_t connect_failures = 0;
  TimePoint window_closed_at{};  // when sending stopped: the window's end, or earlier on stop

  // For the progress line (single writer: plain load + store, no locked instructions).
  std::atomic<std::uint64_t> live_requests{0};
  std::atomic<std::uint64_t> live_errors{0};

 private:
  friend class Connection;

  // Timers of the loop: the worker's three, then one per connection (its connect back-off).
  enum : std::size_t { kScheduleTimer, kSweepTimer, kPhaseTimer, kConnectionTimers };
  enum class Phase { measuring, draining };

  // LoopEvents: completions, handed to the connection or timer they belong to.
  void on_connected(std::size_t connection, bool ok) override;
  void on_written(std::size_t connection, bool ok, std::size_t bytes) override;
  void on_received(std::size_t connection, const char* data, std::size_t bytes) override;
  void on_eof(std::size_t connection) override;
  void on_read_failed(std::size_t connection) override;
  void on_timer(std::size_t timer) override;

  bool closed_loop() const { return !setup_.rate.has_value(); }
  bool in_window(TimePoint t) const { return t >= setup_.measure_start; }
  void count_live_error() {
    live_errors.store(live_errors.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }

  // Open loop: due time of the n-th request of this worker.
  TimePoint due_time(std::uint64_t n) const;
  // Keys of each draw name (the target choice, then each variable) in one stream.
  std::vector<std::uint64_t> draw_keys(draws::StreamKind kind, std::uint64_t index) const;
  // Draws request n of a stream (target, placeholder values), renders it at `out`, notes its
  // target and wait; returns its size.
  std::size_t render(std::uint64_t n, const std::vector<std::uint64_t>& keys, char* out,
                     Request& request);
  // Records an answered request that was due in the window.
  void record_answer(const Request& request, TimePoint now, int status);
  // Releases every request due by `now` (and before the window's end) into the pending queue.
  void release_due(TimePoint now);
  std::uint64_t pending() const { return released_ - dispatched_; }
  // Hands pending requests to idle connections.
  void dispatch(TimePoint now);
  void arm_schedule_timer();
  void arm_sweep_timer();
  void on_schedule_timer();
  void on_sweep_timer();
  void close_window(TimePoint now);
  void maybe_finish();
  void finish();

  WorkerSetup setup_;
  std::unique_ptr<EventLoop> loop_;
  Phase phase_ = Phase::measuring;
  const RequestSet& requests_;
  bool plain_;                     // one request without placeholders, serialised once
  bool mixed_head_ = false;        // HEAD and other methods in one mix
  std::string request_batch_;      // plain: the request repeated pipeline times, written in one go
  std::size_t request_bytes_ = 0;  // plain: one request's size
  std::vector<std::uint64_t> thread_draw_keys_;  // open loop: this thread's draw stream
  std::vector<std::int64_t> values_;             // scratch: the values of one request's variables
  std::vector<std::unique_ptr<Connection>> connections_;
  std::vector<Connection*> idle_;  // open loop: connections with room for a request
  bool schedule_timer_armed_ = false;
  bool sending_ = true;  // until the measured window closes
  bool finished_ = false;
  std::uint64_t in_flight_total_ = 0;
  // Open loop schedule.
  double interval_ns_ = 0;
  std::uint64_t released_ = 0;      // requests whose due time has come
  std::uint64_t dispatched_ = 0;    // of those, handed to a connection
  std::uint64_t schedule_end_ = 0;  // the first request due at or after window_end
};

}  // namespace loadgen::detail
