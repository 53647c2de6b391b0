#include "test_client.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace cpp_server::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

// Waits up to `timeout` for fd to become readable.
bool wait_readable(int fd, std::chrono::milliseconds timeout) {
  pollfd entry{fd, POLLIN, 0};
  return ::poll(&entry, 1, static_cast<int>(timeout.count())) > 0;
}

// A SyncReadStream over a non-blocking socket whose reads fail with timed_out at a deadline.
// (SO_RCVTIMEO does not help: Asio's blocking reads poll again after EAGAIN.)
class DeadlineStream {
 public:
  DeadlineStream(tcp::socket& socket, std::chrono::steady_clock::time_point deadline)
      : socket_(socket), deadline_(deadline) {}

  template <class MutableBuffers>
  std::size_t read_some(const MutableBuffers& buffers, boost::system::error_code& ec) {
    for (;;) {
      const std::size_t n = socket_.read_some(buffers, ec);
      if (ec != asio::error::would_block) return n;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline_ - std::chrono::steady_clock::now());
      if (left.count() <= 0 || !wait_readable(socket_.native_handle(), left)) {
        ec = asio::error::timed_out;
        return 0;
      }
    }
  }
  template <class MutableBuffers>
  std::size_t read_some(const MutableBuffers& buffers) {
    boost::system::error_code ec;
    const std::size_t n = read_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

 private:
  tcp::socket& socket_;
  std::chrono::steady_clock::time_point deadline_;
};

}  // namespace

Client::Client(const tcp::endpoint& server) : socket_(context_) {
  socket_.connect(server);
  socket_.non_blocking(true);
}

void Client::send(std::string_view bytes) {
  // The socket is non-blocking for reads; writes wait for room.
  while (!bytes.empty()) {
    boost::system::error_code ec;
    const std::size_t n = socket_.write_some(asio::buffer(bytes), ec);
    if (ec == asio::error::would_block) {
      pollfd entry{socket_.native_handle(), POLLOUT, 0};
      ::poll(&entry, 1, 1000);
      continue;
    }
    if (ec) throw boost::system::system_error(ec, "sending a request");
    bytes.remove_prefix(n);
  }
}

Response Client::read_response(std::chrono::milliseconds timeout) {
  DeadlineStream stream(socket_, std::chrono::steady_clock::now() + timeout);
  http::response_parser<http::string_body> parser;
  parser.header_limit(64 * 1024);
  boost::system::error_code ec;
  http::read(stream, buffer_, parser, ec);
  if (ec) throw std::runtime_error("reading a response: " + ec.message());
  const auto& message = parser.get();
  Response response;
  response.status = message.result_int();
  response.version = message.version();
  for (const auto& field : message) {
    response.fields.emplace(std::string(field.name_string()), std::string(field.value()));
  }
  response.body = message.body();
  return response;
}

bool Client::wait_for_close(std::chrono::milliseconds timeout) {
  if (buffer_.size() > 0) throw std::runtime_error("unread bytes before the expected close");
  DeadlineStream stream(socket_, std::chrono::steady_clock::now() + timeout);
  char byte;
  boost::system::error_code ec;
  const std::size_t n = stream.read_some(asio::buffer(&byte, 1), ec);
  if (ec == asio::error::eof || ec == asio::error::connection_reset) return true;
  if (ec == asio::error::timed_out) return false;
  if (ec) throw std::runtime_error("waiting for close: " + ec.message());
  throw std::runtime_error("expected a close, got " + std::to_string(n) + " more byte(s)");
}

Response Client::get(std::string_view target, std::string_view extra_fields) {
  std::string request = "GET ";
  request.append(target).append(" HTTP/1.1\r\nHost: test\r\n").append(extra_fields).append("\r\n");
  send(request);
  return read_response();
}

