#include "cpp_server/pg_pool.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <netdb.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <list>
#include <mutex>
#include <optional>
#include <utility>

namespace cpp_server::pg {

namespace asio = boost::asio;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;
using WaitType = asio::posix::descriptor_base::wait_type;

namespace {

class Category : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "cpp_server.pg"; }
  std::string message(int value) const override {
    switch (static_cast<Error>(value)) {
      case Error::unavailable:
        return "no database connection available";
      case Error::connection_lost:
        return "database connection lost";
      case Error::query_failed:
        return "the database answered with an error";
      case Error::pool_closed:
        return "database pool closed";
    }
    return "unknown database error";
  }
};

// libpq's messages end in a newline and may span lines ("connection to server ... failed:
// Connection refused\n\tIs the server running ...?\n"): one line, for logs and stderr.
std::string one_line(std::string_view text) {
  std::string line;
  bool space = false;
  for (const char c : text) {
    if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
      space = !line.empty();
      continue;
    }
    if (space) line.push_back(' ');
    space = false;
    line.push_back(c);
  }
  return line;
}

// Without this libpq prints NOTICEs to stderr.
void ignore_notice(void*, const char*) {}

}  // namespace

const boost::system::error_category& error_category() {
  static const Category category;
  return category;
}

error_code make_error_code(Error error) { return {static_cast<int>(error), error_category()}; }

// ---------------------------------------------------------------------------------------------
// Result

Result::~Result() {
  if (result_ != nullptr) PQclear(result_);
}

Result::Result(Result&& other) noexcept : result_(std::exchange(other.result_, nullptr)) {}

Result& Result::operator=(Result&& other) noexcept {
  if (this != &other) {
    if (result_ != nullptr) PQclear(result_);
    result_ = std::exchange(other.result_, nullptr);
  }
  return *this;
}

int Result::rows() const { return result_ != nullptr ? PQntuples(result_) : 0; }

int Result::columns() const { return result_ != nullptr ? PQnfields(result_) : 0; }

std::string_view Result::value(int row, int column) const {
  return {PQgetvalue(result_, row, column),
          static_cast<std::size_t>(PQgetlength(result_, row, column))};
}

bool Result::is_null(int row, int column) const { return PQgetisnull(result_, row, column) != 0; }

std::string Result::error_message() const {
  return result_ != nullptr ? one_line(PQresultErrorMessage(result_)) : std::string{};
}

// ---------------------------------------------------------------------------------------------
// The pool's state, shared with its handlers so that none outlives what it touches.
//
// Readiness comes from Asio's epoll reactor, which is edge-triggered. An async_wait never
// completes at once, but arming one re-registers the descriptor (EPOLL_CTL_MOD), and epoll then
// checks its readiness afresh: readiness that came while no wait was armed (data libpq left in
// the kernel, an edge another thread's epoll_wait took) is still reported. That costs one
// epoll_ctl per wait, one per query. While a connection is open a read wait is always armed, so
// that a server going away is noticed between queries too.
//
// Asio watches a dup() of libpq's socket, never libpq's descriptor itself: libpq closes and
// replaces its socket while connecting (and on errors), and a descriptor number closed behind
// the reactor's back can be reused by another socket before the reactor forgets it.

struct Pool::State : std::enable_shared_from_this<Pool::State> {
  struct Query {
    std::string statement;
    std::vector<std::string> params;
    QueryHandler handler;
    Clock::time_point deadline;
  };

  enum class Phase {
    down,        // no connection: waiting to (re)connect
    connecting,  // PQconnectPoll steps
    setting_up,  // preparing the statements, then SELECT 1
    idle,
    busy,  // running `query`
  };

  struct Connection {
    explicit Connection(const asio::any_io_executor& executor)
        : socket(executor), timer(executor) {}
    ~Connection() {
      unwatch();
      if (pq != nullptr) PQfinish(pq);
    }

    // Stops watching the socket: pending waits complete with operation_aborted, the reactor
    // forgets the descriptor (release() deregisters it while it is still open), then it closes.
    void unwatch() {
      if (!socket.is_open()) return;
      const int fd = socket.release();
      ::close(fd);
    }

