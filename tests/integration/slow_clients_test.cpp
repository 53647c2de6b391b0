// Slow clients (contract/README.md, "Deadlines: a request's whole life is bounded"): each server,
// on one worker thread with `--live-mb 1` and its real limits, holds 200 slow writers and 200
// slow readers open, keeps serving normal clients within 100 ms at p99 meanwhile, drops the slow
// heads at the 10 s head deadline and nothing else before the 60 s ones.
//
// How, per server (about 12 s):
// 1. 200 slow writers. 100 head tricklers send `GET / HTTP/1.1`, `Host`, then one byte of an
//    `X-Slow: aaa...` header line a second and never the blank line; 100 body tricklers send a
//    complete `POST /orders` head (`application/json`, `Content-Length: 1000`) and then one body
//    byte a second. One thread does all of it (a tick a second, poll() in between), and notes
//    the moment each connection is dropped by the server (a read gives 0 or an error).
// 2. 200 slow readers. Each sends kPipelined pipelined `GET /users/1000` (about 1.2 KiB
//    answers) in one go and never reads. The answers owed must not fit in the kernel's buffers,
//    or the server's writes would finish and nothing would be slow; see kPipelined for the
//    arithmetic. The test checks it rather than trusting it: once nothing moves any more, each
//    reader's answers delivered into the kernel (what its socket holds, FIONREAD, plus the
//    server socket's send queue, /proc/net/tcp) must be short of what it asked for, so the
//    server is holding the rest, its write blocked.
// 3. While the 400 are open, 4 normal keep-alive clients send `GET /` one at a time (each waits
//    for its answer, then pauses kNormalPause, so the test measures latency rather than loading
//    a shared 2-core machine) for kNormalFor; every answer must be 200 and the p99 latency under
//    100 ms (p50, p99, max and the count are printed).
// 4. kCheckpoint (12 s) after the last slow writer connected: every head trickler has been
//    dropped, each between 9 s (the 10 s head deadline, with margin) and 12 s after its own
//    connect; every body trickler and slow reader is still open (its limits are 60 s). "Open" is
//    read without touching the data, at both ends: TCP_INFO's state is ESTABLISHED here (a FIN
//    from the server would make it CLOSE_WAIT, a reset CLOSE) and so is the server's socket in
//    /proc/net/tcp (a server that closes with a full send queue is FIN_WAIT1 there, its FIN
//    stuck behind the answers the reader never takes, invisible from the reader's end).
// 5. Everything is closed with a reset (SO_LINGER 0: no TIME_WAIT left on the machine's ports)
//    and the server stopped with SIGTERM, which it must obey with exit status 0.
//
// The test raises its RLIMIT_NOFILE to the hard limit (the server inherits it) and skips, saying
// so, when that is below what the 404 connections need.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "trial/process.hpp"