StalledReader pipeline_and_stall(const tcp::endpoint& server, std::string_view request,
                                 std::size_t count, std::chrono::milliseconds stall) {
  asio::io_context context;
  tcp::socket socket(context);
  socket.open(server.protocol());
  socket.set_option(asio::socket_base::receive_buffer_size(4096));  // before the connect
  socket.connect(server);
  std::string requests;
  requests.reserve(request.size() * count);
  for (std::size_t i = 0; i < count; ++i) requests.append(request);
  // Written from a thread: once the server stops reading, the write blocks until it closes.
  std::thread writer([&] {
    boost::system::error_code ec;
    asio::write(socket, asio::buffer(requests), ec);
  });
  std::this_thread::sleep_for(stall);
  StalledReader outcome;
  const std::string_view status_line = "HTTP/1.1 200 OK\r\n";
  std::string tail;  // the last bytes of the previous read, for a status line split across reads
  std::vector<char> chunk(64 * 1024);
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd entry{socket.native_handle(), POLLIN, 0};
    if (left <= 0ms || ::poll(&entry, 1, static_cast<int>(left.count())) <= 0) break;
    const ssize_t n = ::recv(socket.native_handle(), chunk.data(), chunk.size(), 0);
    if (n <= 0) {
      outcome.closed = true;  // EOF, or a reset
      break;
    }
    std::string window = tail + std::string(chunk.data(), static_cast<std::size_t>(n));
    for (std::size_t at = window.find(status_line); at != std::string::npos;
         at = window.find(status_line, at + 1)) {
      // Lines wholly inside the carried-over tail were counted by the previous read.
      if (at + status_line.size() > tail.size()) ++outcome.answers;
    }
    tail = window.substr(window.size() - std::min(window.size(), status_line.size() - 1));
    if (outcome.answers == count) break;
  }
  ::shutdown(socket.native_handle(), SHUT_RDWR);  // ends a blocked write
  writer.join();
  return outcome;
}

ServerOptions quick_options() {
  ServerOptions options;
  options.port = 0;
  options.threads = 1;
  options.header_timeout = 300ms;
  options.idle_timeout = 600ms;
  options.body_timeout = 600ms;
  options.write_timeout = 600ms;
  options.shutdown_grace = 1000ms;
  options.linger = 200ms;
  return options;
}

RunningServer::RunningServer(ServerOptions options)
    : server_(std::make_unique<Server>(std::move(options))), endpoint_(server_->local_endpoint()) {
  server_->start();
}

RunningServer::~RunningServer() {
  server_->stop();
  server_->wait();
}

ChildProcess::ChildProcess(const std::string& program, const std::vector<std::string>& args) {
  int out_pipe[2];
  int err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe2 failed");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
  // The child must not inherit a blocked signal mask from the test (gtest does not block any,
  // but be explicit): SIGTERM has to reach it.
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t empty;
  sigemptyset(&empty);
  posix_spawnattr_setsigmask(&attributes, &empty);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK);

  std::vector<std::string> argv_storage{program};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& arg : argv_storage) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const int rc = ::posix_spawn(&pid_, program.c_str(), &actions, &attributes, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  stdout_fd_ = out_pipe[0];
  stderr_fd_ = err_pipe[0];
  if (rc != 0) throw std::runtime_error("posix_spawn " + program + " failed");
}

ChildProcess::~ChildProcess() {
  if (!exit_code_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  ::close(stdout_fd_);
  ::close(stderr_fd_);
}

std::optional<std::string> ChildProcess::read_stdout_line(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (auto newline = stdout_pending_.find('\n'); newline != std::string::npos) {
      std::string line = stdout_pending_.substr(0, newline);
      stdout_pending_.erase(0, newline + 1);
      return line;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || !wait_readable(stdout_fd_, left)) return std::nullopt;
    char chunk[256];
    const ssize_t n = ::read(stdout_fd_, chunk, sizeof chunk);
    if (n <= 0) return std::nullopt;
    stdout_pending_.append(chunk, static_cast<std::size_t>(n));
  }
}

std::string ChildProcess::read_all_stderr() {
  std::string text;
  char chunk[256];
  while (wait_readable(stderr_fd_, 1000ms)) {
    const ssize_t n = ::read(stderr_fd_, chunk, sizeof chunk);
    if (n <= 0) break;
    text.append(chunk, static_cast<std::size_t>(n));
  }
  return text;
}

void ChildProcess::send_signal(int signal_number) { ::kill(pid_, signal_number); }

std::optional<int> ChildProcess::wait_for_exit(std::chrono::milliseconds timeout) {
  if (exit_code_) return exit_code_;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
      return exit_code_;
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(5ms);
  }
}

}  // namespace cpp_server::testing