    PGconn* pq = nullptr;
    asio::posix::stream_descriptor socket;  // a dup() of PQsocket(pq)
    asio::steady_timer timer;               // the connect timeout, or the delay before the next
    Phase phase = Phase::down;
    // Bumped whenever the connection is torn down: handlers of an earlier one then do nothing.
    std::uint64_t generation = 0;
    bool read_armed = false;
    bool write_armed = false;
    std::size_t setup_step = 0;
    std::vector<bool> prepared;    // per statement: whether this connection has it
    std::optional<Query> query;    // the query running (phase busy)
    Result rows;                   // its answer so far
    Result error;                  // or the error it got
    unsigned failed_attempts = 0;  // connection attempts failed in a row
  };

  struct ReadyWaiter {
    ReadyWaiter(ReadyHandler handler, const asio::any_io_executor& executor)
        : handler(std::move(handler)), timer(executor) {}
    ReadyHandler handler;
    asio::steady_timer timer;
  };

  State(asio::any_io_executor executor, PoolOptions options)
      : executor(std::move(executor)), options(std::move(options)), queue_timer(this->executor) {
    for (unsigned i = 0; i < this->options.connections; ++i) {
      connections.push_back(std::make_unique<Connection>(this->executor));
    }
  }

  asio::any_io_executor executor;
  const PoolOptions options;
  std::vector<std::unique_ptr<Connection>> connections;
  std::vector<Connection*> idle;   // free connections, the most recently used last
  std::deque<Query> waiting;       // queries waiting for a connection, oldest first
  asio::steady_timer queue_timer;  // fires at the oldest waiting query's deadline
  bool queue_timer_armed = false;
  // Shared with their timers' handlers, which may already be queued when the wait completes.
  std::list<std::shared_ptr<ReadyWaiter>> ready_waiters;
  unsigned ready_connections = 0;  // connections that have answered SELECT 1 and are open
  bool database_down = false;      // none open and the last attempt failed
  Clock::time_point last_failed_attempt;
  bool started = false;
  bool closed = false;

  mutable std::mutex last_error_mutex;
  std::string last_error;

  void set_last_error(std::string_view message) {
    std::lock_guard lock(last_error_mutex);
    last_error = one_line(message);
  }

  // --- completing the caller's handlers: always posted, never from inside a pool call -------

  // Completions run on the handler's executor (a worker's thread, a connection's strand; the
  // pool's when it has none), always posted.
  void complete(QueryHandler handler, error_code ec, Result result = {}) {
    handler->post(executor, ec, std::move(result));
  }

  void complete_ready(ReadyHandler handler, error_code ec) { handler->post(executor, ec); }

  // --- the queue ----------------------------------------------------------------------------

  const Statement* find_statement(std::string_view name, std::size_t& index) const {
    for (index = 0; index < options.statements.size(); ++index) {
      if (options.statements[index].name == name) return &options.statements[index];
    }
    return nullptr;
  }

  void submit(Query query) {
    if (closed) return complete(std::move(query.handler), Error::pool_closed);
    std::size_t index = 0;
    if (find_statement(query.statement, index) == nullptr ||
        query.params.size() > max_query_params) {
      set_last_error("no prepared statement \"" + query.statement + "\" with those parameters");
      return complete(std::move(query.handler), Error::query_failed);
    }
    const bool retry_now = idle.empty() && database_down && !attempting();
    if (retry_now && Clock::now() - last_failed_attempt < retry_on_demand_after) {
      return complete(std::move(query.handler), Error::unavailable);
    }
    query.deadline = Clock::now() + options.acquire_timeout;
    waiting.push_back(std::move(query));
    if (retry_now) reconnect_now();
    while (!idle.empty() && !waiting.empty()) {
      Connection& connection = *idle.back();
      idle.pop_back();
      take_next(connection);
    }
    if (!waiting.empty()) arm_queue_timer();
  }

