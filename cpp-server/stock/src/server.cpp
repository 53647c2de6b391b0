#include "cpp_stock/server.hpp"

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <iostream>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "cpp_server/orders.hpp"
#include "cpp_stock/handlers.hpp"

namespace cpp_stock {

namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;

// Every asynchronous operation completes with its error_code as a value (a tuple) instead of
// throwing: a client's close or a timeout is an ordinary outcome, not an exception.
using default_token = net::as_tuple_t<net::use_awaitable_t<>>;
using tcp_stream = default_token::as_default_on_t<beast::tcp_stream>;
using tcp_acceptor = default_token::as_default_on_t<tcp::acceptor>;

namespace {

// What every connection shares.
struct Shared {
  const Options& options;
  Services services;
  std::atomic<bool> stopping{false};
  std::atomic<int> requests_in_flight{0};  // from a complete header until its answer is written
};

class InFlight {
 public:
  explicit InFlight(std::atomic<int>& count) : count_(count) { ++count_; }
  ~InFlight() { --count_; }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;

 private:
  std::atomic<int>& count_;
};

// The parser's errors that mean "not HTTP" (400), as opposed to the peer closing or a timeout.
bool is_malformed(error_code ec) {
  return ec.category() == beast::http::make_error_code(http::error::bad_method).category() &&
         ec != http::error::end_of_stream && ec != http::error::partial_message;
}

// Sends an answer that ends the connection, then reads and drops whatever the client still
// sends, for at most `linger`, so that it reads the answer rather than a reset.
net::awaitable<void> answer_and_close(tcp_stream& stream, beast::flat_buffer& buffer,
                                      Response response, const Options& options) {
  stream.expires_after(options.idle_timeout);
  auto [write_ec, written] = co_await http::async_write(stream, response);
  if (write_ec) co_return;
  error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream.expires_after(options.linger);
  for (;;) {
    buffer.clear();
    auto [read_ec, read] = co_await stream.async_read_some(buffer.prepare(16 * 1024));
    if (read_ec) break;
  }
}

// One connection: read a request, answer it, and again while the connection is kept alive.
net::awaitable<void> do_session(tcp_stream stream, Shared& shared) {
  const Options& options = shared.options;
  beast::flat_buffer buffer;
  for (bool first = true;; first = false) {
    if (!first && buffer.size() == 0) {
      // Idle between requests: the next one's first byte may take up to the idle timeout.
      stream.expires_after(options.idle_timeout);
      auto [ec, read] = co_await stream.async_read_some(buffer.prepare(8 * 1024));
      if (ec) break;
      buffer.commit(read);
    }

    http::request_parser<http::string_body> parser;
    parser.header_limit(options.header_limit_bytes);
    parser.body_limit(options.body_limit_bytes);
    stream.expires_after(options.header_timeout);  // the whole header, however it trickles in
    auto [header_ec, header_bytes] = co_await http::async_read_header(stream, buffer, parser);
    if (header_ec == http::error::header_limit) {
      co_await answer_and_close(stream, buffer,
                                error_response(http::status::request_header_fields_too_large,
                                               "Request Header Fields Too Large"),
                                options);
      co_return;
    }
    if (is_malformed(header_ec)) {
      co_await answer_and_close(stream, buffer,
                                error_response(http::status::bad_request, "Bad Request"), options);
      co_return;
    }
    if (header_ec) break;  // closed by the client, or the header timeout

    InFlight in_flight(shared.requests_in_flight);
    stream.expires_after(options.idle_timeout);
    auto [body_ec, body_bytes] = co_await http::async_read(stream, buffer, parser);
    if (body_ec == http::error::body_limit) {
      const auto target = parser.get().target();
      const bool order = parser.get().method() == http::verb::post &&
                         request_path({target.data(), target.size()}) == "/orders";
      co_await answer_and_close(
          stream, buffer,
          error_response(http::status::payload_too_large,
                         order ? cpp_server::body_too_large_text : "Payload Too Large"),
          options);
      co_return;
    }
    if (is_malformed(body_ec)) {
      co_await answer_and_close(stream, buffer,
                                error_response(http::status::bad_request, "Bad Request"), options);
      co_return;
    }
    if (body_ec) break;

    Response response = co_await handle_request(parser.release(), shared.services);
    if (shared.stopping) response.keep_alive(false);
    stream.expires_after(options.idle_timeout);
    auto [write_ec, written] = co_await http::async_write(stream, response);
    if (write_ec || !response.keep_alive()) break;
  }
  error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
}

void report_exception(std::exception_ptr exception) {
  if (!exception) return;
  try {
    std::rethrow_exception(exception);
  } catch (const std::exception& error) {
    std::cerr << "cpp-stock-server: " << error.what() << '\n';
  }
}

}  // namespace

struct Server::Impl {
  explicit Impl(Options server_options)
      : options(std::move(server_options)),
        store(cpp_server::build_store(options.live_mb)),
        shared{options, Services{store, nullptr}},
        context(static_cast<int>(options.threads)),
        listen_strand(net::make_strand(context)),
        acceptor(listen_strand) {
    if (!options.db_conninfo.empty()) {
      cpp_server::pg::PoolOptions pool_options;
      pool_options.conninfo = cpp_server::pg::pin_host_addresses(options.db_conninfo);
      pool_options.connections = options.db_pool > 0 ? options.db_pool : 2 * options.threads;
      pool_options.statements = database_statements();
      // The pool's handlers must run one at a time: a strand of the shared io_context.
      pool = std::make_unique<cpp_server::pg::Pool>(net::make_strand(context), pool_options);
      shared.services.pool = pool.get();
    }
    const tcp::endpoint endpoint(options.bind_address, options.port);
    acceptor.open(endpoint.protocol());
    acceptor.set_option(net::socket_base::reuse_address(true));
    acceptor.bind(endpoint);
    acceptor.listen(net::socket_base::max_listen_connections);
  }

