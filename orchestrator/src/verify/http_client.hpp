// A small blocking HTTP/1.1 client over a raw socket, for checks rather than load: it sends
// whatever bytes it is given (malformed ones too), reads one response at a time (so pipelined
// answers come out in order), and tells a peer's close from a reset and from silence. Every
// operation has a timeout. Responses are parsed by Boost.Beast's parser.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hellobench {

// Connect, send, receive or parse failed; what() says which and why.
struct HttpClientError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct HttpResponse {
  unsigned version = 11;  // 10 or 11
  int status = 0;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> headers;  // as received, in order
  std::string body;

  // Values of every header with this name (case-insensitive), in order.
  std::vector<std::string> header_values(std::string_view name) const;
  // The first value, if any.
  std::optional<std::string> header(std::string_view name) const;
  // Lower-case header names, sorted, duplicates kept.
  std::vector<std::string> header_names() const;
};

// How waiting for the peer to close ended.
struct PeerClose {
  enum class Outcome { closed, reset, still_open };
  Outcome outcome = Outcome::still_open;
  std::chrono::milliseconds after{0};  // from the start of the wait to the close or reset
  std::string data;                    // bytes that arrived meanwhile (e.g. a 408 answer)
};

class HttpConnection {
 public:
  // host: a numeric address or a name (getaddrinfo). Throws HttpClientError.
  static HttpConnection connect(const std::string& host, std::uint16_t port,
                                std::chrono::milliseconds timeout);

  HttpConnection(HttpConnection&& other) noexcept;
  HttpConnection& operator=(HttpConnection&& other) noexcept;
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;
  ~HttpConnection();

  // Sends all of bytes or throws (timeout, reset).
  void send(std::string_view bytes, std::chrono::milliseconds timeout);

  // Reads the next response (bytes after it stay buffered for the next call). Throws
  // HttpClientError on timeout, on a close or reset before the response is complete, and on a
  // response that does not parse.
  HttpResponse read_response(std::chrono::milliseconds timeout);

  // Waits up to timeout for the peer to close the connection (an orderly close or a reset),
  // collecting any bytes that arrive meanwhile.
  PeerClose wait_for_close(std::chrono::milliseconds timeout);

  // Bytes received but not yet consumed by read_response.
  const std::string& buffered() const { return buffer_; }
  // The peer closed its side (seen while reading).
  bool peer_closed() const { return peer_closed_; }

  int native_handle() const { return fd_; }

 private:
  explicit HttpConnection(int fd) : fd_(fd) {}
  // Receives once into buffer_; returns bytes read, 0 at the peer's close. Throws on timeout
  // (when deadline passes) and on errors other than a reset (reset: returns 0, sets reset_).
  std::size_t receive_some(std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  std::string buffer_;
  bool peer_closed_ = false;
  bool reset_ = false;
};

// One request on a fresh connection: connect, send request, read one response.
HttpResponse http_exchange(const std::string& host, std::uint16_t port, std::string_view request,
                           std::chrono::milliseconds timeout);

// "GET target HTTP/1.1" with a Host header, extra header lines (each ending in \r\n) and no body.
std::string http_get(std::string_view target, std::string_view host,
                     std::string_view extra_headers = {});

}  // namespace hellobench