namespace hellobench {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr int kHeadTricklers = 100;
constexpr int kBodyTricklers = 100;
constexpr int kSlowReaders = 200;
constexpr int kNormalClients = 4;
constexpr int kSpareDescriptors = 64;  // the test's and the server's own files

// Pipelined requests per slow reader, and what makes its write block. Measured on the
// development machine (Linux 6.18, BBR, tcp_wmem 4096 16384 4194304) with `ss -tmi`:
// - The reader's socket gets SO_RCVBUF 4096 (the kernel doubles it: rb8192); it holds at most
//   about 6.6 KB of answers.
// - The server's send buffer is autotuned at the handshake from the peer's MSS: 3 (BBR; 2 with
//   cubic) * max(10, cwnd) * a power of two above one MSS-sized segment. On loopback the MSS is
//   65,483, which gives 3,939,840 bytes (tb) and 2.36 MB of answers queued: all of 2,000
//   pipelined requests, the server's write never blocked. So the reader also sets TCP_MAXSEG
//   536 before connecting (a client on a small-MTU path): the server's send buffer is then
//   193,536 bytes (tb), it held 85-125 KB of answers (Send-Q), and the servers stopped reading
//   requests (10-15 KB of the 18.4 KB sent left unread in their receive queue). hyper also holds
//   ~90 KB of answers of its own, so 90-200 KB of each reader's answers were ever produced.
// - 400 requests owe 400 * 1,187 = 475 KB (the answer to GET /users/1000, measured at run
//   time): 2.3 times the client's 8 KB plus the whole 194 KB send buffer, 3.6 times the 131 KB
//   the kernel held at most. The server only ever produces what fits (about 200 * 150 answers in
//   all, a fraction of a second of one core); the rest of the requests waits unread.
constexpr int kPipelined = 400;
constexpr int kReaderReceiveBuffer = 4096;
constexpr int kReaderSegmentSize = 536;
const std::string kUserTarget = "/users/1000";  // --live-mb 1 holds ids 0 .. 1023

constexpr auto kTrickleEvery = 1s;
constexpr auto kCheckpoint = 12s;       // after the last slow writer connected
constexpr auto kEarliestHeadDrop = 9s;  // the 10 s head deadline, with margin
constexpr auto kLatestHeadDrop = 12s;
constexpr auto kNormalFor = 3s;
constexpr auto kNormalPause = 2ms;
constexpr double kP99LimitMs = 100;

struct Server {
  std::string name;    // the test's name for it
  std::string binary;  // in the bin dir
};
void PrintTo(const Server& server, std::ostream* out) {  // gtest's name for a parameter
  *out << server.name << " (" << server.binary << ")";
}

std::filesystem::path bin_dir() {
  if (const char* dir = std::getenv("HELLOBENCH_SERVER_BIN_DIR"); dir && *dir) return dir;
  return HELLOBENCH_BIN_DIR;
}

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }
double millis(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// A loopback connection closed with a reset. Blocking, reads and writes give up after 10 s.
class Socket {
 public:
  struct Options {
    int receive_buffer = 0;  // SO_RCVBUF before connect; 0: the default
    int segment_size = 0;    // TCP_MAXSEG before connect; 0: the default
  };

  Socket(int port, Options options) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error(fmt::format("socket: {}", std::strerror(errno)));
    timeval timeout{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    set(SOL_SOCKET, SO_RCVBUF, options.receive_buffer, "SO_RCVBUF");
    set(IPPROTO_TCP, TCP_MAXSEG, options.segment_size, "TCP_MAXSEG");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      const int error = errno;
      ::close(fd_);
      throw std::runtime_error(fmt::format("connect: {}", std::strerror(error)));
    }
    connected_at_ = Clock::now();
  }
  Socket(Socket&& other) noexcept
      : fd_(std::exchange(other.fd_, -1)), connected_at_(other.connected_at_) {}
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket() {
    if (fd_ < 0) return;
    linger reset{1, 0};  // close with a reset: no TIME_WAIT
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    ::close(fd_);
  }

  int fd() const { return fd_; }
  Clock::time_point connected_at() const { return connected_at_; }

  bool send_all(std::string_view data) {
    while (!data.empty()) {
      const ssize_t sent = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (sent <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(sent));
    }
    return true;
  }

  // Reads one answer (head and Content-Length body): its status and its size on the wire, or an
  // error saying what went wrong.
  struct Answer {
    int status = 0;
    std::size_t bytes = 0;
    std::string error;
  };
  Answer read_answer() {
    std::string data;
    char chunk[4096];
    std::size_t head_end = std::string::npos;
    std::size_t total = 0;
    while (true) {
      if (head_end == std::string::npos) {
        head_end = data.find("\r\n\r\n");
        if (head_end != std::string::npos) {
          head_end += 4;
          const auto length = content_length(data.substr(0, head_end));
          if (!length) return {0, 0, "an answer without Content-Length: " + data.substr(0, 200)};
          total = head_end + *length;
        }
      }
      if (head_end != std::string::npos && data.size() >= total) break;
      const ssize_t got = ::recv(fd_, chunk, sizeof chunk, 0);
      if (got == 0) return {0, 0, fmt::format("closed after {} bytes", data.size())};
      if (got < 0) return {0, 0, fmt::format("recv: {}", std::strerror(errno))};
      data.append(chunk, static_cast<std::size_t>(got));
    }
    if (data.size() != total) {
      return {0, 0, fmt::format("{} bytes after the answer", data.size() - total)};
    }
    if (data.rfind("HTTP/1.1 ", 0) != 0) return {0, 0, "not HTTP/1.1: " + data.substr(0, 40)};
    return {std::atoi(data.c_str() + 9), total, ""};
  }

 private:
  static std::optional<std::size_t> content_length(const std::string& head) {
    std::string lower = head;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const auto at = lower.find("\r\ncontent-length:");
    if (at == std::string::npos) return std::nullopt;
    return static_cast<std::size_t>(std::strtoull(lower.c_str() + at + 17, nullptr, 10));
  }

  void set(int level, int name, int value, const char* what) {
    if (value == 0) return;
    if (::setsockopt(fd_, level, name, &value, sizeof value) != 0) {
      const int error = errno;
      ::close(fd_);
      throw std::runtime_error(fmt::format("{} {}: {}", what, value, std::strerror(error)));
    }
  }

  int fd_ = -1;
  Clock::time_point connected_at_;
};

