#include "cpp_server/server.hpp"

#include <time.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>
#include <unordered_set>
#include <vector>

#include "cpp_server/db_routes.hpp"
#include "cpp_server/orders.hpp"
#include "cpp_server/pg_pool.hpp"
#include "cpp_server/request_parser.hpp"
#include "cpp_server/routes.hpp"
#include "cpp_server/service_routes.hpp"

namespace cpp_server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

// Timeouts are checked against CLOCK_MONOTONIC_COARSE: a few ns to read (the request path reads
// it once or twice per request) and a few ms of granularity, nothing next to 10 s and 60 s.
using Clock = std::chrono::steady_clock;
Clock::time_point coarse_now() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
  return Clock::time_point(std::chrono::seconds(now.tv_sec) +
                           std::chrono::nanoseconds(now.tv_nsec));
}
constexpr Clock::time_point kNoDeadline = Clock::time_point::max();

// Read size, and so the read buffer's usual capacity: a connection holds about 12 KiB (this and
// its 4 KiB of output). A header section up to the 8 KiB limit grows the buffer as needed.
constexpr std::size_t kReadSize = 8 * 1024;
// Pipelined responses are gathered into one write up to this size.
constexpr std::size_t kMaxBatchedOutput = 64 * 1024;

// The answer to a request that cannot be read to its end; the connection then closes.
void append_parse_error_response(std::string& out, const error_code& ec, http::verb method,
                                 std::string_view target) {
  if (ec == http::error::header_limit) {
    return append_error_response(out, http::status::request_header_fields_too_large);
  }
  if (ec != http::error::body_limit) return append_error_response(out, http::status::bad_request);
  // A body over the 1 MiB read limit. POST /orders says so with its own 413 text.
  if (route(method, target).endpoint == Endpoint::orders) {
    return append_text_response(out, Framing{11, false}, http::status::payload_too_large,
                                body_too_large_text);
  }
  append_error_response(out, http::status::payload_too_large);
}

// The database behind /db/...: --db-pool connections split into one pool per worker (in the
// context_per_thread model; fewer pools when there are fewer connections than workers, each
// then serving several workers), or one pool on a strand (shared_context model). The pools
// close once every worker has drained, or when the shutdown grace period ends: a query still
// running holds its HTTP connection open until its pool lets go of it.
class Database {
  static std::string seconds_or_ms(std::chrono::milliseconds time) {
    return time.count() % 1000 == 0 ? std::to_string(time.count() / 1000) + " s"
                                    : std::to_string(time.count()) + " ms";
  }

 public:
  Database(const ServerOptions& options, const std::vector<asio::any_io_executor>& executors)
      : conninfo_(options.db_conninfo), worker_count_(executors.size()) {
    const unsigned total = options.db_pool > 0 ? options.db_pool : 2 * options.threads;
    const unsigned pools = std::min<unsigned>(
        total, static_cast<unsigned>(std::max<std::size_t>(1, executors.size())));
    pg::PoolOptions pool_options;
    // Resolved here, on the main thread: libpq would resolve a host name, blocking, on every
    // reconnect.
    pool_options.conninfo = pg::pin_host_addresses(options.db_conninfo);
    pool_options.statements = database_statements();
    pool_options.acquire_timeout = options.db_acquire_timeout;
    for (unsigned i = 0; i < pools; ++i) {
      pool_options.connections = total / pools + (i < total % pools ? 1 : 0);
      pools_.push_back(std::make_unique<pg::Pool>(executors[i], pool_options));
    }
  }

  pg::Pool& pool_for(std::size_t worker_index) { return *pools_[worker_index % pools_.size()]; }

  void start() {
    for (auto& pool : pools_) pool->start();
  }

