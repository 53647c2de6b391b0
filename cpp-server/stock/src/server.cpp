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
#include <optional>
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

// The answer to a request that could not be read, which then ends the connection; nullopt when
// there is nobody to answer (the client closed, or a timeout cut the connection).
std::optional<Response> unreadable_request_answer(
    error_code ec, const http::request_parser<http::string_body>& parser) {
  if (ec == http::error::header_limit) {
    return error_response(http::status::request_header_fields_too_large,
                          "Request Header Fields Too Large");
  }
  if (ec == http::error::body_limit) {  // declared in Content-Length, or found in chunks
    const auto target = parser.get().target();
    const bool order = parser.get().method() == http::verb::post &&
                       request_path({target.data(), target.size()}) == "/orders";
    return error_response(http::status::payload_too_large,
                          order ? cpp_server::body_too_large_text : "Payload Too Large");
  }
  // Beast's other parse errors mean "not HTTP"; end_of_stream and partial_message, a close.
  if (ec.category() == http::make_error_code(http::error::bad_method).category() &&
      ec != http::error::end_of_stream && ec != http::error::partial_message) {
    return error_response(http::status::bad_request, "Bad Request");
  }
  return std::nullopt;
}

// Sends an answer that ends the connection, then reads and drops whatever the client still
// sends, for at most `linger`, so that it reads the answer rather than a reset.
net::awaitable<void> answer_and_close(tcp_stream& stream, beast::flat_buffer& buffer,
                                      Response response, const Options& options) {
  stream.expires_after(options.write_timeout);
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
    // Beast holds the request line and the fields to the limit each, not together.
    if (!header_ec && header_bytes > options.header_limit_bytes)
      header_ec = http::error::header_limit;
    // RFC 9112 3.2: an HTTP/1.1 request without Host, or any request with more than one, is 400.
    if (!header_ec) {
      const auto hosts = parser.get().count(http::field::host);
      if (hosts > 1 || (hosts == 0 && parser.get().version() == 11)) header_ec = http::error::bad_value;
    }
    if (header_ec) {
      if (auto answer = unreadable_request_answer(header_ec, parser)) {
        co_await answer_and_close(stream, buffer, std::move(*answer), options);
      }
      break;
    }

    InFlight in_flight(shared.requests_in_flight);
    stream.expires_after(options.body_timeout);  // the whole body, however it trickles in
    auto [body_ec, body_bytes] = co_await http::async_read(stream, buffer, parser);
    if (body_ec) {
      if (auto answer = unreadable_request_answer(body_ec, parser)) {
        co_await answer_and_close(stream, buffer, std::move(*answer), options);
      }
      break;
    }

    Response response = co_await handle_request(parser.release(), shared.services);
    if (shared.stopping) response.keep_alive(false);
    stream.expires_after(options.write_timeout);  // a client that does not read is dropped
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

// The event loop and everything that lives in it. Destroyed once the threads have returned,
// which ends the coroutines still waiting in it and closes their connections.
struct Runtime {
  Runtime(const Options& options, Shared& shared)
      : context(static_cast<int>(options.threads)),
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

  net::io_context context;
  net::strand<net::io_context::executor_type> listen_strand;  // the acceptor's
  tcp_acceptor acceptor;
  std::unique_ptr<cpp_server::pg::Pool> pool;  // with --db; destroyed before the context
};

struct Server::Impl {
  explicit Impl(Options server_options)
      : options(std::move(server_options)),
        store(cpp_server::build_store(options.live_mb)),
        shared{options, Services{store, nullptr}},
        runtime(std::make_unique<Runtime>(options, shared)),
        endpoint(runtime->acceptor.local_endpoint()) {}

  // Accepts connections and starts a session for each, until the acceptor closes.
  net::awaitable<void> do_listen() {
    Runtime& rt = *runtime;
    net::steady_timer retry(rt.listen_strand);
    for (;;) {
      auto [ec, socket] = co_await rt.acceptor.async_accept(rt.context);
      if (!rt.acceptor.is_open()) co_return;
      if (ec) {
        // Out of descriptors or memory: wait a little rather than spin on the error.
        retry.expires_after(std::chrono::milliseconds(50));
        co_await retry.async_wait(default_token{});
        continue;
      }
      net::co_spawn(rt.context, do_session(tcp_stream(std::move(socket)), shared),
                    report_exception);
    }
  }

  // On the acceptor's strand: stop accepting, wait for the requests in flight (at most the
  // grace period), then close the pool and stop the io_context.
  net::awaitable<void> do_shutdown() {
    Runtime& rt = *runtime;
    shared.stopping = true;
    error_code ec;
    rt.acceptor.close(ec);
    const auto deadline = std::chrono::steady_clock::now() + options.shutdown_grace;
    net::steady_timer timer(rt.listen_strand);
    while (shared.requests_in_flight > 0 && std::chrono::steady_clock::now() < deadline) {
      timer.expires_after(std::chrono::milliseconds(5));
      co_await timer.async_wait(default_token{});
    }
    if (rt.pool) rt.pool->close();
    rt.context.stop();
  }

  Options options;
  cpp_server::Store store;  // never written after it is built: read by every thread
  Shared shared;            // outlives the runtime, whose coroutines refer to it
  std::unique_ptr<Runtime> runtime;
  tcp::endpoint endpoint;
  std::vector<std::thread> threads;
  std::once_flag stop_once;
};

Server::Server(Options options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Server::~Server() {
  stop();
  wait();
  if (impl_->runtime && impl_->runtime->pool) impl_->runtime->pool.reset();
  impl_->runtime.reset();
}

tcp::endpoint Server::local_endpoint() const { return impl_->endpoint; }

const cpp_server::Store& Server::store() const { return impl_->store; }

void Server::start() {
  Impl& impl = *impl_;
  if (!impl.threads.empty() || !impl.runtime) return;
  Runtime& rt = *impl.runtime;
  if (rt.pool) rt.pool->start();
  net::co_spawn(rt.listen_strand, impl.do_listen(), report_exception);
  for (unsigned i = 0; i < impl.options.threads; ++i) {
    impl.threads.emplace_back([&rt] { rt.context.run(); });
  }
  if (rt.pool) {
    try {
      rt.pool->async_wait_ready(impl.options.db_startup_timeout, net::use_future).get();
    } catch (const boost::system::system_error&) {
      throw std::runtime_error("database " +
                               cpp_server::pg::describe_conninfo(impl.options.db_conninfo) +
                               " did not answer SELECT 1 within " +
                               std::to_string(impl.options.db_startup_timeout.count() / 1000) +
                               " s: " + rt.pool->last_error());
    }
  }
}

void Server::stop() {
  Impl& impl = *impl_;
  if (!impl.runtime) return;
  std::call_once(impl.stop_once, [&impl] {
    net::co_spawn(impl.runtime->listen_strand, impl.do_shutdown(), report_exception);
  });
}

void Server::wait() {
  Impl& impl = *impl_;
  if (impl.threads.empty()) return;
  for (auto& thread : impl.threads) thread.join();
  impl.threads.clear();
  // The threads have returned: end the coroutines still waiting (their connections close).
  if (impl.runtime->pool) impl.runtime->pool.reset();
  impl.runtime.reset();
}

}  // namespace cpp_stock