  // While the database is down, a query tries a connection at once (and waits for that attempt)
  // rather than wait for the next background attempt, up to 1 s away: a pool with requests
  // notices as soon as the database is back. At most one such attempt per this interval.
  static constexpr std::chrono::milliseconds retry_on_demand_after{50};

  bool attempting() const {
    return std::any_of(connections.begin(), connections.end(), [](const auto& connection) {
      return connection->phase == Phase::connecting || connection->phase == Phase::setting_up;
    });
  }

  // Opens a connection that is waiting for its next attempt, now.
  void reconnect_now() {
    for (auto& connection : connections) {
      if (connection->phase != Phase::down) continue;
      ++connection->generation;  // its pending delay's handler then does nothing
      connection->timer.cancel();
      return connect(*connection);
    }
  }

  void arm_queue_timer() {
    if (queue_timer_armed) return;
    queue_timer_armed = true;
    queue_timer.expires_at(waiting.front().deadline);
    queue_timer.async_wait([self = shared_from_this()](error_code ec) {
      self->queue_timer_armed = false;
      if (ec || self->closed) return;
      const auto now = Clock::now();
      while (!self->waiting.empty() && self->waiting.front().deadline <= now) {
        self->set_last_error("no connection came free within the acquire timeout");
        self->complete(std::move(self->waiting.front().handler), Error::unavailable);
        self->waiting.pop_front();
      }
      if (!self->waiting.empty()) self->arm_queue_timer();
    });
  }

  void fail_waiting(Error error) {
    while (!waiting.empty()) {
      complete(std::move(waiting.front().handler), error);
      waiting.pop_front();
    }
  }

  // A connection is free: it runs the oldest waiting query, or joins the idle ones.
  void take_next(Connection& connection) {
    connection.phase = Phase::idle;
    while (!waiting.empty()) {
      Query query = std::move(waiting.front());
      waiting.pop_front();
      if (start_query(connection, std::move(query))) return;
    }
    idle.push_back(&connection);
  }

  // Sends the query; false when this connection cannot run it (the query has been answered).
  bool start_query(Connection& connection, Query query) {
    std::size_t index = 0;
    const Statement* statement = find_statement(query.statement, index);
    if (!connection.prepared[index]) {
      // Its PREPARE failed when the connection opened (say, the table was missing then).
      set_last_error("statement \"" + statement->name + "\" is not prepared on this connection");
      complete(std::move(query.handler), Error::query_failed);
      return false;
    }
    connection.phase = Phase::busy;
    const std::vector<std::string>& params = connection.query.emplace(std::move(query)).params;
    std::array<const char*, max_query_params> values{};
    for (std::size_t i = 0; i < params.size(); ++i) values[i] = params[i].c_str();
    // libpq copies the parameters into its output buffer here.
    if (PQsendQueryPrepared(connection.pq, statement->name.c_str(), static_cast<int>(params.size()),
                            values.data(), nullptr, nullptr, 0) == 0) {
      lose(connection, PQerrorMessage(connection.pq));
      return true;
    }
    flush(connection);
    return true;
  }

  // --- connecting ---------------------------------------------------------------------------

  void connect(Connection& connection) {
    connection.pq = PQconnectStart(options.conninfo.c_str());
    if (connection.pq == nullptr) return lose(connection, "out of memory");
    if (PQstatus(connection.pq) == CONNECTION_BAD) {
      return lose(connection, PQerrorMessage(connection.pq));
    }
    PQsetNoticeProcessor(connection.pq, ignore_notice, nullptr);
    connection.phase = Phase::connecting;
    const auto generation = connection.generation;
    connection.timer.expires_after(options.connect_timeout);
    connection.timer.async_wait(
        [self = shared_from_this(), &connection, generation](error_code ec) {
          if (ec || generation != connection.generation || self->closed) return;
          if (connection.phase == Phase::connecting || connection.phase == Phase::setting_up) {
            self->lose(connection, "no answer within the connect timeout");
          }
        });
    // As the libpq manual says: start as if PQconnectPoll had asked to wait for writing.
    connect_step(connection, PGRES_POLLING_WRITING);
  }

