// A stand-in for a built server in the build-timing tests: answers every GET with the bytes
// of the file `<its own path>.body` (what the fake "build" copied there), one request per
// connection. Prints `listening on 127.0.0.1:PORT` like the real servers; --port picks the
// port (0: any), other flags are accepted and ignored. SIGTERM ends it.
#include <boost/asio.hpp>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

namespace asio = boost::asio;
using asio::ip::tcp;

int main(int argc, char** argv) {
  unsigned short port = 0;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--port") == 0)
      port = static_cast<unsigned short>(std::stoi(argv[i + 1]));
  }
  const std::string body_file = std::string(argv[0]) + ".body";
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  std::cout << "listening on 127.0.0.1:" << acceptor.local_endpoint().port() << std::endl;
  while (true) {
    tcp::socket socket(io);
    acceptor.accept(socket);
    boost::system::error_code ec;
    asio::streambuf request;
    asio::read_until(socket, request, "\r\n\r\n", ec);
    if (ec) continue;
    std::ifstream in(body_file, std::ios::binary);
    std::stringstream body;
    body << in.rdbuf();
    const std::string text = body.str();
    const std::string response = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " +
                                 std::to_string(text.size()) + "\r\nConnection: close\r\n\r\n" +
                                 text;
    asio::write(socket, asio::buffer(response), ec);
    socket.shutdown(tcp::socket::shutdown_both, ec);
  }
}
