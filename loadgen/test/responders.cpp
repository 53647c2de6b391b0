#include "responders.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <charconv>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace loadgen::test {

namespace asio = boost::asio;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

struct Responder::Impl {
  Behaviour behaviour;
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  std::uint16_t port = 0;
  std::thread thread;
  Clock::time_point started = Clock::now();
  std::atomic<std::uint64_t> accepted{0}, requests{0}, answers{0}, closes{0};
  mutable std::mutex first_request_mutex;
  std::string first_request;
  std::vector<std::string> request_lines;

  // A response to HEAD carries the headers of the GET answer and no body.
  std::string answer(bool close, bool head) const {
    std::string headers =
        behaviour.status_line + "\r\nServer: test\r\nContent-Type: text/plain\r\n";
    if (close) headers += "Connection: close\r\n";
    if (behaviour.chunked) {
      headers += "Transfer-Encoding: chunked\r\n\r\n";
      return head ? headers : headers + "6\r\nHello,\r\n7\r\n World!\r\n0\r\n\r\n";
    }
    const std::string body =
        behaviour.body_bytes > 0 ? std::string(behaviour.body_bytes, 'x') : std::string(kBody);
    headers += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
    return head ? headers : headers + body;
  }

  // The wait a request line "GET /io?ms=N HTTP/1.1" asks for, else 0.
  std::chrono::nanoseconds io_wait(std::string_view request_line) const {
    constexpr std::string_view kPrefix = "/io?ms=";
    const auto target = request_line.find(' ');
    if (target == std::string_view::npos ||
        request_line.substr(target + 1, kPrefix.size()) != kPrefix)
      return {};
    const char* digits = request_line.data() + target + 1 + kPrefix.size();
    long ms = 0;
    std::from_chars(digits, request_line.data() + request_line.size(), ms);
    return std::chrono::nanoseconds(
        static_cast<std::int64_t>(static_cast<double>(ms) * 1e6 * behaviour.io_wait_factor));
  }

  // The Content-Length of a request's header section (0 when it has none).
  static std::size_t content_length(std::string_view head) {
    for (std::size_t line = head.find("\r\n"); line != std::string_view::npos;
         line = head.find("\r\n", line + 2)) {
      const std::string_view rest = head.substr(line + 2);
      constexpr std::string_view kName = "content-length:";
      if (rest.size() < kName.size()) break;
      bool match = true;
      for (std::size_t i = 0; i < kName.size(); ++i)
        if ((rest[i] | 0x20) != kName[i]) match = false;
      if (!match) continue;
      std::size_t at = kName.size();
      while (at < rest.size() && rest[at] == ' ') ++at;
      std::size_t length = 0;
      std::from_chars(rest.data() + at, rest.data() + rest.size(), length);
      return length;
    }
    return 0;
  }

  // When the next answer may leave: after the fixed delay, and not inside a freeze.
  Clock::time_point release_time(Clock::time_point arrived) const {
    Clock::time_point at = arrived + behaviour.delay;
    if (behaviour.freeze_period.count() > 0) {
      const auto into_period = (at - started) % behaviour.freeze_period;
      if (into_period >= behaviour.freeze_phase &&
          into_period < behaviour.freeze_phase + behaviour.freeze_length)
        at += behaviour.freeze_phase + behaviour.freeze_length - into_period;
    }
    return at;
  }