  void connect_step(Connection& connection, PostgresPollingStatusType status) {
    switch (status) {
      case PGRES_POLLING_OK:
        return connected(connection);
      case PGRES_POLLING_READING:
      case PGRES_POLLING_WRITING: {
        // libpq may have moved to another socket (the next address, a retry without SSL):
        // watch the current one.
        if (!watch(connection)) return;
        const WaitType direction = status == PGRES_POLLING_READING
                                       ? asio::posix::descriptor_base::wait_read
                                       : asio::posix::descriptor_base::wait_write;
        const auto generation = connection.generation;
        connection.socket.async_wait(
            direction, [self = shared_from_this(), &connection, generation](error_code ec) {
              if (generation != connection.generation || self->closed) return;
              if (ec) return self->lose(connection, ec.message());
              self->connect_step(connection, PQconnectPoll(connection.pq));
            });
        return;
      }
      default:
        return lose(connection, PQerrorMessage(connection.pq));
    }
  }

  // Watches a fresh dup() of libpq's current socket; false (the connection lost) on failure.
  bool watch(Connection& connection) {
    connection.unwatch();
    const int fd = ::fcntl(PQsocket(connection.pq), F_DUPFD_CLOEXEC, 0);
    if (fd < 0) {
      lose(connection, "cannot duplicate the connection's socket");
      return false;
    }
    error_code ec;
    connection.socket.assign(fd, ec);
    if (ec) {
      ::close(fd);
      lose(connection, ec.message());
      return false;
    }
    return true;
  }

  // Logged in: prepare the statements one by one, then SELECT 1.
  void connected(Connection& connection) {
    if (PQsetnonblocking(connection.pq, 1) != 0) {
      return lose(connection, PQerrorMessage(connection.pq));
    }
    connection.phase = Phase::setting_up;
    connection.setup_step = 0;
    connection.prepared.assign(options.statements.size(), false);
    arm_read(connection);
    send_setup_step(connection);
  }

  void send_setup_step(Connection& connection) {
    int sent = 0;
    if (connection.setup_step < options.statements.size()) {
      const Statement& statement = options.statements[connection.setup_step];
      sent =
          PQsendPrepare(connection.pq, statement.name.c_str(), statement.sql.c_str(), 0, nullptr);
    } else {
      sent = PQsendQueryParams(connection.pq, "SELECT 1", 0, nullptr, nullptr, nullptr, nullptr, 0);
    }
    if (sent == 0) return lose(connection, PQerrorMessage(connection.pq));
    flush(connection);
  }

  void ready(Connection& connection) {
    connection.timer.cancel();  // the connect timeout
    connection.failed_attempts = 0;
    ++ready_connections;
    database_down = false;
    complete_ready_waiters({});
    take_next(connection);
  }

  // --- reading and writing ------------------------------------------------------------------

  void arm_read(Connection& connection) {
    if (connection.read_armed) return;
    connection.read_armed = true;
    const auto generation = connection.generation;
    connection.socket.async_wait(
        asio::posix::descriptor_base::wait_read,
        [self = shared_from_this(), &connection, generation](error_code ec) {
          if (generation != connection.generation) return;
          connection.read_armed = false;
          if (self->closed) return;
          if (ec) return self->lose(connection, ec.message());
          self->read_input(connection);
          // Unless reading found the connection broken (it is then torn down, or reopening).
          if (generation == connection.generation) self->arm_read(connection);
        });
  }

  void read_input(Connection& connection) {
    if (PQconsumeInput(connection.pq) == 0) {
      return lose(connection, PQerrorMessage(connection.pq));
    }
    if (connection.phase != Phase::setting_up && connection.phase != Phase::busy) {
      // Between queries the server only speaks when it goes away (a notice, then EOF).
      if (PQstatus(connection.pq) == CONNECTION_BAD) {
        lose(connection, PQerrorMessage(connection.pq));
      }
      return;
    }
    // Until the answer is complete PQisBusy says so, and the read wait brings the rest.
    while (PQisBusy(connection.pq) == 0) {
      PGresult* result = PQgetResult(connection.pq);
      if (result == nullptr) return command_done(connection);
      keep_result(connection, result);
    }
  }