  // Blocks until every pool has a connection that has answered SELECT 1 (each worker's queries
  // go to one pool: the server is ready only when all can be answered), or, at `timeout`, at
  // least one has. Throws std::runtime_error (one line naming the database) when none has.
  void wait_ready(std::chrono::milliseconds timeout) {
    struct Outcome {
      std::mutex mutex;
      std::condition_variable changed;
      std::size_t ready = 0;
      std::size_t failed = 0;
    };
    auto outcome = std::make_shared<Outcome>();
    for (auto& pool : pools_) {
      pool->async_wait_ready(timeout, [outcome](error_code ec) {
        std::lock_guard lock(outcome->mutex);
        ++(ec ? outcome->failed : outcome->ready);
        outcome->changed.notify_all();
      });
    }
    std::unique_lock lock(outcome->mutex);
    outcome->changed.wait(lock, [&] { return outcome->ready + outcome->failed == pools_.size(); });
    if (outcome->ready > 0) return;
    std::string reason;
    for (auto& pool : pools_) {
      if (reason.empty()) reason = pool->last_error();
    }
    throw std::runtime_error("database " + pg::describe_conninfo(conninfo_) +
                             " did not answer SELECT 1 within " + seconds_or_ms(timeout) +
                             (reason.empty() ? std::string{} : ": " + reason));
  }

  // Once per worker, when its last connection has gone after stop().
  void worker_drained() {
    if (++drained_workers_ == worker_count_) close();
  }

  void close() {
    for (auto& pool : pools_) pool->close();
  }

 private:
  std::string conninfo_;
  std::size_t worker_count_;
  std::atomic<std::size_t> drained_workers_{0};
  std::vector<std::unique_ptr<pg::Pool>> pools_;
};

class Connection;

// An event loop with its connections. In the context_per_thread model each worker has one
// thread; in the shared_context model a single worker has them all.
class Worker {
  // Declared first, so that they outlive `context` and the connections its handlers may hold.
  std::mutex mutex_;  // guards connections_, stopping_, tearing_down_ and the two timers
  std::unordered_set<Connection*> connections_;
  bool stopping_ = false;
  bool tearing_down_ = false;

 public:
  Worker(const ServerOptions& options, const Store& store, int concurrency_hint)
      : options(options),
        store(store),
        context(concurrency_hint),
        sweep_timer_(context),
        grace_timer_(context),
        // Often enough that a timeout fires at most 1/8 of it, and at most 250 ms, late; a
        // sweep is a pass over the worker's connections, cheap at 4 per second.
        sweep_interval_(std::clamp(std::min({options.header_timeout, options.idle_timeout,
                                              options.body_timeout, options.write_timeout}) / 8,
                                   std::chrono::milliseconds(5), std::chrono::milliseconds(250))) {}

  // Connections still held by handlers that never ran (a server destroyed without draining)
  // unregister while the context destroys those handlers, after the timers are gone.
  ~Worker() {
    std::lock_guard lock(mutex_);
    tearing_down_ = true;
  }

  const ServerOptions& options;
  const Store& store;  // read-only once built: shared by all workers without a lock
  asio::io_context context;
  // With --db: the database and the pool this worker's queries go to; set before start().
  Database* database = nullptr;
  pg::Pool* db_pool = nullptr;

  // Registers a connection; false once shutdown has begun (the caller then closes it).
  bool add(Connection* connection) {
    std::lock_guard lock(mutex_);
    if (stopping_) return false;
    connections_.insert(connection);
    return true;
  }
  void remove(Connection* connection) {
    std::lock_guard lock(mutex_);
    connections_.erase(connection);
    if (stopping_ && connections_.empty() && !tearing_down_) {
      sweep_timer_.cancel();
      grace_timer_.cancel();
      report_drained();
    }
  }

  void start_sweeping() {
    std::lock_guard lock(mutex_);
    arm_sweep();
  }

  // Closes idle connections, marks busy ones to close after their response, and cuts whatever
  // is still open after the grace period.
  void begin_shutdown();

 private:
  // Called with mutex_ held, once stopping and without connections.
  void report_drained() {
    if (drained_reported_ || database == nullptr) return;
    drained_reported_ = true;
    database->worker_drained();
  }

