// The stock server: one io_context run by N threads, as Beast's awaitable example runs it; a
// coroutine accepting connections and one coroutine per connection (a keep-alive loop: read a
// request with Beast's parser, answer it, repeat).
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <memory>

#include "cpp_server/store.hpp"
#include "cpp_stock/options.hpp"

namespace cpp_stock {

class Server {
 public:
  // Builds the store, makes the database pool (with --db) and binds the port; throws
  // std::system_error when the port cannot be bound.
  explicit Server(Options options);
  ~Server();  // stop(), then wait()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  boost::asio::ip::tcp::endpoint local_endpoint() const;
  const cpp_server::Store& store() const;

  // Starts the threads. With --db, returns once a pooled connection has answered SELECT 1, and
  // throws std::runtime_error (naming the database) when none has within the startup timeout.
  void start();
  // Stops accepting at once; requests in flight get the grace period to finish (answered with
  // Connection: close), then every connection is cut and the threads return. Any thread.
  void stop();
  // Joins the threads, then ends every connection still open.
  void wait();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cpp_stock