  void flush(Connection& connection) {
    const int rc = PQflush(connection.pq);
    if (rc < 0) return lose(connection, PQerrorMessage(connection.pq));
    if (rc == 0 || connection.write_armed) return;
    // The socket's buffer is full (a query far larger than ours): finish when it drains.
    connection.write_armed = true;
    const auto generation = connection.generation;
    connection.socket.async_wait(
        asio::posix::descriptor_base::wait_write,
        [self = shared_from_this(), &connection, generation](error_code ec) {
          if (generation != connection.generation) return;
          connection.write_armed = false;
          if (self->closed) return;
          if (ec) return self->lose(connection, ec.message());
          self->flush(connection);
        });
  }

  void keep_result(Connection& connection, PGresult* result) {
    const ExecStatusType status = PQresultStatus(result);
    const bool ok = status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK;
    if (ok && !connection.rows && !connection.error) {
      connection.rows = Result(result);
    } else if (!ok && !connection.error) {
      connection.error = Result(result);
    } else {
      PQclear(result);
    }
  }

  // The command's last result has been read: the connection is ready for the next.
  void command_done(Connection& connection) {
    Result rows = std::move(connection.rows);
    Result error = std::move(connection.error);
    if (!error && !rows) error = Result(PQmakeEmptyPGresult(connection.pq, PGRES_FATAL_ERROR));
    if (connection.phase == Phase::setting_up) {
      if (connection.setup_step < options.statements.size()) {
        // A statement that cannot be prepared fails its own queries only (503 for that route).
        connection.prepared[connection.setup_step] = !error;
        if (error) set_last_error(error.error_message());
        ++connection.setup_step;
        return send_setup_step(connection);
      }
      if (error) return lose(connection, error.error_message());
      return ready(connection);
    }
    Query query = std::move(*connection.query);
    connection.query.reset();
    if (error) {
      set_last_error(error.error_message());
      complete(std::move(query.handler), Error::query_failed, std::move(error));
    } else {
      complete(std::move(query.handler), {}, std::move(rows));
    }
    if (PQstatus(connection.pq) == CONNECTION_BAD) {
      return lose(connection, PQerrorMessage(connection.pq));
    }
    take_next(connection);
  }

  // --- losing a connection ------------------------------------------------------------------

  // The connection broke, or an attempt to open it failed: fail its query, close it, and try
  // again (at once after a break, after a growing delay after a failed attempt).
  void lose(Connection& connection, std::string_view reason) {
    const bool was_open = connection.phase == Phase::idle || connection.phase == Phase::busy;
    set_last_error(reason);
    std::optional<Query> query;
    if (connection.query) {
      query.emplace(std::move(*connection.query));
      connection.query.reset();
    }
    tear_down(connection);
    if (query) complete(std::move(query->handler), Error::connection_lost);
    if (closed) return;
    std::chrono::milliseconds delay{0};
    if (was_open) {
      --ready_connections;
    } else {
      ++connection.failed_attempts;
      const unsigned doublings = std::min(connection.failed_attempts - 1, 10u);
      delay = std::min(options.reconnect_delay_max, std::chrono::milliseconds(25 << doublings));
      if (ready_connections == 0) {
        // Nothing open and the database refused or did not answer: fail fast until it is back.
        database_down = true;
        last_failed_attempt = Clock::now();
        fail_waiting(Error::unavailable);
      }
    }
    reconnect_after(connection, delay);
  }

  void tear_down(Connection& connection) {
    ++connection.generation;
    connection.read_armed = false;
    connection.write_armed = false;
    connection.unwatch();
    connection.timer.cancel();
    if (connection.pq != nullptr) {
      PQfinish(connection.pq);  // sends Terminate without waiting, closes libpq's socket
      connection.pq = nullptr;
    }
    std::erase(idle, &connection);
    connection.rows = Result();
    connection.error = Result();
    connection.phase = Phase::down;
  }

