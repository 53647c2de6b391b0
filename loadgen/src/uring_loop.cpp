// The io_uring engine: one ring per worker thread, and per loop turn exactly one system call
// (io_uring_enter) that submits every send queued since the last turn and waits for the next
// completions or timer. What makes it pay off for many small exchanges:
// - batched submission: sends queued by all the answers of one turn go in one io_uring_enter;
// - multishot receives: one recv per connection stays armed for its whole life, and each
//   arrival lands in a buffer picked by the kernel from a provided buffer ring (no recv per
//   answer, no speculative recv that finds nothing);
// - registered files: the sockets sit in the ring's fixed file table (direct descriptors), so
//   no file lookup and reference count per operation;
// - sends straight from the connection's request buffer (the worker's batch or its render
//   buffer), which stays put until the send completes;
// - DEFER_TASKRUN and SINGLE_ISSUER where the kernel has them: completions are processed only
//   when this thread asks, with no interrupts in between.
// Timers are not ring operations: the loop waits with the nearest timer's deadline as the
// timeout of io_uring_enter (IORING_FEAT_EXT_ARG) and fires what is due after each turn.
#include <fmt/format.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

#include "event_loop.hpp"
#include "loadgen/engine.hpp"

namespace loadgen::detail {
namespace {

std::string errno_text(int error) { return std::strerror(error); }

// Ring set-up flags, best first: DEFER_TASKRUN (6.1) needs SINGLE_ISSUER (6.0); COOP_TASKRUN
// (5.19) saves the interrupts on older kernels.
constexpr unsigned kRingFlagChoices[] = {
    IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SUBMIT_ALL,
    IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SUBMIT_ALL,
    0,
};

// Returns 0 or -errno, with the best flags the kernel takes.
int init_ring(io_uring& ring, unsigned entries, unsigned cq_entries) {
  int result = -EINVAL;
  for (const unsigned flags : kRingFlagChoices) {
    io_uring_params params{};
    params.flags = flags | IORING_SETUP_CQSIZE;
    params.cq_entries = cq_entries;
    result = io_uring_queue_init_params(entries, &ring, &params);
    if (result == 0) {
      if (!(params.features & IORING_FEAT_EXT_ARG) || !(params.features & IORING_FEAT_NODROP)) {
        io_uring_queue_exit(&ring);
        return -ENOSYS;
      }
      return 0;
    }
    if (result != -EINVAL) return result;
  }
  return result;
}

// A provided buffer ring (group 0): `count` buffers of `bytes` each, handed to the kernel.
class BufferRing {
 public:
  BufferRing(io_uring& ring, unsigned count, unsigned bytes) : count_(count), bytes_(bytes) {
    void* ring_memory = nullptr;
    if (posix_memalign(&ring_memory, 4096, count * sizeof(io_uring_buf)) != 0)
      throw std::runtime_error("io_uring: cannot allocate the buffer ring");
    ring_ = static_cast<io_uring_buf_ring*>(ring_memory);
    void* data = nullptr;
    if (posix_memalign(&data, 4096, static_cast<std::size_t>(count) * bytes) != 0) {
      std::free(ring_);
      throw std::runtime_error("io_uring: cannot allocate the receive buffers");
    }
    data_ = static_cast<char*>(data);
    io_uring_buf_ring_init(ring_);
    io_uring_buf_reg reg{};
    reg.ring_addr = reinterpret_cast<std::uintptr_t>(ring_);
    reg.ring_entries = count;
    reg.bgid = 0;
    if (const int result = io_uring_register_buf_ring(&ring, &reg, 0); result < 0) {
      std::free(ring_);
      std::free(data_);
      throw std::runtime_error("io_uring: cannot register a provided buffer ring: " +
                               errno_text(-result));
    }
    for (unsigned id = 0; id < count; ++id)
      io_uring_buf_ring_add(ring_, data_ + static_cast<std::size_t>(id) * bytes, bytes,
                            static_cast<unsigned short>(id), io_uring_buf_ring_mask(count),
                            static_cast<int>(id));
    io_uring_buf_ring_advance(ring_, static_cast<int>(count));
  }
  ~BufferRing() {
    // The ring is torn down (io_uring_queue_exit) before this, which drops the registration.
    std::free(ring_);
    std::free(data_);
  }
  BufferRing(const BufferRing&) = delete;
  BufferRing& operator=(const BufferRing&) = delete;

  const char* data(unsigned id) const { return data_ + static_cast<std::size_t>(id) * bytes_; }
  // Gives a buffer back to the kernel once its bytes have been parsed.
  void recycle(unsigned id) {
    io_uring_buf_ring_add(ring_, data_ + static_cast<std::size_t>(id) * bytes_, bytes_,
                          static_cast<unsigned short>(id), io_uring_buf_ring_mask(count_), 0);
    io_uring_buf_ring_advance(ring_, 1);
  }