// The connection's TCP state seen from this end (TCP_ESTABLISHED while neither side has closed),
// read without touching its data.
int tcp_state(int fd) {
  tcp_info info{};
  socklen_t size = sizeof info;
  if (::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &size) != 0) return -1;
  return info.tcpi_state;
}

const char* state_name(int state) {
  switch (state) {
    case TCP_ESTABLISHED:
      return "ESTABLISHED";
    case TCP_CLOSE_WAIT:
      return "CLOSE_WAIT";
    case TCP_CLOSE:
      return "CLOSE";
    case TCP_LAST_ACK:
      return "LAST_ACK";
    case TCP_FIN_WAIT1:
      return "FIN_WAIT1";
    case TCP_FIN_WAIT2:
      return "FIN_WAIT2";
    case TCP_TIME_WAIT:
      return "TIME_WAIT";
    default:
      return "other";
  }
}

// Bytes the socket has received and not yet given to a read.
std::size_t unread_bytes(int fd) {
  int bytes = 0;
  if (::ioctl(fd, FIONREAD, &bytes) != 0) return 0;
  return static_cast<std::size_t>(bytes);
}

int local_port(int fd) {
  sockaddr_in address{};
  socklen_t size = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
  return ntohs(address.sin_port);
}

// The server's side of each loopback connection to server_port, by the client's port, from
// /proc/net/tcp: its TCP state, send queue (bytes written and not yet acknowledged by the client)
// and receive queue (bytes received and not yet read by the server).
struct ServerSide {
  int state = 0;  // TCP_ESTABLISHED ...: /proc/net/tcp numbers states like netinet/tcp.h
  std::size_t send = 0;
  std::size_t receive = 0;
};
std::map<int, ServerSide> server_sides(int server_port) {
  std::map<int, ServerSide> sides;
  std::ifstream table("/proc/net/tcp");
  std::string line;
  std::getline(table, line);  // the column names
  while (std::getline(table, line)) {
    // "  12: 0100007F:A1B2 0100007F:C3D4 01 00000000:00000000 ..."
    std::istringstream fields(line);
    std::string slot, local, remote, state, queue;
    fields >> slot >> local >> remote >> state >> queue;
    const auto colon = local.find(':');
    if (colon == std::string::npos ||
        std::stoi(local.substr(colon + 1), nullptr, 16) != server_port) {
      continue;
    }
    const int client_port = std::stoi(remote.substr(remote.find(':') + 1), nullptr, 16);
    if (client_port == 0) continue;  // the listening socket
    const auto split = queue.find(':');
    sides[client_port] = {std::stoi(state, nullptr, 16),
                          std::stoul(queue.substr(0, split), nullptr, 16),
                          std::stoul(queue.substr(split + 1), nullptr, 16)};
  }
  return sides;
}

