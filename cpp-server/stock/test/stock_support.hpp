// Test helpers for the stock server: short timeouts, and the server running in the test on a
// free port. The client and the child process come from cpp-server's own tests
// (../../test/test_client.hpp), so that both tiers are held to the contract by the same client.
#pragma once

#include <chrono>
#include <memory>

#include "cpp_stock/server.hpp"
#include "test_client.hpp"

namespace cpp_stock::testing {

using namespace std::chrono_literals;
using cpp_server::testing::ChildProcess;
using cpp_server::testing::Client;
using cpp_server::testing::kStalledAnswers;
using cpp_server::testing::pipeline_and_stall;
using cpp_server::testing::Response;
using Clock = std::chrono::steady_clock;

// Timeouts short enough to watch them in a fraction of a second; the real defaults are checked
// against the binary (stock_binary_test.cpp) and by `hellobench verify`.
inline Options quick_options() {
  Options options;
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

// A started Server on 127.0.0.1 and a free port; stopped and joined on destruction.
class RunningStock {
 public:
  explicit RunningStock(Options options = quick_options())
      : server_(std::make_unique<Server>(std::move(options))),
        endpoint_(server_->local_endpoint()) {
    server_->start();
  }
  boost::asio::ip::tcp::endpoint endpoint() const { return endpoint_; }
  Server& server() { return *server_; }

 private:
  std::unique_ptr<Server> server_;
  boost::asio::ip::tcp::endpoint endpoint_;
};

}  // namespace cpp_stock::testing