  asio::awaitable<void> session(tcp::socket socket) {
    std::string pending;
    char buffer[4096];
    int answered = 0;
    asio::steady_timer timer(socket.get_executor());
    // Per method kind (GET-like, HEAD), keep-alive and closing answers.
    const std::string prepared[2][2] = {
        {answer(false, false), answer(!behaviour.close_abruptly, false)},
        {answer(false, true), answer(!behaviour.close_abruptly, true)}};
    try {
      for (;;) {
        const std::size_t n =
            co_await socket.async_read_some(asio::buffer(buffer), asio::use_awaitable);
        const auto arrived = Clock::now();
        pending.append(buffer, n);
        for (auto end = pending.find("\r\n\r\n"); end != std::string::npos;
             end = pending.find("\r\n\r\n")) {
          // The whole request, body included (Content-Length), or wait for more bytes.
          const std::size_t size =
              end + 4 + content_length(std::string_view(pending).substr(0, end + 2));
          if (pending.size() < size) break;
          const std::string_view request_line =
              std::string_view(pending).substr(0, pending.find("\r\n"));
          const auto extra_wait = io_wait(request_line);
          const auto number = requests.fetch_add(1);
          if (number == 0 || number < behaviour.keep_request_lines) {
            std::lock_guard lock(first_request_mutex);
            if (number == 0) first_request = pending.substr(0, size);
            if (number < behaviour.keep_request_lines) request_lines.emplace_back(request_line);
          }
          const bool head = pending.compare(0, 5, "HEAD ") == 0;
          pending.erase(0, size);
          if (behaviour.never_answer) continue;
          const auto at = release_time(arrived) + extra_wait;
          if (at > Clock::now()) {
            timer.expires_at(at);
            co_await timer.async_wait(asio::use_awaitable);
          }
          if (behaviour.garbage) {
            co_await asio::async_write(socket, asio::buffer(std::string_view("garbage\r\n\r\n")),
                                       asio::use_awaitable);
            answers.fetch_add(1);
            continue;
          }
          ++answered;
          const bool close = behaviour.close_every > 0 && answered % behaviour.close_every == 0;
          co_await asio::async_write(socket, asio::buffer(prepared[head][close]),
                                     asio::use_awaitable);
          answers.fetch_add(1);
          if (close) {
            closes.fetch_add(1);
            boost::system::error_code ignored;
            socket.shutdown(tcp::socket::shutdown_send, ignored);
            socket.close(ignored);
            co_return;
          }
        }
      }
    } catch (const boost::system::system_error&) {
      // The client went away or the responder is stopping: the session ends.
    }
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      tcp::socket socket = co_await acceptor.async_accept(asio::use_awaitable);
      accepted.fetch_add(1);
      socket.set_option(tcp::no_delay(true));
      asio::co_spawn(io, session(std::move(socket)), asio::detached);
    }
  }
};

Responder::Responder(Behaviour behaviour) : impl_(std::make_unique<Impl>()) {
  impl_->behaviour = std::move(behaviour);
  tcp::endpoint endpoint(asio::ip::make_address(impl_->behaviour.bind_address), 0);
  impl_->acceptor.open(endpoint.protocol());
  impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor.bind(endpoint);
  impl_->acceptor.listen(1024);
  impl_->port = impl_->acceptor.local_endpoint().port();
  impl_->started = Clock::now();
  asio::co_spawn(impl_->io, impl_->accept_loop(), [](std::exception_ptr) {});
  impl_->thread = std::thread([this] { impl_->io.run(); });
}

Responder::~Responder() {
  impl_->io.stop();
  impl_->thread.join();
}

std::uint16_t Responder::port() const { return impl_->port; }

std::string Responder::url(const std::string& path) const {
  return "http://" + impl_->behaviour.bind_address + ":" + std::to_string(port()) + path;
}

std::uint64_t Responder::connections_accepted() const { return impl_->accepted.load(); }
std::uint64_t Responder::requests_received() const { return impl_->requests.load(); }
std::uint64_t Responder::answers_sent() const { return impl_->answers.load(); }
std::uint64_t Responder::closes() const { return impl_->closes.load(); }

std::string Responder::first_request() const {
  std::lock_guard lock(impl_->first_request_mutex);
  return impl_->first_request;
}

std::vector<std::string> Responder::request_lines() const {
  std::lock_guard lock(impl_->first_request_mutex);
  return impl_->request_lines;
}

std::uint16_t unused_port() {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const auto port = acceptor.local_endpoint().port();
  acceptor.close();
  return port;
}

SilentListener::SilentListener() {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(fd_, 0) != 0 ||
      ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0)
    throw std::runtime_error("SilentListener: cannot listen on 127.0.0.1");
  port_ = ntohs(address.sin_port);
}

SilentListener::~SilentListener() { ::close(fd_); }

std::string SilentListener::url() const {
  return "http://127.0.0.1:" + std::to_string(port_) + "/";
}

}  // namespace loadgen::test