// Empty when the connection is open at both ends, else how it is not. Both ends are looked at:
// a server that closes a connection whose send queue is full queues its FIN behind the unsent
// answers, so the client that never reads stays ESTABLISHED and only the server's end (FIN_WAIT1)
// shows it.
std::string not_open(int fd, const std::map<int, ServerSide>& server) {
  const int here = tcp_state(fd);
  const auto there = server.find(local_port(fd));
  if (here == TCP_ESTABLISHED && there != server.end() && there->second.state == TCP_ESTABLISHED) {
    return "";
  }
  return fmt::format("TCP state {} here, {} at the server", state_name(here),
                     there == server.end() ? "no socket" : state_name(there->second.state));
}

// The slow writers, trickled by one thread: what it saw of each.
struct Writer {
  Socket socket;
  std::string trickle;  // sent one byte a tick
  std::size_t trickled = 0;
  std::optional<Clock::duration> dropped_after;  // since its connect
  std::string drop_how;
  std::string received;  // anything the server sent it
};

// Until `until`: every kTrickleEvery, one more byte on each writer not dropped; in between, poll
// them all and note each one the server drops (a read gives 0 or an error, or a send fails).
void trickle(std::vector<Writer>& writers, Clock::time_point until, std::stop_token stop) {
  auto next_tick = Clock::now() + kTrickleEvery;
  const auto drop = [](Writer& writer, std::string how) {
    if (writer.dropped_after) return;
    writer.dropped_after = Clock::now() - writer.socket.connected_at();
    writer.drop_how = std::move(how);
  };
  std::vector<pollfd> polled;
  std::vector<Writer*> polled_writers;
  while (!stop.stop_requested()) {
    const auto now = Clock::now();
    if (now >= until) return;
    if (now >= next_tick) {
      next_tick += kTrickleEvery;
      for (Writer& writer : writers) {
        if (writer.dropped_after || writer.trickled >= writer.trickle.size()) continue;
        const ssize_t sent = ::send(writer.socket.fd(), writer.trickle.data() + writer.trickled, 1,
                                    MSG_NOSIGNAL | MSG_DONTWAIT);
        if (sent == 1) {
          ++writer.trickled;
        } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
          drop(writer, fmt::format("send: {}", std::strerror(errno)));
        }
      }
    }
    polled.clear();
    polled_writers.clear();
    for (Writer& writer : writers) {
      if (writer.dropped_after) continue;
      polled.push_back({writer.socket.fd(), POLLIN | POLLRDHUP, 0});
      polled_writers.push_back(&writer);
    }
    const auto wait = std::min({next_tick, until, Clock::now() + 50ms}) - Clock::now();
    const int ready =
        ::poll(polled.data(), polled.size(),
               static_cast<int>(std::max<std::int64_t>(
                   0, std::chrono::duration_cast<std::chrono::milliseconds>(wait).count() + 1)));
    if (ready <= 0) continue;
    for (std::size_t i = 0; i < polled.size(); ++i) {
      if (polled[i].revents == 0) continue;
      Writer& writer = *polled_writers[i];
      char chunk[4096];
      const ssize_t got = ::recv(writer.socket.fd(), chunk, sizeof chunk, MSG_DONTWAIT);
      if (got > 0) {
        writer.received.append(chunk, static_cast<std::size_t>(got));
      } else if (got == 0) {
        drop(writer, "closed");
      } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
        drop(writer, std::strerror(errno));
      }
    }
  }
}

// A normal client's record: every latency, and what went wrong.
struct NormalRun {
  std::vector<double> latencies_ms;
  int not_ok = 0;
  std::string first_problem;
};