  void arm_sweep() {
    sweep_timer_.expires_after(sweep_interval_);
    sweep_timer_.async_wait([this](error_code ec) {
      if (!ec) sweep();
    });
  }
  // Checks every connection's deadline (header, body, idle, write, linger). One timer per worker
  // instead of one per connection keeps timer-queue work off the request path.
  void sweep();
  // Fills `live` with the live connections, each kept alive by a shared_ptr for the visit.
  void snapshot(std::vector<std::shared_ptr<Connection>>& live);

  asio::steady_timer sweep_timer_;
  asio::steady_timer grace_timer_;
  const std::chrono::milliseconds sweep_interval_;
  // Reused by every sweep, so that a sweep allocates nothing once it has seen the most
  // connections; only the sweep timer's handler touches it.
  std::vector<std::shared_ptr<Connection>> sweep_list_;
  bool drained_reported_ = false;
};

// One client connection: read, parse, answer (in order, batching pipelined answers into one
// write), repeat. All of its handlers run one at a time: on its worker's single thread, or
// through its strand in the shared_context model.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Worker& worker, tcp::socket socket)
      : worker_(worker), socket_(std::move(socket)), io_timer_(socket_.get_executor()) {}

  ~Connection() {
    if (registered_) worker_.remove(this);
  }

  void start() {
    registered_ = worker_.add(this);
    error_code ec;
    if (!registered_) {
      socket_.close(ec);
      return;
    }
    // Responses go out in a single write each; Nagle would only hold back pipelined batches.
    socket_.set_option(tcp::no_delay(true), ec);
    // Writes are tried directly first and fall back to an async write only when the socket
    // buffer is full: this saves a trip through the scheduler per response.
    socket_.non_blocking(true, ec);
    out_.reserve(4096);
    deadline_ = coarse_now() + worker_.options.header_timeout;
    drive();
  }

  asio::any_io_executor executor() { return socket_.get_executor(); }

  void check_deadline(Clock::time_point now) {
    if (!closed_ && now >= deadline_) close_now();
  }

  void begin_shutdown() {
    shutting_down_ = true;
    if (read_pending_ && is_idle()) close_now();
  }

  void close_now() {
    if (closed_) return;
    closed_ = true;
    error_code ec;
    socket_.close(ec);  // completes pending operations with operation_aborted
    io_timer_.cancel();
  }

 private:
  enum class Next { need_input, output_full, waiting_io, close };

  // Between requests: nothing buffered and no request begun.
  bool is_idle() const { return !parser_ && in_.size() == 0; }

  // The connection's state machine, as a loop so that pipelined input does not recurse.
  void drive() {
    for (;;) {
      if (closed_) return;
      const Next next = handle_buffered_requests();
      if (next == Next::waiting_io) return;          // the timer's handler calls drive() again
      if (!out_.empty() && !write_output()) return;  // the write's handler calls drive()
      if (next == Next::close) return close_gracefully();
      if (next == Next::output_full) continue;
      if (!answered_since_read_) return start_read();
      // Just answered: the client's next request is at best a round trip away, so reading now
      // would only find EAGAIN (Asio tries every read at once). Reading after the handlers
      // already queued on this thread gives the request time to arrive.
      answered_since_read_ = false;
      return asio::post(socket_.get_executor(),
                        [self = shared_from_this()] { self->resume_read(); });
    }
  }

  Next handle_buffered_requests() {
    if (close_after_write_) return Next::close;
    for (;;) {
      if (in_.size() == 0) return Next::need_input;
      if (!parser_) begin_request();
      error_code ec;
      const bool header_was_done = parser_->is_header_done();
      const std::size_t used = parser_->put(in_.data(), ec);
      in_.consume(used);
      // Beast 1.81 checks header_limit against each put()'s input alone, so a header section
      // that arrives in two reads passes however long it is (9 KiB of 100-byte fields answered
      // 200). Count the header bytes across put() calls here: at most 8192 bytes up to and
      // including the empty line, as in go-server and rust-server. Without eager mode the
      // put() that completes the header stops at its end, so `used` holds no body bytes.
      if (!header_was_done && (!ec || ec == http::error::need_more)) {
        header_bytes_ += used;
        const std::size_t seen =
            header_bytes_ + (parser_->is_header_done() ? 0 : in_.size());  // + a partial line
        if (seen > worker_.options.header_limit_bytes) ec = http::error::header_limit;
      }
      if (ec == http::error::need_more) return Next::need_input;
      if (ec) {
        append_parse_error_response(out_, ec, parser_->method(), request_.target);
        parser_.reset();
        close_after_write_ = true;
        linger_before_close_ = true;
        return Next::close;
      }
      if (!parser_->is_done()) {
        if (!header_was_done && parser_->is_header_done()) {
          // Header just complete, body still arriving: the whole body must come within the
          // body timeout from now (not refreshed by each byte), and each put() may take all
          // the body bytes there are.
          deadline_ = coarse_now() + worker_.options.body_timeout;
          parser_->eager(true);
        }
        if (used == 0) return Next::need_input;
        continue;
      }

      const Route routed = route(parser_->method(), request_.target);
      const Framing framing{parser_->version(), parser_->keep_alive() && !shutting_down_};
      parser_.reset();
      switch (routed.endpoint) {
        case Endpoint::io_wait:
          start_io_wait(routed.io_wait, framing);
          return Next::waiting_io;
        case Endpoint::user_record:
          append_user_record_response(out_, framing, worker_.store, routed.user_id);
          break;
        case Endpoint::orders:
          append_order_response(out_, framing, worker_.store, order_request());
          break;
        case Endpoint::db_user:
        case Endpoint::db_sleep:
          if (worker_.db_pool == nullptr) {
            append_database_unavailable_response(out_, framing);
            break;
          }
          start_db_query(routed, framing);
          return Next::waiting_io;
        default:
          append_response(out_, routed.endpoint, framing);
          break;
      }
      answered_since_read_ = true;
      if (!framing.keep_alive) {
        close_after_write_ = true;
        return Next::close;
      }
      if (out_.size() >= kMaxBatchedOutput) return Next::output_full;
    }
  }

  OrderRequest order_request() const {
    OrderRequest order;
    if (request_.has_content_type) order.content_type = request_.content_type;
    order.body = request_.body;
    order.body_over_limit = request_.body_over_keep_limit;
    return order;
  }

  void begin_request() {
    request_.clear();  // keeps the strings' capacity
    parser_.emplace(request_, max_order_body_bytes);
    header_bytes_ = 0;
    // Not eager: put() stops at the end of the header, so its size can be checked exactly
    // (above); the parser turns eager for the body once the header is done.
    parser_->eager(false);
    parser_->header_limit(static_cast<std::uint32_t>(worker_.options.header_limit_bytes));
    parser_->body_limit(worker_.options.body_limit_bytes);
    // The first request's header deadline runs from the accept (set in start()); later ones
    // from their first byte, which is here.
    if (requests_begun_++ > 0) deadline_ = coarse_now() + worker_.options.header_timeout;
  }

  void start_io_wait(std::chrono::milliseconds wait, Framing framing) {
    deadline_ = kNoDeadline;  // the server is the one taking its time
    io_timer_.expires_after(wait);
    io_timer_.async_wait([self = shared_from_this(), framing](error_code ec) {
      if (ec || self->closed_) return;
      Framing final_framing = framing;
      final_framing.keep_alive = framing.keep_alive && !self->shutting_down_;
      append_response(self->out_, Endpoint::io_wait, final_framing);
      if (!final_framing.keep_alive) self->close_after_write_ = true;
      self->drive();
    });
  }

  // Runs the route's query on the worker's pool; the answer resumes the loop on this
  // connection's executor. As with /io, a client that has gone meanwhile is noticed only when
  // the answer is written: the query runs to its end either way, so that its pooled connection
  // is consistent when it is reused.
  void start_db_query(const Route& routed, Framing framing) {
    deadline_ = kNoDeadline;  // the server is the one taking its time
    auto answer = [self = shared_from_this(), endpoint = routed.endpoint, framing](
                      error_code ec, pg::Result result) {
      if (self->closed_) return;
      Framing final_framing = framing;
      final_framing.keep_alive = framing.keep_alive && !self->shutting_down_;
      if (endpoint == Endpoint::db_user) {
        append_db_user_response(self->out_, final_framing, ec, result);
      } else {
        append_db_sleep_response(self->out_, final_framing, ec);
      }
      if (!final_framing.keep_alive) self->close_after_write_ = true;
      self->drive();
    };
    // Bound to the worker's own io_context executor where there is one (per-thread model), not
    // the socket's type-erased one: completing is then a plain post.
    if (worker_.options.io_model == IoModel::context_per_thread) {
      run_db_query(routed, asio::bind_executor(worker_.context.get_executor(), std::move(answer)));
    } else {
      run_db_query(routed, asio::bind_executor(socket_.get_executor(), std::move(answer)));
    }
  }

  template <class Handler>
  void run_db_query(const Route& routed, Handler&& handler) {
    if (routed.endpoint == Endpoint::db_user) {
      worker_.db_pool->async_query(user_by_id_statement, user_by_id_params(routed.user_id),
                                   std::forward<Handler>(handler));
    } else {
      worker_.db_pool->async_query(sleep_statement, sleep_params(routed.io_wait),
                                   std::forward<Handler>(handler));
    }
  }

  // Writes out_ directly; returns true when all of it went out, false when an async write (or
  // a close after an error) took over.
  bool write_output() {
    error_code ec;
    const std::size_t written = socket_.write_some(asio::buffer(out_), ec);
    if (!ec && written == out_.size()) {
      out_.clear();
      return true;
    }
    if (ec && ec != asio::error::would_block) {
      close_now();
      return false;
    }
    const std::size_t sent = ec ? 0 : written;
    deadline_ = coarse_now() + worker_.options.write_timeout;  // a client too slow to read
    asio::async_write(socket_, asio::buffer(out_.data() + sent, out_.size() - sent),
                      [self = shared_from_this()](error_code ec, std::size_t) {
                        if (ec || self->closed_) return self->close_now();
                        self->out_.clear();
                        self->drive();
                      });
    return false;
  }

  void resume_read() {
    if (!closed_) start_read();
  }

  void start_read() {
    if (is_idle()) {
      if (shutting_down_) return close_now();
      if (requests_begun_ > 0) deadline_ = coarse_now() + worker_.options.idle_timeout;
    }
    read_pending_ = true;
    socket_.async_read_some(in_.prepare(kReadSize),
                            [self = shared_from_this()](error_code ec, std::size_t bytes) {
                              self->read_pending_ = false;
                              // EOF, a reset or our own close: nothing left to answer.
                              if (ec || self->closed_) return self->close_now();
                              self->in_.commit(bytes);
                              self->drive();
                            });
  }

  // Half-closes so that the client reads the last response and then EOF. When the client may
  // still be sending (an error response, or unparsed input), keeps reading and discarding for
  // a while first: closing with unread data would send a reset that can destroy the response
  // before the client reads it.
  void close_gracefully() {
    error_code ec;
    socket_.shutdown(tcp::socket::shutdown_send, ec);
    if (ec || (in_.size() == 0 && !linger_before_close_)) return close_now();
    in_.clear();
    deadline_ = coarse_now() + worker_.options.linger;
    drain();
  }

  void drain() {
    socket_.async_read_some(in_.prepare(kReadSize),
                            [self = shared_from_this()](error_code ec, std::size_t) {
                              if (ec || self->closed_) return self->close_now();
                              self->drain();
                            });
  }

  Worker& worker_;
  tcp::socket socket_;
  asio::steady_timer io_timer_;
  beast::flat_buffer in_;
  std::string out_;
  // Target, and for POST the Content-Type and a body of up to 64 KiB: cleared per request, its
  // capacity kept for the connection's life.
  RequestParts request_;
  std::optional<RequestParser> parser_;
  Clock::time_point deadline_ = kNoDeadline;
  std::uint64_t requests_begun_ = 0;
  std::size_t header_bytes_ = 0;  // of the current request's header section, so far
  bool registered_ = false;
  bool read_pending_ = false;
  bool answered_since_read_ = false;
  bool close_after_write_ = false;
  bool linger_before_close_ = false;
  bool shutting_down_ = false;
  bool closed_ = false;
};

