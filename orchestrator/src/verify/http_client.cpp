#include "verify/http_client.hpp"

#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cctype>
#include <cerrno>
#include <system_error>

namespace hellobench {
namespace {

namespace http = boost::beast::http;
using Clock = std::chrono::steady_clock;

std::string errno_text(int error) { return std::generic_category().message(error); }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

int millis_until(Clock::time_point deadline) {
  // Rounded up: poll's millisecond timeout must not end the wait before the deadline.
  auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::clamp<long long>(left.count(), 0, 1'000'000));
}

// Waits for events on fd until deadline; false on timeout.
bool wait_for(int fd, short events, Clock::time_point deadline, short& revents) {
  for (;;) {
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, millis_until(deadline));
    if (n > 0) {
      revents = p.revents;
      return true;
    }
    if (n == 0) {
      if (Clock::now() < deadline) continue;
      return false;
    }
    if (errno != EINTR) throw HttpClientError(fmt::format("poll: {}", errno_text(errno)));
  }
}

}  // namespace

std::vector<std::string> HttpResponse::header_values(std::string_view name) const {
  std::vector<std::string> values;
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) values.push_back(value);
  }
  return values;
}

std::optional<std::string> HttpResponse::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return value;
  }
  return std::nullopt;
}

std::vector<std::string> HttpResponse::header_names() const {
  std::vector<std::string> names;
  for (const auto& header : headers) names.push_back(lower(header.first));
  std::sort(names.begin(), names.end());
  return names;
}

HttpConnection HttpConnection::connect(const std::string& host, std::uint16_t port,
                                       std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0) {
    throw HttpClientError(fmt::format("cannot resolve '{}': {}", host, ::gai_strerror(rc)));
  }
  std::string last_error = "no address";
  for (addrinfo* ai = found; ai; ai = ai->ai_next) {
    int fd =
        ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      last_error = errno_text(errno);
      continue;
    }
    int error = 0;
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
      error = errno;
      if (error == EINPROGRESS) {
        short revents = 0;
        if (!wait_for(fd, POLLOUT, deadline, revents)) {
          error = ETIMEDOUT;
        } else {
          socklen_t len = sizeof error;
          ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len);
        }
      }
    }
    if (error == 0) {
      ::freeaddrinfo(found);
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      return HttpConnection(fd);
    }
    last_error = errno_text(error);
    ::close(fd);
  }
  ::freeaddrinfo(found);
  throw HttpClientError(fmt::format("cannot connect to {}:{}: {}", host, port, last_error));
}

HttpConnection::HttpConnection(HttpConnection&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      buffer_(std::move(other.buffer_)),
      peer_closed_(other.peer_closed_),
      reset_(other.reset_) {}

HttpConnection& HttpConnection::operator=(HttpConnection&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    buffer_ = std::move(other.buffer_);
    peer_closed_ = other.peer_closed_;
    reset_ = other.reset_;
  }
  return *this;
}

HttpConnection::~HttpConnection() {
  if (fd_ >= 0) ::close(fd_);
}

void HttpConnection::send(std::string_view bytes, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      short revents = 0;
      if (!wait_for(fd_, POLLOUT, deadline, revents)) {
        throw HttpClientError(fmt::format("send timed out after {} ms with {} bytes unsent",
                                          timeout.count(), bytes.size()));
      }
      continue;
    }
    throw HttpClientError(fmt::format("send failed: {}", errno_text(errno)));
  }
}

std::size_t HttpConnection::receive_some(Clock::time_point deadline) {
  char chunk[16384];
  for (;;) {
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n > 0) {
      buffer_.append(chunk, static_cast<std::size_t>(n));
      return static_cast<std::size_t>(n);
    }
    if (n == 0) {
      peer_closed_ = true;
      return 0;
    }
    if (errno == EINTR) continue;
    if (errno == ECONNRESET) {
      peer_closed_ = true;
      reset_ = true;
      return 0;
    }
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      throw HttpClientError(fmt::format("receive failed: {}", errno_text(errno)));
    }
    short revents = 0;
    if (!wait_for(fd_, POLLIN, deadline, revents)) {
      throw HttpClientError("timed out waiting for the response");
    }
  }
}

HttpResponse HttpConnection::read_response(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  http::response_parser<http::string_body> parser;
  parser.eager(true);
  parser.body_limit(16 * 1024 * 1024);
  bool received_any = !buffer_.empty();
  for (;;) {
    if (!buffer_.empty()) {
      boost::beast::error_code ec;
      std::size_t used = parser.put(boost::asio::buffer(buffer_.data(), buffer_.size()), ec);
      buffer_.erase(0, used);
      if (parser.is_done()) break;
      if (ec && ec != http::error::need_more) {
        throw HttpClientError(fmt::format("malformed response: {}", ec.message()));
      }
      if (!ec && used > 0) continue;
    }
    if (peer_closed_) {
      // A body delimited by the close is complete now; anything else was cut short.
      boost::beast::error_code ec;
      if (parser.is_header_done()) parser.put_eof(ec);
      if (parser.is_done() && !ec) break;
      const char* how = reset_ ? "reset" : "closed";
      throw HttpClientError(received_any
                                ? fmt::format("connection {} in the middle of a response", how)
                                : fmt::format("connection {} without a response", how));
    }
    try {
      received_any = receive_some(deadline) > 0 || received_any;
    } catch (const HttpClientError& e) {
      throw HttpClientError(fmt::format("{} ({} ms)", e.what(), timeout.count()));
    }
  }
  const auto& message = parser.get();
  HttpResponse response;
  response.version = message.version();
  response.status = static_cast<int>(message.result_int());
  response.reason = std::string(message.reason());
  for (const auto& field : message) {
    response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  response.body = message.body();
  return response;
}

PeerClose HttpConnection::wait_for_close(std::chrono::milliseconds timeout) {
  const auto start = Clock::now();
  const auto deadline = start + timeout;
  PeerClose result;
  result.data = std::exchange(buffer_, {});
  auto elapsed = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  };
  while (!peer_closed_) {
    try {
      receive_some(deadline);
    } catch (const HttpClientError&) {
      result.outcome = PeerClose::Outcome::still_open;
      result.after = elapsed();
      result.data += std::exchange(buffer_, {});
      return result;
    }
    result.data += std::exchange(buffer_, {});
  }
  result.outcome = reset_ ? PeerClose::Outcome::reset : PeerClose::Outcome::closed;
  result.after = elapsed();
  return result;
}

HttpResponse http_exchange(const std::string& host, std::uint16_t port, std::string_view request,
                           std::chrono::milliseconds timeout) {
  auto connection = HttpConnection::connect(host, port, timeout);
  connection.send(request, timeout);
  return connection.read_response(timeout);
}

std::string http_get(std::string_view target, std::string_view host,
                     std::string_view extra_headers) {
  return fmt::format("GET {} HTTP/1.1\r\nHost: {}\r\n{}\r\n", target, host, extra_headers);
}

}  // namespace hellobench
