// The HTTP server: listens on construction, serves on start(), drains on stop().
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <string>

#include "cpp_server/options.hpp"
#include "cpp_server/store.hpp"

namespace cpp_server {

class Server {
 public:
  // Builds the store of options.live_mb (and with options.db_conninfo the database pools, not yet
  // connected), then binds and listens; throws boost::system::system_error when the address
  // cannot be used.
  explicit Server(ServerOptions options);
  ~Server();  // stop() and wait()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The bound address, with the actual port when options.port was 0.
  boost::asio::ip::tcp::endpoint local_endpoint() const;

  // The --live-mb records GET /users/{id} and POST /orders answer from.
  const Store& store() const;

  // Starts options.threads worker threads and returns. With options.db_conninfo it also opens
  // the database pools, and returns only once each pool has a connection that has answered
  // SELECT 1 (or, after options.db_startup_timeout, at least one has); when none has by then
  // it throws std::runtime_error, whose what() is one line naming the database.
  void start();

  // Stops accepting, closes idle connections, lets requests in flight finish (answered with
  // Connection: close) for up to options.shutdown_grace, then cuts what is left. Thread-safe,
  // idempotent, returns at once.
  void stop();

  // Blocks until every worker thread has finished (after stop()).
  void wait();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// "127.0.0.1:8080" or "[::1]:8080".
std::string format_endpoint(const boost::asio::ip::tcp::endpoint& endpoint);

}  // namespace cpp_server
