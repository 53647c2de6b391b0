// Test helper: a tiny HTTP/1.1 keep-alive server that counts the requests it answers, for the
// load generator tests. Listens on 127.0.0.1 (port 0 = any free one), prints
// "listening on 127.0.0.1:PORT", and on SIGTERM or SIGINT prints "requests N" and exits 0.
// It stops by itself after MAX_SECONDS (default 60) so it never outlives a broken test.
//   GET /            200 "Hello, World!"
//   GET /status/NNN  status NNN, short body
//   GET /slow?ms=N   200 after N ms (a request that outlives the generator's timeout)
//   GET /close       closes the connection without an answer (a read error for the client)
//   gen_http_server [PORT] [MAX_SECONDS]
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

namespace {

std::atomic<std::uint64_t> answered{0};

asio::awaitable<void> serve(tcp::socket socket) {
  beast::flat_buffer buffer;
  beast::error_code ec;
  for (;;) {
    http::request<http::string_body> request;
    co_await http::async_read(socket, buffer, request,
                              asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;  // the client closed, or sent garbage: either way this connection is done
    http::response<http::string_body> response{http::status::ok, request.version()};
    response.set(http::field::server, "hellobench-test");
    response.set(http::field::content_type, "text/plain");
    const std::string target(request.target());
    if (target == "/close") co_return;  // the socket closes as it goes out of scope
    if (target.rfind("/status/", 0) == 0) {
      response.result(static_cast<unsigned>(std::atoi(target.c_str() + 8)));
      response.body() = "status\n";
    } else if (target.rfind("/slow?ms=", 0) == 0) {
      asio::steady_timer timer(socket.get_executor(),
                               std::chrono::milliseconds(std::atoi(target.c_str() + 9)));
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      response.body() = "Hello, World!";
    } else {
      response.body() = "Hello, World!";
    }
    response.keep_alive(request.keep_alive());
    response.prepare_payload();
    co_await http::async_write(socket, response, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    answered.fetch_add(1, std::memory_order_relaxed);
    if (!response.keep_alive()) co_return;
  }
}

asio::awaitable<void> accept_loop(tcp::acceptor& acceptor) {
  for (;;) {
    beast::error_code ec;
    tcp::socket socket =
        co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;  // closed at shutdown
    asio::co_spawn(acceptor.get_executor(), serve(std::move(socket)), asio::detached);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const auto port = static_cast<unsigned short>(argc > 1 ? std::atoi(argv[1]) : 0);
  const int max_seconds = argc > 2 ? std::atoi(argv[2]) : 60;
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  std::printf("listening on 127.0.0.1:%u\n", acceptor.local_endpoint().port());
  std::fflush(stdout);

  asio::signal_set signals(io, SIGTERM, SIGINT);
  asio::steady_timer lifetime(io, std::chrono::seconds(max_seconds));
  auto shut_down = [&](auto&&...) { io.stop(); };
  signals.async_wait(shut_down);
  lifetime.async_wait(shut_down);
  asio::co_spawn(io, accept_loop(acceptor), asio::detached);
  io.run();
  std::printf("requests %llu\n", static_cast<unsigned long long>(answered.load()));
  std::fflush(stdout);
  return 0;
}
