// Test responders: small HTTP servers on 127.0.0.1 (or another address; a free port), one thread
// each, whose misbehaviour is known exactly, so the tests can check what loadgen measures against
// it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace loadgen::test {

struct Behaviour {
  // Every answer waits this long after its request arrived (an async timer, so connections
  // do not wait for one another).
  std::chrono::microseconds delay{0};
  // Periodic freeze: no answer leaves during [phase, phase + length) of every `period`,
  // counted from the responder's start; requests held by it go when the freeze ends.
  std::chrono::milliseconds freeze_period{0};
  std::chrono::milliseconds freeze_phase{0};
  std::chrono::milliseconds freeze_length{0};
  bool never_answer = false;  // reads requests, answers none
  // After every close_every-th answer on a connection the responder closes it, announcing it
  // with Connection: close unless close_abruptly.
  int close_every = 0;
  bool close_abruptly = false;
  bool garbage = false;  // answers every request with bytes that are not HTTP
  bool chunked = false;  // sends the body as two chunks with Transfer-Encoding: chunked
  std::string status_line = "HTTP/1.1 200 OK";
  // `GET /io?ms=N` (as the hellobench servers serve it) waits N ms times this factor before
  // answering, on top of `delay`. Below 1, a server whose timer fires early.
  double io_wait_factor = 1.0;
  // A body of this many bytes instead of kBody (0: kBody).
  std::size_t body_bytes = 0;
  // Keeps the request line ("GET /users/7 HTTP/1.1") of the first this-many requests.
  std::size_t keep_request_lines = 0;
  // The IPv4 address it listens on (a free port there).
  std::string bind_address = "127.0.0.1";
};

class Responder {
 public:
  explicit Responder(Behaviour behaviour);
  ~Responder();  // stops the thread and closes every connection
  Responder(const Responder&) = delete;
  Responder& operator=(const Responder&) = delete;

  std::uint16_t port() const;
  std::string url(const std::string& path = "/") const;

  std::uint64_t connections_accepted() const;
  std::uint64_t requests_received() const;
  std::uint64_t answers_sent() const;
  std::uint64_t closes() const;       // connections the responder closed itself
  std::string first_request() const;  // the bytes of the first request received, body included
  std::vector<std::string> request_lines() const;  // see Behaviour::keep_request_lines

  static constexpr const char* kBody = "Hello, World!";

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A port on 127.0.0.1 where nothing listens (bound, then closed).
std::uint16_t unused_port();

// A listening socket that never accepts, with the smallest backlog: once its queue is full the
// kernel drops further SYNs, so connects hang (until the client gives up).
class SilentListener {
 public:
  SilentListener();
  ~SilentListener();
  SilentListener(const SilentListener&) = delete;
  SilentListener& operator=(const SilentListener&) = delete;
  std::string url() const;

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

}  // namespace loadgen::test
