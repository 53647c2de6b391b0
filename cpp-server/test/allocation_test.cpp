// The request path allocates nothing: a connection's buffers, parser and output are reused,
// and JSON is built on the stack. Counted with a replaced global operator new, over requests
// whose client side allocates nothing either (a raw socket and fixed buffers).
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <cstdlib>
#include <new>
#include <string>
#include <thread>

#include "cpp_server/routes.hpp"
#include "cpp_server/server.hpp"

namespace {
std::atomic<long> allocations{0};
}  // namespace

void* operator new(std::size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* block = std::malloc(size == 0 ? 1 : size)) return block;
  throw std::bad_alloc();
}
void operator delete(void* block) noexcept { std::free(block); }
void operator delete(void* block, std::size_t) noexcept { std::free(block); }

namespace cpp_server {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// Allocations seen while `requests` requests for `target` are answered on one connection.
long allocations_for(const std::string& target, int requests) {
  ServerOptions options;
  options.port = 0;
  options.threads = 1;
  // A short header timeout makes the timeout sweep run every 10 ms, so that the window below
  // also covers sweeps; the idle timeout keeps its default, so the connection stays.
  options.header_timeout = std::chrono::milliseconds(80);
  Server server(options);
  server.start();

  std::string expected;
  append_response(expected, route(boost::beast::http::verb::get, target).endpoint, {});
  const std::string request = "GET " + target + " HTTP/1.1\r\nHost: test\r\n\r\n";
  std::string answer(expected.size(), '\0');

  asio::io_context context;
  tcp::socket socket(context);
  socket.connect(server.local_endpoint());
  // Warm-up: the connection's buffers, the per-thread caches and the sweep's list are set up
  // once (the sleep lets a few sweeps see the connection).
  for (int i = 0; i < 10; ++i) {
    asio::write(socket, asio::buffer(request));
    asio::read(socket, asio::buffer(answer));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const long before = allocations.load();
  for (int i = 0; i < requests; ++i) {
    asio::write(socket, asio::buffer(request));
    asio::read(socket, asio::buffer(answer));  // same length every time: the Date is fixed-width
  }
  const long during = allocations.load() - before;
  socket.close();
  server.stop();
  server.wait();
  return during;
}

TEST(CppServerAllocations, HelloAllocatesNothingPerRequest) {
  EXPECT_EQ(allocations_for("/", 2000), 0);
}

TEST(CppServerAllocations, JsonAllocatesNothingPerRequest) {
  EXPECT_EQ(allocations_for("/json", 2000), 0);
}

TEST(CppServerAllocations, UserAllocatesNothingPerRequest) {
  EXPECT_EQ(allocations_for("/user", 2000), 0);
}

TEST(CppServerAllocations, IoWaitAllocatesNothingPerRequest) {
  EXPECT_EQ(allocations_for("/io?ms=0", 500), 0);
}

}  // namespace
}  // namespace cpp_server