  // Accepts connections and starts a session for each, until the acceptor closes.
  net::awaitable<void> do_listen() {
    net::steady_timer retry(listen_strand);
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(context);
      if (!acceptor.is_open()) co_return;
      if (ec) {
        // Out of descriptors or memory: wait a little rather than spin on the error.
        retry.expires_after(std::chrono::milliseconds(50));
        co_await retry.async_wait(default_token{});
        continue;
      }
      net::co_spawn(context, do_session(tcp_stream(std::move(socket)), shared), report_exception);
    }
  }

  // Runs on the acceptor's strand: stop accepting, wait for requests in flight (at most the
  // grace period), then close the pool and stop the io_context, which ends every connection.
  net::awaitable<void> do_shutdown() {
    shared.stopping = true;
    error_code ec;
    acceptor.close(ec);
    const auto deadline = std::chrono::steady_clock::now() + options.shutdown_grace;
    net::steady_timer timer(listen_strand);
    while (shared.requests_in_flight > 0 && std::chrono::steady_clock::now() < deadline) {
      timer.expires_after(std::chrono::milliseconds(5));
      co_await timer.async_wait(default_token{});
    }
    if (pool) pool->close();
    context.stop();
  }

  Options options;
  cpp_server::Store store;  // never written after it is built: read by every thread
  Shared shared;            // outlives the context, whose pending coroutines refer to it
  net::io_context context;
  std::unique_ptr<cpp_server::pg::Pool> pool;  // destroyed before the context
  net::strand<net::io_context::executor_type> listen_strand;
  tcp_acceptor acceptor;
  std::vector<std::thread> threads;
  std::once_flag stop_once;
};

Server::Server(Options options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Server::~Server() {
  stop();
  wait();
}

tcp::endpoint Server::local_endpoint() const { return impl_->acceptor.local_endpoint(); }

const cpp_server::Store& Server::store() const { return impl_->store; }

void Server::start() {
  Impl& impl = *impl_;
  if (!impl.threads.empty()) return;
  if (impl.pool) impl.pool->start();
  net::co_spawn(impl.listen_strand, impl.do_listen(), report_exception);
  for (unsigned i = 0; i < impl.options.threads; ++i) {
    impl.threads.emplace_back([&impl] { impl.context.run(); });
  }
  if (impl.pool) {
    try {
      impl.pool->async_wait_ready(impl.options.db_startup_timeout, net::use_future).get();
    } catch (const boost::system::system_error&) {
      throw std::runtime_error("database " +
                               cpp_server::pg::describe_conninfo(impl.options.db_conninfo) +
                               " did not answer SELECT 1 within " +
                               std::to_string(impl.options.db_startup_timeout.count() / 1000) +
                               " s: " + impl.pool->last_error());
    }
  }
}

void Server::stop() {
  Impl& impl = *impl_;
  std::call_once(impl.stop_once, [&impl] {
    net::co_spawn(impl.listen_strand, impl.do_shutdown(), report_exception);
  });
}

void Server::wait() {
  for (auto& thread : impl_->threads) {
    if (thread.joinable()) thread.join();
  }
}

}  // namespace cpp_stock