 private:
  unsigned count_;
  unsigned bytes_;
  io_uring_buf_ring* ring_ = nullptr;
  char* data_ = nullptr;
};

unsigned next_power_of_two(unsigned n) {
  unsigned p = 1;
  while (p < n) p <<= 1;
  return p;
}

// user_data of each operation: its kind, the socket's generation and the connection.
enum class Op : std::uint64_t { connect = 1, send = 2, recv = 3 };
constexpr std::uint64_t kGenerationMask = (std::uint64_t{1} << 30) - 1;

std::uint64_t pack(Op op, std::uint64_t generation, std::size_t connection) {
  return (static_cast<std::uint64_t>(op) << 62) | ((generation & kGenerationMask) << 32) |
         static_cast<std::uint64_t>(connection);
}

class UringLoop final : public EventLoop {
 public:
  UringLoop(const LoopSetup& setup, LoopEvents& events)
      : events_(events),
        endpoints_(setup.endpoints),
        sockets_(setup.connections),
        timers_(setup.timers) {
    armed_.reserve(setup.timers);
    due_.reserve(setup.timers);
    // Room for a send and a recv (re-)arm per connection in one turn, and completions to
    // spare; the kernel keeps any overflow (IORING_FEAT_NODROP).
    const auto connections = static_cast<unsigned>(setup.connections);
    const unsigned entries = std::clamp(next_power_of_two(2 * connections), 64u, 4096u);
    if (const int result = init_ring(ring_, entries, 4 * entries); result < 0)
      throw std::runtime_error("io_uring: cannot set up a ring: " + errno_text(-result));
    io_uring_register_ring_fd(&ring_);  // saves a descriptor lookup per io_uring_enter
    if (const int result = io_uring_register_files_sparse(&ring_, connections); result < 0) {
      io_uring_queue_exit(&ring_);
      throw std::runtime_error("io_uring: cannot register the file table: " + errno_text(-result));
    }
    // Two buffers per connection (an answer arriving while the last is parsed), at least 32,
    // at most 1024 (16 MiB of 16 KiB buffers); when they run short a receive stops with
    // ENOBUFS and is armed again once this turn has given its buffers back.
    const unsigned count = std::clamp(next_power_of_two(2 * connections), 32u, 1024u);
    try {
      buffers_ = std::make_unique<BufferRing>(ring_, count,
                                              static_cast<unsigned>(setup.read_buffer_bytes));
    } catch (...) {
      io_uring_queue_exit(&ring_);
      throw;
    }
  }

  ~UringLoop() override {
    for (Socket& s : sockets_)
      if (s.fd >= 0) ::close(s.fd);
    io_uring_queue_exit(&ring_);  // cancels what is still pending
  }

  void connect(std::size_t c) override {
    Socket& s = sockets_[c];
    s.endpoint = 0;
    open_and_connect(c);
  }

  void start_reading(std::size_t c) override { arm_recv(c); }

  void write(std::size_t c, const char* data, std::size_t bytes) override {
    io_uring_sqe* sqe = next_sqe();
    io_uring_prep_send(sqe, static_cast<int>(c), data, bytes, MSG_NOSIGNAL);
    sqe->flags |= IOSQE_FIXED_FILE;
    io_uring_sqe_set_data64(sqe, pack(Op::send, sockets_[c].generation, c));
  }

  void close(std::size_t c) override {
    Socket& s = sockets_[c];
    ++s.generation;  // completions of its operations are ignored from now on
    s.reading = false;
    if (s.fd < 0) return;
    // Operations still pending on it end (recv with 0, send with EPIPE, connect with an
    // error) and are ignored; the slot drops its reference, so the socket goes now.
    ::shutdown(s.fd, SHUT_RDWR);
    ::close(s.fd);
    s.fd = -1;
    const int none = -1;
    io_uring_register_files_update(&ring_, static_cast<unsigned>(c), &none, 1);
  }

  void set_timer(std::size_t t, TimePoint at) override {
    Timer& timer = timers_[t];
    ++timer.sequence;
    timer.at = at;
    if (timer.position == kNotArmed) {
      timer.position = armed_.size();
      armed_.push_back(t);
    }
  }

  void cancel_timer(std::size_t t) override {
    Timer& timer = timers_[t];
    ++timer.sequence;
    disarm(t);
  }

  void run() override {
    stopped_ = false;
    while (!stopped_) {
      wait_for_completions();
      process_completions();
      fire_due_timers();
    }
  }

  void stop() override { stopped_ = true; }

 private:
  static constexpr std::size_t kNotArmed = ~std::size_t{0};