  void reconnect_after(Connection& connection, std::chrono::milliseconds delay) {
    const auto generation = connection.generation;
    connection.timer.expires_after(delay);
    connection.timer.async_wait(
        [self = shared_from_this(), &connection, generation](error_code ec) {
          if (ec || generation != connection.generation || self->closed) return;
          self->connect(connection);
        });
  }

  // --- start, close, readiness ----------------------------------------------------------------

  void start() {
    if (started || closed) return;
    started = true;
    for (auto& connection : connections) connect(*connection);
  }

  void close() {
    if (closed) return;
    closed = true;
    queue_timer.cancel();
    for (auto& connection : connections) {
      if (connection->query) {
        complete(std::move(connection->query->handler), Error::pool_closed);
        connection->query.reset();
      }
      tear_down(*connection);
    }
    ready_connections = 0;
    fail_waiting(Error::pool_closed);
    complete_ready_waiters(Error::pool_closed);
  }

  void complete_ready_waiters(error_code ec) {
    for (auto& waiter : ready_waiters) {
      waiter->timer.cancel();
      complete_ready(std::move(waiter->handler), ec);
    }
    ready_waiters.clear();
  }

  void wait_ready(std::chrono::milliseconds timeout, ReadyHandler handler) {
    if (closed) return complete_ready(std::move(handler), Error::pool_closed);
    if (ready_connections > 0) return complete_ready(std::move(handler), {});
    auto waiter = std::make_shared<ReadyWaiter>(std::move(handler), executor);
    ready_waiters.push_back(waiter);
    waiter->timer.expires_after(timeout);
    waiter->timer.async_wait([self = shared_from_this(), waiter](error_code) {
      if (!waiter->handler) return;  // completed when a connection became ready
      self->complete_ready(std::move(waiter->handler), Error::unavailable);
      std::erase(self->ready_waiters, waiter);
    });
  }
};

// ---------------------------------------------------------------------------------------------
// Pool

Pool::Pool(asio::any_io_executor executor, PoolOptions options)
    : state_(std::make_shared<State>(std::move(executor), std::move(options))) {}

Pool::~Pool() { close(); }

void Pool::start() {
  asio::dispatch(state_->executor, [state = state_] { state->start(); });
}

void Pool::close() {
  asio::dispatch(state_->executor, [state = state_] { state->close(); });
}

void Pool::submit(std::string_view statement, std::vector<std::string> params,
                  QueryHandler handler) {
  State::Query query{std::string(statement), std::move(params), std::move(handler), {}};
  asio::dispatch(state_->executor, [state = state_, query = std::move(query)]() mutable {
    state->submit(std::move(query));
  });
}

void Pool::submit_wait_ready(std::chrono::milliseconds timeout, ReadyHandler handler) {
  asio::dispatch(state_->executor,
                 [state = state_, timeout, handler = std::move(handler)]() mutable {
                   state->wait_ready(timeout, std::move(handler));
                 });
}

std::string Pool::last_error() const {
  std::lock_guard lock(state_->last_error_mutex);
  return state_->last_error;
}

// ---------------------------------------------------------------------------------------------
// Connection strings

namespace {

using Options = std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)>;

Options parse_conninfo(const std::string& conninfo, std::string* reason) {
  char* error = nullptr;
  Options options(PQconninfoParse(conninfo.c_str(), &error), &PQconninfoFree);
  if (!options) {
    if (reason != nullptr) *reason = error != nullptr ? one_line(error) : "out of memory";
  }
  PQfreemem(error);
  return options;
}

std::string option(const Options& options, std::string_view keyword) {
  for (const PQconninfoOption* o = options.get(); o->keyword != nullptr; ++o) {
    if (keyword == o->keyword) return o->val != nullptr ? o->val : "";
  }
  return {};
}

