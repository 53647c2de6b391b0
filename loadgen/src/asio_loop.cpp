// The epoll engine: Boost.Asio's reactor. Per request one send and one successful recv, plus
// Asio's speculative recv that finds nothing; descriptors are registered with epoll once,
// edge-triggered, so nothing is re-armed per request (README, "How it is fast").
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "event_loop.hpp"

namespace loadgen::detail {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

class AsioLoop final : public EventLoop {
 public:
  AsioLoop(const LoopSetup& setup, LoopEvents& events)
      // Only this worker's thread touches this context, its sockets and timers: Asio may
      // skip its locks.
      : io_(BOOST_ASIO_CONCURRENCY_HINT_UNSAFE),
        events_(events),
        endpoints_(setup.endpoints),
        read_buffer_bytes_(setup.read_buffer_bytes) {
    sockets_.reserve(setup.connections);
    for (std::size_t i = 0; i < setup.connections; ++i)
      sockets_.push_back(std::make_unique<Socket>(io_, read_buffer_bytes_));
    timers_.reserve(setup.timers);
    for (std::size_t i = 0; i < setup.timers; ++i) timers_.push_back(std::make_unique<Timer>(io_));
  }

  void connect(std::size_t c) override {
    Socket& s = *sockets_[c];
    asio::async_connect(s.socket, endpoints_,
                        [this, c, generation = s.generation](const boost::system::error_code& ec,
                                                             const tcp::endpoint&) {
                          Socket& s = *sockets_[c];
                          if (generation != s.generation) return;
                          if (!ec) {
                            boost::system::error_code ignored;
                            s.socket.set_option(tcp::no_delay(true), ignored);
                          }
                          events_.on_connected(c, !ec);
                        });
  }

  void start_reading(std::size_t c) override { read_some(c); }

  void write(std::size_t c, const char* data, std::size_t bytes) override {
    Socket& s = *sockets_[c];
    s.socket.async_write_some(asio::buffer(data, bytes),
                              [this, c, generation = s.generation](
                                  const boost::system::error_code& ec, std::size_t written) {
                                if (generation != sockets_[c]->generation) return;
                                events_.on_written(c, !ec, written);
                              });
  }

  void close(std::size_t c) override {
    Socket& s = *sockets_[c];
    ++s.generation;  // completions of the closed socket's operations are ignored
    boost::system::error_code ignored;
    s.socket.close(ignored);
  }

  void set_timer(std::size_t t, TimePoint at) override {
    Timer& timer = *timers_[t];
    timer.timer.expires_at(at);
    timer.timer.async_wait(
        [this, t, sequence = ++timer.sequence](const boost::system::error_code& ec) {
          // A wait that completed just before the timer was set again is stale too.
          if (ec || sequence != timers_[t]->sequence) return;
          events_.on_timer(t);
        });
  }

  void cancel_timer(std::size_t t) override {
    Timer& timer = *timers_[t];
    ++timer.sequence;
    timer.timer.cancel();
  }

  void run() override { io_.run(); }
  void stop() override { io_.stop(); }

 private:
  struct Socket {
    Socket(asio::io_context& io, std::size_t buffer_bytes)
        : socket(io), read_buffer(new char[buffer_bytes]) {}
    tcp::socket socket;
    std::unique_ptr<char[]> read_buffer;
    unsigned generation = 0;  // bumped on every close, so stale completions are ignored
  };
  struct Timer {
    explicit Timer(asio::io_context& io) : timer(io) {}
    asio::steady_timer timer;
    unsigned sequence = 0;
  };

  void read_some(std::size_t c) {
    // One read is always outstanding while the connection is open. Asio tries the recv at once
    // (usually finding nothing yet), then waits on the socket's edge-triggered epoll
    // registration, made once per connection: no epoll_ctl per request, as wrk needs two.
    Socket& s = *sockets_[c];
    s.socket.async_read_some(asio::buffer(s.read_buffer.get(), read_buffer_bytes_),
                             [this, c, generation = s.generation](
                                 const boost::system::error_code& ec, std::size_t bytes) {
                               Socket& s = *sockets_[c];
                               if (generation != s.generation) return;
                               if (ec) {
                                 if (ec == asio::error::eof) {
                                   events_.on_eof(c);
                                 } else {
                                   events_.on_read_failed(c);
                                 }
                                 return;
                               }
                               events_.on_received(c, s.read_buffer.get(), bytes);
                               // The worker has sent what the answers allowed; now wait for the
                               // next ones, unless it closed the connection meanwhile.
                               if (generation == s.generation) read_some(c);
                             });
  }

  asio::io_context io_;
  LoopEvents& events_;
  std::vector<tcp::endpoint> endpoints_;
  std::size_t read_buffer_bytes_;
  std::vector<std::unique_ptr<Socket>> sockets_;
  std::vector<std::unique_ptr<Timer>> timers_;
};

}  // namespace

std::unique_ptr<EventLoop> make_asio_loop(const LoopSetup& setup, LoopEvents& events) {
  return std::make_unique<AsioLoop>(setup, events);
}

}  // namespace loadgen::detail