void Worker::snapshot(std::vector<std::shared_ptr<Connection>>& live) {
  live.clear();
  live.reserve(connections_.size());
  for (Connection* connection : connections_) {
    // Null when the connection is being destroyed (it is then waiting for mutex_ in remove()).
    if (auto owner = connection->weak_from_this().lock()) live.push_back(std::move(owner));
  }
}

void Worker::sweep() {
  {
    std::lock_guard lock(mutex_);
    snapshot(sweep_list_);
  }
  const Clock::time_point now = coarse_now();
  for (auto& connection : sweep_list_) {
    asio::dispatch(connection->executor(), [connection, now] { connection->check_deadline(now); });
  }
  sweep_list_.clear();  // outside the lock: a connection released here unregisters itself
  // Re-armed only now, so that two sweeps never share sweep_list_ (shared_context model).
  std::lock_guard lock(mutex_);
  if (!stopping_ || !connections_.empty()) arm_sweep();
}

void Worker::begin_shutdown() {
  std::vector<std::shared_ptr<Connection>> live;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    snapshot(live);
    if (connections_.empty()) {
      sweep_timer_.cancel();
      report_drained();
    } else {
      grace_timer_.expires_after(options.shutdown_grace);
      grace_timer_.async_wait([this](error_code ec) {
        if (ec) return;
        std::vector<std::shared_ptr<Connection>> left;
        {
          std::lock_guard lock(mutex_);
          snapshot(left);
        }
        for (auto& connection : left) {
          asio::dispatch(connection->executor(), [connection] { connection->close_now(); });
        }
        // Queries still running end now (their connections are closed already).
        if (database != nullptr) database->close();
      });
    }
  }
  for (auto& connection : live) {
    asio::dispatch(connection->executor(), [connection] { connection->begin_shutdown(); });
  }
}

}  // namespace

