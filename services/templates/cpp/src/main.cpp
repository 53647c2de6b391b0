// hellosvc's HTTP server: Boost.Beast, one thread per connection, the router behind it.
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <thread>

#include "hellosvc/service.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

void serve_connection(tcp::socket socket, const hellosvc::Router& router) {
  beast::flat_buffer buffer;
  beast::error_code ec;
  for (;;) {
    http::request<http::string_body> request;
    http::read(socket, buffer, request, ec);
    if (ec) break;
    const hellosvc::Response answer = router.handle(
        {std::string(request.method_string()), std::string(request.target()), request.body()});
    http::response<http::string_body> response{static_cast<http::status>(answer.status),
                                               request.version()};
    response.set(http::field::server, "hellosvc");
    response.set(http::field::content_type, answer.content_type);
    response.keep_alive(request.keep_alive());
    response.body() = answer.body;
    response.prepare_payload();
    http::write(socket, response, ec);
    if (ec || !response.keep_alive()) break;
  }
  socket.shutdown(tcp::socket::shutdown_send, ec);
}

}  // namespace

int main(int argc, char** argv) {
  std::string bind = "127.0.0.1", db;
  unsigned short port = 8080;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--port") {
      port = static_cast<unsigned short>(std::stoi(value));
    } else if (flag == "--bind") {
      bind = value;
    } else if (flag == "--db") {
      db = value;
    } else if (flag != "--threads") {  // one thread per connection: --threads is accepted
      std::fprintf(stderr, "hellosvc: unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  try {
    std::unique_ptr<hellosvc::Store> store;
    if (db.empty()) {
      store = std::make_unique<hellosvc::MemoryStore>();
    } else {
      store = std::make_unique<hellosvc::PostgresStore>(db);
    }
    hellosvc::Router router;
    hellosvc::register_all(router, *store);
    asio::io_context io;
    tcp::acceptor acceptor(io, {asio::ip::make_address(bind), port});
    std::cout << "listening on " << acceptor.local_endpoint() << std::endl;
    for (;;) {
      tcp::socket socket = acceptor.accept();
      std::thread(serve_connection, std::move(socket), std::cref(router)).detach();
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hellosvc: %s\n", e.what());
    return 1;
  }
}