void normal_client(Socket& socket, Clock::time_point until, NormalRun& run) {
  static const std::string request = "GET / HTTP/1.1\r\nHost: hellobench\r\n\r\n";
  while (Clock::now() < until) {
    const auto start = Clock::now();
    if (!socket.send_all(request)) {
      ++run.not_ok;
      if (run.first_problem.empty()) {
        run.first_problem = fmt::format("send: {}", std::strerror(errno));
      }
      return;
    }
    const auto answer = socket.read_answer();
    run.latencies_ms.push_back(millis(Clock::now() - start));
    if (answer.status != 200) {
      ++run.not_ok;
      if (run.first_problem.empty()) {
        run.first_problem =
            answer.error.empty() ? fmt::format("status {}", answer.status) : answer.error;
      }
      if (!answer.error.empty()) return;  // the connection is gone
    }
    std::this_thread::sleep_for(kNormalPause);
  }
}

std::string min_max_seconds(const std::vector<double>& values) {
  if (values.empty()) return "none";
  const auto [low, high] = std::minmax_element(values.begin(), values.end());
  return fmt::format("{:.2f}-{:.2f} s", *low, *high);
}

class SlowClients : public ::testing::TestWithParam<Server> {};

TEST_P(SlowClients, ServesNormalClientsAndDropsOnlyTheSlowHeadsBeforeSixtySeconds) {
  const Server& param = GetParam();
  const std::string& name = param.name;

  rlimit limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &limit), 0);
  const rlim_t needed =
      kHeadTricklers + kBodyTricklers + kSlowReaders + kNormalClients + kSpareDescriptors;
  if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < needed) {
    GTEST_SKIP() << fmt::format(
        "RLIMIT_NOFILE's hard limit is {}, below the {} that the slow clients need, and only "
        "root may raise it",
        limit.rlim_max, needed);
  }
  limit.rlim_cur = limit.rlim_max;  // the server, spawned below, inherits it
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &limit), 0) << std::strerror(errno);

  const std::string binary = (bin_dir() / param.binary).string();
  ASSERT_TRUE(std::filesystem::exists(binary)) << binary << " is not built";
  ProcessSpec spec;
  spec.argv = {binary, "--port", "0", "--threads", "1", "--live-mb", "1"};
  Process server = Process::spawn(spec);
  const auto ready = server.wait_for_stdout_line("listening on ", 20s);
  ASSERT_TRUE(ready) << name << " printed no ready line: " << server.stderr_text();
  const int port = std::atoi(ready->substr(ready->rfind(':') + 1).c_str());

  // The size of one slow reader's answer, on a connection of its own.
  const std::string user_request =
      fmt::format("GET {} HTTP/1.1\r\nHost: hellobench\r\n\r\n", kUserTarget);
  std::size_t answer_bytes = 0;
  {
    Socket probe(port, {});
    ASSERT_TRUE(probe.send_all(user_request));
    const auto answer = probe.read_answer();
    ASSERT_EQ(answer.status, 200) << name << ": GET " << kUserTarget << ": " << answer.error;
    answer_bytes = answer.bytes;
  }
  const std::size_t owed = answer_bytes * kPipelined;

  // 1. The slow writers, trickled from now on by their own thread.
  std::vector<Writer> writers;
  writers.reserve(kHeadTricklers + kBodyTricklers);
  const std::string slow_header = "X-Slow: " + std::string(100, 'a');
  for (int i = 0; i < kHeadTricklers; ++i) {
    Socket socket(port, {});
    ASSERT_TRUE(socket.send_all("GET / HTTP/1.1\r\nHost: hellobench\r\n"))
        << name << ": head trickler " << i + 1;
    writers.push_back({std::move(socket), slow_header, 0, std::nullopt, "", ""});
  }
  const std::string order_head =
      "POST /orders HTTP/1.1\r\nHost: hellobench\r\nContent-Type: application/json\r\n"
      "Content-Length: 1000\r\n\r\n";
  for (int i = 0; i < kBodyTricklers; ++i) {
    Socket socket(port, {});
    ASSERT_TRUE(socket.send_all(order_head)) << name << ": body trickler " << i + 1;
    writers.push_back({std::move(socket), std::string(1000, ' '), 0, std::nullopt, "", ""});
  }
  const auto checkpoint = writers.back().socket.connected_at() + kCheckpoint;

  // 2. The slow readers: all their requests in one write each, never a read.
  std::string pipelined;
  for (int i = 0; i < kPipelined; ++i) pipelined += user_request;
  std::vector<Socket> readers;
  readers.reserve(kSlowReaders);
  for (int i = 0; i < kSlowReaders; ++i) {
    readers.emplace_back(port, Socket::Options{kReaderReceiveBuffer, kReaderSegmentSize});
    ASSERT_TRUE(readers.back().send_all(pipelined))
        << name << ": slow reader " << i + 1 << ": sending its " << kPipelined
        << " requests: " << std::strerror(errno);
  }

  // From here to the checkpoint no assertion returns early: the threads below use the sockets.
  std::jthread trickler([&](std::stop_token stop) { trickle(writers, checkpoint, stop); });

  // Wait for the readers to settle (nothing delivered for 300 ms, at most 3 s), then check that
  // each server write is blocked: the kernel holds only part of what each reader is owed.
  std::vector<int> reader_ports;
  for (const Socket& reader : readers) reader_ports.push_back(local_port(reader.fd()));
  struct ReaderSeen {
    std::size_t client_holds = 0;
    ServerSide server;
  };
  std::vector<ReaderSeen> seen(readers.size());
  const auto settle_until = Clock::now() + 3s;
  std::size_t last_total = 0;
  int unchanged = 0;
  while (Clock::now() < settle_until && unchanged < 3) {
    std::this_thread::sleep_for(100ms);
    const auto queues = server_sides(port);
    std::size_t total = 0;
    for (std::size_t i = 0; i < readers.size(); ++i) {
      const auto found = queues.find(reader_ports[i]);
      seen[i] = {unread_bytes(readers[i].fd()),
                 found == queues.end() ? ServerSide{} : found->second};
      total += seen[i].client_holds + seen[i].server.send;
    }
    unchanged = total == last_total ? unchanged + 1 : 0;
    last_total = total;
  }
  int never_blocked = 0;
  std::string first_never_blocked;
  std::vector<double> holds, sends, unread_requests;
  for (std::size_t i = 0; i < readers.size(); ++i) {
    const std::size_t delivered = seen[i].client_holds + seen[i].server.send;
    holds.push_back(static_cast<double>(seen[i].client_holds));
    sends.push_back(static_cast<double>(seen[i].server.send));
    unread_requests.push_back(static_cast<double>(seen[i].server.receive));
    if (delivered >= owed && ++never_blocked == 1) {
      first_never_blocked = fmt::format(
          "slow reader {}: the kernel holds {} bytes of its answers ({} in its socket, {} in the "
          "server's send queue) of the {} it asked for",
          i + 1, delivered, seen[i].client_holds, seen[i].server.send, owed);
    }
  }
  const auto range = [](const std::vector<double>& values) {
    const auto [low, high] = std::minmax_element(values.begin(), values.end());
    return fmt::format("{:.0f}-{:.0f}", *low, *high);
  };
  const std::string readers_line = fmt::format(
      "{}: {} slow readers, each owed {} answers of {} bytes = {} bytes; settled{} with {} bytes "
      "in the reader's socket, {} in the server's send queue, {} bytes of requests unread by "
      "the server",
      name, kSlowReaders, kPipelined, answer_bytes, owed, unchanged >= 3 ? "" : " (NOT within 3 s)",
      range(holds), range(sends), range(unread_requests));
  std::printf("%s\n", readers_line.c_str());

  // 3. Normal clients while the 400 are open.
  std::vector<Socket> normal;
  std::vector<NormalRun> runs(kNormalClients);
  std::string normal_connect_error;
  try {
    for (int i = 0; i < kNormalClients; ++i) normal.emplace_back(port, Socket::Options{});
  } catch (const std::exception& error) {
    normal_connect_error = error.what();
  }
  {
    const auto until = Clock::now() + kNormalFor;
    std::vector<std::jthread> clients;
    for (std::size_t i = 0; i < normal.size(); ++i) {
      clients.emplace_back([&, i] { normal_client(normal[i], until, runs[i]); });
    }
  }  // joined

  // 4. The checkpoint: the trickler returns at it.
  trickler.join();
  const auto at_server = server_sides(port);
  std::vector<std::string> readers_not_open, writers_not_open;
  for (const Socket& reader : readers) readers_not_open.push_back(not_open(reader.fd(), at_server));
  for (const Writer& writer : writers) {
    writers_not_open.push_back(not_open(writer.socket.fd(), at_server));
  }

  EXPECT_EQ(never_blocked, 0)
      << name << ": " << never_blocked << " slow readers got every answer they asked for into "
      << "the kernel's buffers, so the server's writes never blocked; raise kPipelined. First: "
      << first_never_blocked;

  // The normal clients' latencies.
  EXPECT_EQ(normal_connect_error, "") << name << ": a normal client could not connect";
  std::vector<double> latencies;
  int not_ok = 0;
  std::string first_problem;
  for (const NormalRun& run : runs) {
    latencies.insert(latencies.end(), run.latencies_ms.begin(), run.latencies_ms.end());
    not_ok += run.not_ok;
    if (first_problem.empty()) first_problem = run.first_problem;
  }
  std::sort(latencies.begin(), latencies.end());
  ASSERT_FALSE(latencies.empty()) << name << ": no normal request was answered: " << first_problem;
  const auto percentile = [&](double p) {
    const auto rank =
        static_cast<std::size_t>(std::ceil(p * static_cast<double>(latencies.size())));
    return latencies[std::min(latencies.size(), std::max<std::size_t>(rank, 1)) - 1];
  };
  const double p50 = percentile(0.50);
  const double p99 = percentile(0.99);
  const std::string normal_line = fmt::format(
      "{}: {} normal GET / on {} keep-alive connections with the 400 slow ones open: p50 {:.3f} "
      "ms, p99 {:.3f} ms, max {:.3f} ms; {} not 200",
      name, latencies.size(), kNormalClients, p50, p99, latencies.back(), not_ok);
  std::printf("%s\n", normal_line.c_str());
  RecordProperty("p99_ms", fmt::format("{:.3f}", p99));
  EXPECT_EQ(not_ok, 0) << name << ": normal requests not answered 200; first: " << first_problem;
  EXPECT_LT(p99, kP99LimitMs) << name << ": normal clients' p99 latency with 400 slow clients open";

  // The deadlines seen from outside.
  std::vector<double> head_drops, early_drops;
  int heads_open = 0, heads_answered = 0, bodies_dropped = 0, bodies_answered = 0;
  int readers_closed = 0;
  std::string head_problem, body_problem, reader_problem, head_answer;
  for (int i = 0; i < kHeadTricklers + kBodyTricklers; ++i) {
    const Writer& writer = writers[static_cast<std::size_t>(i)];
    const std::string& writer_not_open = writers_not_open[static_cast<std::size_t>(i)];
    const bool head = i < kHeadTricklers;
    const std::string what = fmt::format("{} trickler {}", head ? "head" : "body",
                                         head ? i + 1 : i - kHeadTricklers + 1);
    if (head) {
      if (!writer.received.empty() && ++heads_answered == 1) {
        head_answer = writer.received.substr(0, writer.received.find("\r\n"));
      }
      if (!writer.dropped_after) {
        ++heads_open;
        if (head_problem.empty()) {
          head_problem = fmt::format(
              "{} still open at {} s ({} bytes trickled; {})", what, seconds(kCheckpoint),
              writer.trickled, writer_not_open.empty() ? "open at both ends" : writer_not_open);
        }
        continue;
      }
      const double after = seconds(*writer.dropped_after);
      head_drops.push_back(after);
      if (*writer.dropped_after < kEarliestHeadDrop || *writer.dropped_after > kLatestHeadDrop) {
        early_drops.push_back(after);
        if (head_problem.empty()) {
          head_problem = fmt::format("{} dropped ({}) {:.3f} s after its connect", what,
                                     writer.drop_how, after);
        }
      }
      continue;
    }
    if (writer.dropped_after || !writer_not_open.empty()) {
      ++bodies_dropped;
      if (body_problem.empty()) {
        body_problem =
            writer.dropped_after
                ? fmt::format(
                      "{} dropped ({}) {:.3f} s after its connect, {} body "
                      "bytes sent",
                      what, writer.drop_how, seconds(*writer.dropped_after), writer.trickled)
                : fmt::format("{}: {}", what, writer_not_open);
      }
    }
    if (!writer.received.empty() && ++bodies_answered == 1 && body_problem.empty()) {
      body_problem = fmt::format("{} was sent, before its body was complete: {}", what,
                                 writer.received.substr(0, 80));
    }
  }
  for (std::size_t i = 0; i < readers.size(); ++i) {
    if (readers_not_open[i].empty()) continue;
    if (++readers_closed == 1) {
      reader_problem = fmt::format("slow reader {}: {}", i + 1, readers_not_open[i]);
    }
  }
  const std::string deadlines_line = fmt::format(
      "{}: at {:.0f} s after the slow writers connected: {} of {} head tricklers dropped "
      "({} after their connect; {} answered before the drop{}), {} still open; {} of {} body "
      "tricklers and {} of {} slow readers still open",
      name, seconds(kCheckpoint), head_drops.size(), kHeadTricklers, min_max_seconds(head_drops),
      heads_answered, heads_answered > 0 ? ", first: " + head_answer : "", heads_open,
      kBodyTricklers - bodies_dropped, kBodyTricklers, kSlowReaders - readers_closed, kSlowReaders);
  std::printf("%s\n", deadlines_line.c_str());
  if (!head_drops.empty()) {
    RecordProperty("head_drop_s", min_max_seconds(head_drops));
  }
  EXPECT_EQ(heads_open, 0) << name << ": the 10 s head deadline; first: " << head_problem;
  EXPECT_TRUE(early_drops.empty())
      << name << ": " << early_drops.size() << " head tricklers dropped outside "
      << seconds(kEarliestHeadDrop) << "-" << seconds(kLatestHeadDrop)
      << " s; first: " << head_problem;
  EXPECT_EQ(bodies_dropped + bodies_answered, 0)
      << name << ": body tricklers (60 s body deadline) dropped: " << bodies_dropped
      << ", answered: " << bodies_answered << "; first: " << body_problem;
  EXPECT_EQ(readers_closed, 0) << name
                               << ": slow readers (60 s write deadline) closed: " << readers_closed
                               << "; first: " << reader_problem;

  // 5. Everything closed with a reset, then the server stopped.
  normal.clear();
  readers.clear();
  writers.clear();
  EXPECT_EQ(server.terminate(5s), 0) << name << ": " << server.stderr_text();
}

INSTANTIATE_TEST_SUITE_P(Servers, SlowClients,
                         ::testing::Values(Server{"cpp", "cpp-stock-server"},
                                           Server{"cpp-tuned", "cpp-server"},
                                           Server{"go", "go-server"},
                                           Server{"rust", "rust-server"}),
                         [](const auto& info) {
                           std::string name = info.param.name;
                           for (char& c : name) c = c == '-' ? '_' : c;
                           return name;
                         });

}  // namespace
}  // namespace hellobench