struct Server::Impl {
  explicit Impl(ServerOptions server_options)
      : options(std::move(server_options)),
        store(build_store(options.live_mb)),
        acceptor(make_workers()) {
    if (!options.db_conninfo.empty()) make_database();
    const tcp::endpoint endpoint(options.bind_address, options.port);
    acceptor.open(endpoint.protocol());
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    acceptor.bind(endpoint);
    acceptor.listen(asio::socket_base::max_listen_connections);
  }

  // Builds the workers and returns the acceptor's executor: a strand on the first worker, since
  // in the shared_context model stop() and the accept loop may otherwise run at the same time.
  //
  // context_per_thread is the default: it puts no lock, strand or cross-thread wake-up on the
  // request path, ties with shared_context on one thread and won two of three noisy two-thread
  // runs on the 2-core development machine (figures and command in README.md).
  asio::strand<asio::io_context::executor_type> make_workers() {
    if (options.threads == 0) options.threads = 1;
    if (options.io_model == IoModel::context_per_thread) {
      // A socket's I/O only ever runs on its worker's thread, so the reactor's per-socket
      // locks are dropped (UNSAFE_IO). Scheduler and registration locks stay: the acceptor
      // thread registers new sockets with the other workers and posts their start to them.
      for (unsigned i = 0; i < options.threads; ++i) {
        workers.push_back(
            std::make_unique<Worker>(options, store, BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO));
      }
    } else {
      workers.push_back(
          std::make_unique<Worker>(options, store, static_cast<int>(options.threads)));
    }
    return asio::make_strand(workers.front()->context);
  }