bool is_ip_literal(const std::string& host) {
  unsigned char address[sizeof(in6_addr)];
  return ::inet_pton(AF_INET, host.c_str(), address) == 1 ||
         ::inet_pton(AF_INET6, host.c_str(), address) == 1;
}

// A keyword/value pair for a connection string: the value single-quoted, ' and \ escaped.
void append_pair(std::string& out, std::string_view keyword, std::string_view value) {
  if (!out.empty()) out.push_back(' ');
  out.append(keyword).append("='");
  for (const char c : value) {
    if (c == '\'' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('\'');
}

}  // namespace

bool check_conninfo(const std::string& conninfo, std::string& reason) {
  const Options options = parse_conninfo(conninfo, &reason);
  if (!options) return false;
  // libpq checks port numbers only when it connects; a typo there is a usage error too.
  const std::string ports = option(options, "port");
  std::size_t start = 0;
  while (start <= ports.size() && !ports.empty()) {
    const std::size_t end = std::min(ports.find(',', start), ports.size());
    const std::string port = ports.substr(start, end - start);
    const bool digits = !port.empty() && port.size() <= 5 &&
                        port.find_first_not_of("0123456789") == std::string::npos;
    if (!port.empty() && (!digits || std::stoul(port) == 0 || std::stoul(port) > 65535)) {
      reason = "invalid port \"" + port + "\"";
      return false;
    }
    start = end + 1;
  }
  return true;
}

std::string describe_conninfo(const std::string& conninfo) {
  const Options options = parse_conninfo(conninfo, nullptr);
  if (!options) return "(unparsable connection string)";
  const std::string user = option(options, "user");
  std::string host = option(options, "host");
  if (host.empty()) host = option(options, "hostaddr");
  const std::string port = option(options, "port");
  const std::string dbname = option(options, "dbname");
  std::string text = "postgresql://";
  if (!user.empty()) text += user + "@";
  text += host.find(':') != std::string::npos && host.front() != '/' ? "[" + host + "]" : host;
  if (!port.empty()) text += ":" + port;
  if (!dbname.empty()) text += "/" + dbname;
  return text;
}

std::string pin_host_addresses(const std::string& conninfo) {
  const Options options = parse_conninfo(conninfo, nullptr);
  if (!options) return conninfo;
  const std::string host = option(options, "host");
  if (host.empty() || !option(options, "hostaddr").empty() || host.front() == '/' ||
      host.front() == '@' || host.find(',') != std::string::npos ||
      option(options, "port").find(',') != std::string::npos || is_ip_literal(host)) {
    return conninfo;
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0) return conninfo;
  std::vector<std::string> addresses;
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
    char text[INET6_ADDRSTRLEN] = {};
    const void* address =
        a->ai_family == AF_INET
            ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in*>(a->ai_addr)->sin_addr)
            : static_cast<const void*>(
                  &reinterpret_cast<const sockaddr_in6*>(a->ai_addr)->sin6_addr);
    if ((a->ai_family == AF_INET || a->ai_family == AF_INET6) &&
        ::inet_ntop(a->ai_family, address, text, sizeof text) != nullptr &&
        std::find(addresses.begin(), addresses.end(), text) == addresses.end()) {
      addresses.emplace_back(text);
    }
  }
  ::freeaddrinfo(found);
  if (addresses.empty()) return conninfo;
  // libpq tries host/hostaddr pairs in order, as it would have tried the addresses it resolved.
  std::string hosts;
  std::string hostaddrs;
  for (const auto& address : addresses) {
    hosts += (hosts.empty() ? "" : ",") + host;
    hostaddrs += (hostaddrs.empty() ? "" : ",") + address;
  }
  std::string pinned;
  for (const PQconninfoOption* o = options.get(); o->keyword != nullptr; ++o) {
    const std::string_view keyword = o->keyword;
    if (keyword == "host" || keyword == "hostaddr" || o->val == nullptr) continue;
    append_pair(pinned, keyword, o->val);
  }
  append_pair(pinned, "host", hosts);
  append_pair(pinned, "hostaddr", hostaddrs);
  return pinned;
}

}  // namespace cpp_server::pg
