// What a worker asks of an engine: connections that connect, write and read, timers, and a
// loop that runs until stopped. Two engines implement it: Asio on epoll (asio_loop.cpp) and
// io_uring (uring_loop.cpp). Everything a test can see (schedule, timeouts, errors, histograms)
// lives in the worker, above this line, so both engines give the same results.
//
// Connections and timers are numbered by the worker. After close(c), no completion of the
// closed socket reaches the worker any more (each engine tells generations apart itself).
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <vector>

#include "loadgen/options.hpp"

namespace loadgen::detail {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

// The worker's side: where completions go. Each is called from the loop's thread, inside run().
class LoopEvents {
 public:
  virtual void on_connected(std::size_t connection, bool ok) = 0;
  // ok false: the write failed (the connection is then failed by the worker).
  virtual void on_written(std::size_t connection, bool ok, std::size_t bytes) = 0;
  // Bytes arrived. They are valid only during the call.
  virtual void on_received(std::size_t connection, const char* data, std::size_t bytes) = 0;
  // The peer closed its side (a read returned 0 bytes).
  virtual void on_eof(std::size_t connection) = 0;
  virtual void on_read_failed(std::size_t connection) = 0;
  virtual void on_timer(std::size_t timer) = 0;

 protected:
  ~LoopEvents() = default;
};

struct LoopSetup {
  std::vector<boost::asio::ip::tcp::endpoint> endpoints;  // tried in order by each connect
  std::size_t connections = 0;
  std::size_t timers = 0;
  std::size_t read_buffer_bytes = 16 * 1024;
};

class EventLoop {
 public:
  virtual ~EventLoop() = default;

  // Opens a socket and connects it (to each endpoint in turn until one answers).
  virtual void connect(std::size_t connection) = 0;
  // Starts reading once the connection is open: every arrival is reported until close().
  virtual void start_reading(std::size_t connection) = 0;
  // Writes some of [data, data + bytes); the data must stay valid until on_written.
  virtual void write(std::size_t connection, const char* data, std::size_t bytes) = 0;
  // Closes the socket; its pending operations are dropped without a completion.
  virtual void close(std::size_t connection) = 0;

  // One-shot timers: setting one again replaces the earlier time; a timer due in the past
  // fires on the loop's next turn.
  virtual void set_timer(std::size_t timer, TimePoint at) = 0;
  virtual void cancel_timer(std::size_t timer) = 0;

  // Runs until stop() (called from inside a completion).
  virtual void run() = 0;
  virtual void stop() = 0;
};

// Builds the engine's loop in the calling thread (io_uring rings belong to their thread).
std::unique_ptr<EventLoop> make_asio_loop(const LoopSetup& setup, LoopEvents& events);
std::unique_ptr<EventLoop> make_uring_loop(const LoopSetup& setup, LoopEvents& events);

}  // namespace loadgen::detail