  // The pools run on the workers' event loops: pool i on worker i, or on a strand of the one
  // shared context.
  void make_database() {
    std::vector<asio::any_io_executor> executors;
    if (options.io_model == IoModel::context_per_thread) {
      for (auto& worker : workers) executors.push_back(worker->context.get_executor());
    } else {
      executors.push_back(asio::make_strand(workers.front()->context));
    }
    database = std::make_unique<Database>(options, executors);
    for (std::size_t i = 0; i < workers.size(); ++i) {
      workers[i]->database = database.get();
      workers[i]->db_pool = &database->pool_for(i);
    }
  }

  void accept() {
    Worker& worker = *workers[next_worker];
    next_worker = (next_worker + 1) % workers.size();
    auto on_accept = [this, &worker](error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
      if (ec) {
        // Out of descriptors or memory: wait a little rather than spin on the error.
        retry_timer.expires_after(std::chrono::milliseconds(50));
        retry_timer.async_wait([this](error_code wait_ec) {
          if (!wait_ec) accept();
        });
        return;
      }
      // Start the connection on its own worker's thread (or strand).
      asio::post(socket.get_executor(), [&worker, socket = std::move(socket)]() mutable {
        std::make_shared<Connection>(worker, std::move(socket))->start();
      });
      accept();
    };
    if (options.io_model == IoModel::context_per_thread) {
      acceptor.async_accept(worker.context, std::move(on_accept));
    } else {
      acceptor.async_accept(asio::make_strand(worker.context), std::move(on_accept));
    }
  }

