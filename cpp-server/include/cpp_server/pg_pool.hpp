// A PostgreSQL connection pool on libpq's asynchronous API, driven by Asio: each connection's
// socket waits for readiness in the pool's event loop, libpq only ever reads and writes what is
// ready, and no call blocks. Nothing here knows about HTTP.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/system/error_code.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

struct pg_result;  // libpq's PGresult

namespace cpp_server::pg {

// Why a query got no rows.
enum class Error {
  unavailable = 1,  // no connection came free within the acquire timeout, or none can be opened
  connection_lost,  // the connection broke while the query ran
  query_failed,     // the database answered with an error (Result::error_message says which)
  pool_closed,      // close() came first
};

const boost::system::error_category& error_category();
boost::system::error_code make_error_code(Error error);

// A query's answer, in libpq's text format: owns its PGresult.
class Result {
 public:
  Result() = default;
  explicit Result(pg_result* result) : result_(result) {}
  ~Result();
  Result(Result&& other) noexcept;
  Result& operator=(Result&& other) noexcept;
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;

  explicit operator bool() const { return result_ != nullptr; }
  int rows() const;
  int columns() const;
  // The value's text (empty for NULL; see is_null). row < rows(), column < columns().
  std::string_view value(int row, int column) const;
  bool is_null(int row, int column) const;
  // The server's message when it answered with an error, on one line; else empty.
  std::string error_message() const;

 private:
  pg_result* result_ = nullptr;
};

// A statement every pooled connection prepares once, right after it connects.
struct Statement {
  std::string name;
  std::string sql;  // parameters as $1, $2, ...; their types inferred by the server
};

struct PoolOptions {
  std::string conninfo;  // a libpq connection string or URI
  unsigned connections = 2;
  std::vector<Statement> statements;
  // A query that finds no free connection waits this long at most (then `unavailable`).
  std::chrono::milliseconds acquire_timeout{5'000};
  // One connection attempt, up to the moment it has answered SELECT 1.
  std::chrono::milliseconds connect_timeout{5'000};
  // After a failed attempt a connection waits before the next: 25 ms, doubling up to this.
  std::chrono::milliseconds reconnect_delay_max{1'000};
};

inline constexpr std::size_t max_query_params = 8;

namespace detail {

// A completion handler, type-erased for the pool's queue. Asio's any_completion_handler would
// also type-erase the handler's executor, a heap allocation per completion; this keeps the
// handler's own executor type, so completing on a worker's io_context is a plain post.
template <class... Args>
class Completion {
 public:
  virtual ~Completion() = default;
  // Runs the handler with `args` on its associated executor (`fallback` when it has none),
  // never inside this call.
  virtual void post(const boost::asio::any_io_executor& fallback, Args... args) = 0;
};

template <class Handler, class... Args>
class CompletionOf final : public Completion<Args...> {
 public:
  explicit CompletionOf(Handler handler) : handler_(std::move(handler)) {}
  void post(const boost::asio::any_io_executor& fallback, Args... args) override {
    const auto executor = boost::asio::get_associated_executor(handler_, fallback);
    boost::asio::post(executor,
                      [handler = std::move(handler_), ... args = std::move(args)]() mutable {
                        std::move(handler)(std::move(args)...);
                      });
  }

 private:
  Handler handler_;
};

template <class... Args, class Handler>
std::unique_ptr<Completion<Args...>> make_completion(Handler&& handler) {
  return std::make_unique<CompletionOf<std::decay_t<Handler>, Args...>>(
      std::forward<Handler>(handler));
}

}  // namespace detail

// A fixed number of connections, each running one query at a time, with a FIFO queue of the
// queries waiting for one. Connections open on start() and reopen by themselves whenever they
// break. While none is open and the last attempt failed (the database is down), queries fail at
// once with `unavailable` instead of waiting.
//
// The executor runs all of the pool's handlers one at a time: an io_context run by a single
// thread, or a strand. The public functions may be called from any thread. Destroy the pool
// before its execution context.
class Pool {
 public:
  using QueryHandler = std::unique_ptr<detail::Completion<boost::system::error_code, Result>>;
  using ReadyHandler = std::unique_ptr<detail::Completion<boost::system::error_code>>;

  Pool(boost::asio::any_io_executor executor, PoolOptions options);
  ~Pool();  // close()
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // Opens every connection (in the background).
  void start();
  // Closes every connection; queries running or waiting complete with `pool_closed`. Once the
  // handlers have run, the pool leaves no work in its executor's context.
  void close();

  // Runs a prepared statement with text parameters (at most max_query_params) on the next free
  // connection. Completes with (error_code, Result) on the handler's associated executor (the
  // pool's executor by default), never inside this call. A query whose caller has gone away
  // still runs to its end, so that its connection is consistent when it is reused.
  template <class CompletionToken>
  auto async_query(std::string_view statement, std::vector<std::string> params,
                   CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(boost::system::error_code, Result)>(
        [this](auto handler, std::string_view statement, std::vector<std::string> params) {
          submit(statement, std::move(params),
                 detail::make_completion<boost::system::error_code, Result>(std::move(handler)));
        },
        token, statement, std::move(params));
  }

  // Completes with success as soon as one connection has answered SELECT 1 (at once if one
  // has), or with `unavailable` after `timeout` (last_error() then says why).
  template <class CompletionToken>
  auto async_wait_ready(std::chrono::milliseconds timeout, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(boost::system::error_code)>(
        [this](auto handler, std::chrono::milliseconds timeout) {
          submit_wait_ready(timeout,
                            detail::make_completion<boost::system::error_code>(std::move(handler)));
        },
        token, timeout);
  }

  // The last failure seen (a connection attempt, a lost connection, a query's error), on one
  // line; empty before any. Thread-safe.
  std::string last_error() const;

 private:
  void submit(std::string_view statement, std::vector<std::string> params, QueryHandler handler);
  void submit_wait_ready(std::chrono::milliseconds timeout, ReadyHandler handler);

  struct State;
  std::shared_ptr<State> state_;
};

// Whether libpq accepts `conninfo` (a keyword/value string or a URI); when it does not, the
// reason on one line.
bool check_conninfo(const std::string& conninfo, std::string& reason);

// The database a connection string names, for messages: postgresql://user@host:port/dbname,
// without the password, leaving out what the string leaves to libpq's defaults.
std::string describe_conninfo(const std::string& conninfo);

// libpq resolves a host name with a blocking getaddrinfo() inside PQconnectPoll. This resolves
// a single host name once (call it at start-up, before the event loops run) and returns the
// connection string with `hostaddr` set to every address found, so that reconnecting never
// blocks. Host names may change their addresses; this pins them until the process restarts.
// Returned unchanged: IP literals, Unix socket paths, several hosts, a given hostaddr, a name
// that does not resolve (libpq then reports it).
std::string pin_host_addresses(const std::string& conninfo);

}  // namespace cpp_server::pg

template <>
struct boost::system::is_error_code_enum<cpp_server::pg::Error> : std::true_type {};