  struct Socket {
    int fd = -1;
    std::uint64_t generation = 0;
    std::size_t endpoint = 0;  // the endpoint being tried
    bool reading = false;      // a multishot recv is armed
  };
  struct Timer {
    TimePoint at{};
    std::uint64_t sequence = 0;
    std::size_t position = kNotArmed;  // in armed_
  };

  io_uring_sqe* next_sqe() {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    if (sqe == nullptr) {  // the queue is full: hand it over now
      io_uring_submit(&ring_);
      sqe = io_uring_get_sqe(&ring_);
      if (sqe == nullptr) throw std::runtime_error("io_uring: the submission queue is stuck");
    }
    return sqe;
  }

  void open_and_connect(std::size_t c) {
    Socket& s = sockets_[c];
    const auto& endpoint = endpoints_[s.endpoint];
    s.fd = ::socket(endpoint.protocol().family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s.fd < 0) {
      events_.on_connected(c, false);
      return;
    }
    const int one = 1;
    ::setsockopt(s.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (io_uring_register_files_update(&ring_, static_cast<unsigned>(c), &s.fd, 1) < 0) {
      ::close(s.fd);
      s.fd = -1;
      events_.on_connected(c, false);
      return;
    }
    io_uring_sqe* sqe = next_sqe();
    io_uring_prep_connect(sqe, static_cast<int>(c), endpoint.data(),
                          static_cast<socklen_t>(endpoint.size()));
    sqe->flags |= IOSQE_FIXED_FILE;
    io_uring_sqe_set_data64(sqe, pack(Op::connect, s.generation, c));
  }

  void arm_recv(std::size_t c) {
    Socket& s = sockets_[c];
    s.reading = true;
    io_uring_sqe* sqe = next_sqe();
    io_uring_prep_recv_multishot(sqe, static_cast<int>(c), nullptr, 0, 0);
    sqe->flags |= IOSQE_FIXED_FILE | IOSQE_BUFFER_SELECT;
    sqe->buf_group = 0;
    io_uring_sqe_set_data64(sqe, pack(Op::recv, s.generation, c));
  }

  void disarm(std::size_t t) {
    Timer& timer = timers_[t];
    if (timer.position == kNotArmed) return;
    const std::size_t last = armed_.back();
    armed_[timer.position] = last;
    timers_[last].position = timer.position;
    armed_.pop_back();
    timer.position = kNotArmed;
  }

  // Submits what this turn queued and waits for a completion or the next timer: one
  // io_uring_enter.
  void wait_for_completions() {
    io_uring_cqe* cqe = nullptr;
    int result = 0;
    if (armed_.empty()) {
      result = io_uring_submit_and_wait(&ring_, 1);
    } else {
      TimePoint nearest = TimePoint::max();
      for (const std::size_t t : armed_) nearest = std::min(nearest, timers_[t].at);
      const auto wait = std::max(Clock::duration::zero(), nearest - Clock::now());
      const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(wait).count();
      __kernel_timespec timeout{};
      timeout.tv_sec = ns / 1'000'000'000;
      timeout.tv_nsec = ns % 1'000'000'000;
      result = io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &timeout, nullptr);
    }
    if (result < 0 && result != -ETIME && result != -EINTR && result != -EAGAIN && result != -EBUSY)
      throw std::runtime_error("io_uring_enter: " + errno_text(-result));
  }

  void process_completions() {
    io_uring_cqe* cqe = nullptr;
    // One at a time: a completion's handler may queue operations and even submit them.
    while (io_uring_peek_cqe(&ring_, &cqe) == 0) {
      const std::uint64_t data = cqe->user_data;
      const int result = cqe->res;
      const unsigned flags = cqe->flags;
      io_uring_cqe_seen(&ring_, cqe);
      const auto op = static_cast<Op>(data >> 62);
      const std::size_t c = static_cast<std::size_t>(data & 0xffffffffu);
      const bool current =
          ((data >> 32) & kGenerationMask) == (sockets_[c].generation & kGenerationMask);
      switch (op) {
        case Op::connect:
          if (current) on_connect(c, result);
          break;
        case Op::send:
          if (current)
            events_.on_written(c, result >= 0, result >= 0 ? static_cast<std::size_t>(result) : 0);
          break;
        case Op::recv:
          on_recv(c, current, result, flags);
          break;
      }
    }
  }

  void on_connect(std::size_t c, int result) {
    Socket& s = sockets_[c];
    if (result < 0 && s.endpoint + 1 < endpoints_.size()) {
      // As Asio's range connect: the next address, on a fresh socket.
      close(c);
      ++s.endpoint;
      open_and_connect(c);
      return;
    }
    events_.on_connected(c, result >= 0);
  }

