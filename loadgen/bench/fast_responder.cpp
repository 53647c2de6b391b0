// A minimal fast HTTP/1.1 responder for comparing load generators when no hellobench server
// is built: one thread, one read and one write per batch of requests, a fixed 13-byte answer.
// Usage: loadgen-fast-responder [PORT] (0 or none: a free port); prints "listening on ADDR:PORT".
#include <boost/asio.hpp>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

constexpr std::string_view kAnswer =
    "HTTP/1.1 200 OK\r\nServer: hellobench\r\nContent-Type: text/plain; charset=utf-8\r\n"
    "Content-Length: 13\r\n\r\nHello, World!";

class Session : public std::enable_shared_from_this<Session> {
 public:
  explicit Session(tcp::socket socket) : socket_(std::move(socket)) {}
  void start() { read(); }

 private:
  void read() {
    socket_.async_read_some(asio::buffer(in_), [self = shared_from_this()](auto ec, std::size_t n) {
      if (!ec) self->on_read(n);
    });
  }
  void on_read(std::size_t n) {
    // Counts request ends ("\r\n\r\n"), also across reads; answers them all in one write.
    std::size_t requests = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const char c = in_[i];
      match_ = (c == "\r\n\r\n"[match_]) ? match_ + 1 : (c == '\r' ? 1 : 0);
      if (match_ == 4) {
        ++requests;
        match_ = 0;
      }
    }
    if (requests == 0) return read();
    out_.clear();
    for (std::size_t i = 0; i < requests; ++i) out_.append(kAnswer);
    asio::async_write(socket_, asio::buffer(out_),
                      [self = shared_from_this()](auto ec, std::size_t) {
                        if (!ec) self->read();
                      });
  }

  tcp::socket socket_;
  char in_[16384];
  std::size_t match_ = 0;
  std::string out_;
};

void accept(tcp::acceptor& acceptor) {
  acceptor.async_accept([&acceptor](boost::system::error_code ec, tcp::socket socket) {
    if (!ec) {
      socket.set_option(tcp::no_delay(true));
      std::make_shared<Session>(std::move(socket))->start();
    }
    accept(acceptor);
  });
}

}  // namespace

int main(int argc, char** argv) {
  const unsigned short port = argc > 1 ? static_cast<unsigned short>(std::atoi(argv[1])) : 0;
  asio::io_context io(1);
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&io](auto, int) { io.stop(); });
  std::printf("listening on 127.0.0.1:%u\n", acceptor.local_endpoint().port());
  std::fflush(stdout);
  accept(acceptor);
  io.run();
  return 0;
}