  ServerOptions options;
  Store store;  // built before the workers exist, never changed after
  std::vector<std::unique_ptr<Worker>> workers;
  std::unique_ptr<Database> database;  // with --db; destroyed before the workers' contexts
  tcp::acceptor acceptor;
  asio::steady_timer retry_timer{acceptor.get_executor()};
  std::size_t next_worker = 0;
  std::vector<std::thread> threads;
  std::once_flag stop_once;
  bool started = false;
};

Server::Server(ServerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Server::~Server() {
  stop();
  wait();
}

tcp::endpoint Server::local_endpoint() const { return impl_->acceptor.local_endpoint(); }

const Store& Server::store() const { return impl_->store; }

void Server::start() {
  Impl& impl = *impl_;
  if (impl.started) return;
  impl.started = true;
  if (impl.database) impl.database->start();
  asio::post(impl.acceptor.get_executor(), [&impl] { impl.accept(); });
  for (auto& worker : impl.workers) worker->start_sweeping();
  for (unsigned i = 0; i < impl.options.threads; ++i) {
    Worker& worker = *impl.workers[i % impl.workers.size()];
    impl.threads.emplace_back([&worker] { worker.context.run(); });
  }
  if (impl.database) impl.database->wait_ready(impl.options.db_startup_timeout);
}

void Server::stop() {
  Impl& impl = *impl_;
  std::call_once(impl.stop_once, [&impl] {
    asio::post(impl.acceptor.get_executor(), [&impl] {
      error_code ec;
      impl.acceptor.close(ec);
      impl.retry_timer.cancel();
    });
    for (auto& worker : impl.workers) {
      asio::post(worker->context, [&worker = *worker] { worker.begin_shutdown(); });
    }
  });
}

void Server::wait() {
  for (auto& thread : impl_->threads) {
    if (thread.joinable()) thread.join();
  }
}

std::string format_endpoint(const tcp::endpoint& endpoint) {
  std::ostringstream text;
  text << endpoint;  // Asio writes IPv6 in brackets: [::1]:8080
  return text.str();
}

}  // namespace cpp_server