  void on_recv(std::size_t c, bool current, int result, unsigned flags) {
    const bool has_buffer = (flags & IORING_CQE_F_BUFFER) != 0;
    const unsigned id = flags >> IORING_CQE_BUFFER_SHIFT;
    const bool more = (flags & IORING_CQE_F_MORE) != 0;
    if (!current) {
      if (has_buffer) buffers_->recycle(id);  // a closed socket's bytes: only the buffer matters
      return;
    }
    Socket& s = sockets_[c];
    if (!more) s.reading = false;
    if (result > 0) {
      const std::uint64_t generation = s.generation;
      events_.on_received(c, buffers_->data(id), static_cast<std::size_t>(result));
      buffers_->recycle(id);
      // The recv ended (say the completion queue overflowed) while the connection goes on.
      if (generation == s.generation && s.fd >= 0 && !s.reading) arm_recv(c);
      return;
    }
    if (has_buffer) buffers_->recycle(id);
    if (result == 0) {
      events_.on_eof(c);
    } else if (result == -ENOBUFS) {
      arm_recv(c);  // every buffer was in use: the ones this turn gives back will do
    } else {
      events_.on_read_failed(c);
    }
  }

  void fire_due_timers() {
    if (armed_.empty()) return;
    const TimePoint now = Clock::now();
    // Collect first: a timer's handler may set or cancel others (or itself), and a timer set
    // in the past by a handler fires on the next turn, not in this loop.
    due_.clear();
    for (const std::size_t t : armed_)
      if (timers_[t].at <= now) due_.push_back({t, timers_[t].sequence});
    for (const auto& [t, sequence] : due_) disarm(t);
    for (const auto& [t, sequence] : due_) {
      if (stopped_) return;
      if (timers_[t].sequence == sequence) events_.on_timer(t);
    }
  }

  io_uring ring_{};
  LoopEvents& events_;
  std::vector<boost::asio::ip::tcp::endpoint> endpoints_;
  std::vector<Socket> sockets_;
  std::vector<Timer> timers_;
  std::vector<std::size_t> armed_;                          // the timers that are set
  std::vector<std::pair<std::size_t, std::uint64_t>> due_;  // scratch: timers firing this turn
  std::unique_ptr<BufferRing> buffers_;
  bool stopped_ = false;
};

}  // namespace

std::unique_ptr<EventLoop> make_uring_loop(const LoopSetup& setup, LoopEvents& events) {
  return std::make_unique<UringLoop>(setup, events);
}

}  // namespace loadgen::detail

namespace loadgen {

// Sets up a small ring the way the engine does, then has a multishot recv with a provided
// buffer on a registered socket receive one byte: every feature the engine relies on.
std::string uring_unavailable_reason() {
  io_uring ring{};
  if (const int result = detail::init_ring(ring, 8, 32); result < 0)
    return result == -ENOSYS ? "io_uring lacks IORING_FEAT_EXT_ARG or IORING_FEAT_NODROP (kernel "
                               "older than 5.11)"
                             : "io_uring_setup: " + detail::errno_text(-result);
  std::string reason;
  int pair[2] = {-1, -1};
  try {
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0)
      throw std::runtime_error("socketpair: " + detail::errno_text(errno));
    if (const int r = io_uring_register_files(&ring, pair, 1); r < 0)
      throw std::runtime_error("registered files: " + detail::errno_text(-r));
    detail::BufferRing buffers(ring, 8, 64);
    io_uring_sqe* sqe = io_uring_get_sqe(&ring);
    io_uring_prep_recv_multishot(sqe, 0, nullptr, 0, 0);
    sqe->flags |= IOSQE_FIXED_FILE | IOSQE_BUFFER_SELECT;
    sqe->buf_group = 0;
    if (::write(pair[1], "x", 1) != 1)
      throw std::runtime_error("socketpair write: " + detail::errno_text(errno));
    io_uring_cqe* cqe = nullptr;
    __kernel_timespec timeout{};
    timeout.tv_sec = 1;
    if (const int r = io_uring_submit_and_wait_timeout(&ring, &cqe, 1, &timeout, nullptr); r < 0)
      throw std::runtime_error("waiting for a multishot recv: " + detail::errno_text(-r));
    if (cqe->res != 1 || !(cqe->flags & IORING_CQE_F_BUFFER) || !(cqe->flags & IORING_CQE_F_MORE))
      throw std::runtime_error(
          fmt::format("multishot recv into a provided buffer not supported (res {}, flags {:#x}; "
                      "needs Linux 6.0)",
                      cqe->res, cqe->flags));
    io_uring_cqe_seen(&ring, cqe);
    io_uring_queue_exit(&ring);
  } catch (const std::exception& e) {
    reason = e.what();
    io_uring_queue_exit(&ring);
  }
  for (const int fd : pair)
    if (fd >= 0) ::close(fd);
  return reason;
}

}  // namespace loadgen
