// The request path allocates nothing: a connection's buffers, parser and output are reused,
// and JSON is built on the stack. That holds for the hello routes and GET /users/{id};
// POST /orders allocates its Order structs (see README.md). Counted with a replaced global operator
// new, over requests whose client side allocates nothing either (a raw socket and fixed buffers).
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <cstdlib>
#include <functional>
#include <new>
#include <string>
#include <thread>

#include "cpp_server/routes.hpp"
#include "cpp_server/server.hpp"
#include "cpp_server/service_routes.hpp"

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

// Allocations seen while `requests` copies of `request` are answered on one connection, with
// the store of `live_mb`. `expected_answer` gives the answer's length (the Date is fixed-width).
long allocations_for_request(const std::string& request,
                             const std::function<std::string(const Store&)>& expected_answer,
                             int requests, unsigned live_mb) {
  ServerOptions options;
  options.port = 0;
  options.threads = 1;
  options.live_mb = live_mb;  // the store is built before counting starts
  // A short header timeout makes the timeout sweep run every 10 ms, so that the window below
  // also covers sweeps; the idle timeout keeps its default, so the connection stays.
  options.header_timeout = std::chrono::milliseconds(80);
  Server server(options);
  server.start();
  std::string answer(expected_answer(server.store()).size(), '\0');

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
    asio::read(socket, asio::buffer(answer));
  }
  const long during = allocations.load() - before;
  socket.close();
  server.stop();
  server.wait();
  return during;
}

long allocations_for(const std::string& target, int requests, unsigned live_mb = 0) {
  const Route routed = route(boost::beast::http::verb::get, target);
  return allocations_for_request(
      "GET " + target + " HTTP/1.1\r\nHost: test\r\n\r\n",
      [&routed](const Store& store) {
        std::string expected;
        if (routed.endpoint == Endpoint::user_record) {
          append_user_record_response(expected, {}, store, routed.user_id);
        } else {
          append_response(expected, routed.endpoint, {});
        }
        return expected;
      },
      requests, live_mb);
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

TEST(CppServerAllocations, UserRecordAllocatesNothingPerRequest) {
  // The service route too: the record's JSON tree is built on the stack.
  EXPECT_EQ(allocations_for("/users/1023", 2000, 1), 0);
}

TEST(CppServerAllocations, OrderAllocatesOnlyItsOrderStructs) {
  // Ten items whose skus fit std::string's small buffer, and a 17-byte note that does not: the
  // item vector and the note are the two allocations. The body buffer, the parser's stack and
  // the JSON tree's arena are reused.
  const std::string body =
      R"({"customer_id":7,"items":[)"
      R"({"sku":"SKU-00000","qty":1,"price_cents":199},{"sku":"SKU-00001","qty":2,"price_cents":336},)"
      R"({"sku":"SKU-00002","qty":3,"price_cents":473},{"sku":"SKU-00003","qty":4,"price_cents":610},)"
      R"({"sku":"SKU-00004","qty":5,"price_cents":747},{"sku":"SKU-00005","qty":1,"price_cents":884},)"
      R"({"sku":"SKU-00006","qty":2,"price_cents":1021},{"sku":"SKU-00007","qty":3,"price_cents":1158},)"
      R"({"sku":"SKU-00008","qty":4,"price_cents":1295},{"sku":"SKU-00009","qty":5,"price_cents":1432}],)"
      R"("note":"leave at the door"})";
  const std::string request =
      "POST /orders HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
      "Content-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body;
  const long allocated = allocations_for_request(
      request,
      [&body](const Store& store) {
        std::string expected;
        append_order_response(expected, {}, store, OrderRequest{"application/json", body, false});
        return expected;
      },
      1000, 1);
  EXPECT_EQ(allocated, 2 * 1000);
}

TEST(CppServerAllocations, IoWaitAllocatesNothingPerRequest) {
  EXPECT_EQ(allocations_for("/io?ms=0", 500), 0);
}

}  // namespace
}  // namespace cpp_server
