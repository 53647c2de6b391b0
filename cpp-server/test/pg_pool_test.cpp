// The pool on its own, against real PostgreSQL servers: connecting, querying, the wait queue and
// its timeout, errors, reconnecting after the server restarts, closing.
#include "cpp_server/pg_pool.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <future>
#include <mutex>
#include <thread>

#include "cpp_server/db_routes.hpp"
#include "pg_cluster.hpp"

namespace cpp_server::testing {
namespace {

namespace asio = boost::asio;
using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct Outcome {
  boost::system::error_code ec;
  pg::Result result;
};

// A pool on an io_context run by `threads` threads (through a strand when more than one), closed
// on destruction. Joining the threads then also checks that a closed pool leaves no work behind.
class PoolHarness {
 public:
  explicit PoolHarness(pg::PoolOptions options, unsigned threads = 1)
      : work_(asio::make_work_guard(context_)),
        pool_(std::make_unique<pg::Pool>(threads == 1
                                             ? asio::any_io_executor(context_.get_executor())
                                             : asio::make_strand(context_),
                                         std::move(options))) {
    for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this] { context_.run(); });
    pool_->start();
  }
  ~PoolHarness() {
    pool_->close();
    work_.reset();
    for (auto& thread : threads_) thread.join();
    pool_.reset();
  }

  pg::Pool& pool() { return *pool_; }

  std::future<Outcome> query(std::string_view statement, std::vector<std::string> params) {
    auto promise = std::make_shared<std::promise<Outcome>>();
    auto future = promise->get_future();
    pool_->async_query(statement, std::move(params),
                       [promise](boost::system::error_code ec, pg::Result result) {
                         promise->set_value({ec, std::move(result)});
                       });
    return future;
  }

  boost::system::error_code wait_ready(std::chrono::milliseconds timeout) {
    std::promise<boost::system::error_code> ready;
    pool_->async_wait_ready(timeout,
                            [&ready](boost::system::error_code ec) { ready.set_value(ec); });
    return ready.get_future().get();
  }

 private:
  asio::io_context context_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::unique_ptr<pg::Pool> pool_;
  std::vector<std::thread> threads_;
};

pg::PoolOptions options_for(const std::string& conninfo, unsigned connections) {
  pg::PoolOptions options;
  options.conninfo = conninfo;
  options.connections = connections;
  options.statements = database_statements();
  return options;
}

Outcome get(std::future<Outcome> future) {
  if (future.wait_for(15s) != std::future_status::ready) {
    throw std::runtime_error("no completion within 15 s");
  }
  return future.get();
}

TEST(CppServerPgPool, ConnectsAndRunsAPreparedStatement) {
  SKIP_WITHOUT_POSTGRESQL();
  PoolHarness harness(options_for(scratch_database().uri, 2));
  ASSERT_FALSE(harness.wait_ready(5s)) << harness.pool().last_error();
  const Outcome outcome = get(harness.query(user_by_id_statement, {"7"}));
  ASSERT_FALSE(outcome.ec) << outcome.ec.message() << ": " << harness.pool().last_error();
  ASSERT_EQ(outcome.result.rows(), 1);
  EXPECT_EQ(outcome.result.value(0, 1), "user-7");
  Record record;
  ASSERT_TRUE(record_from_row(outcome.result, 0, record));
  EXPECT_EQ(record_json(record), record_json(make_record(7)));
}

TEST(CppServerPgPool, NoSuchRowIsAnEmptyResult) {
  SKIP_WITHOUT_POSTGRESQL();
  PoolHarness harness(options_for(scratch_database().uri, 1));
  const Outcome outcome = get(harness.query(user_by_id_statement, {"1024"}));
  ASSERT_FALSE(outcome.ec) << harness.pool().last_error();
  EXPECT_EQ(outcome.result.rows(), 0);
}

TEST(CppServerPgPool, AnErrorAnswerFailsTheQueryAndTheConnectionStaysUsable) {
  SKIP_WITHOUT_POSTGRESQL();
  pg::PoolOptions options = options_for(scratch_database().uri, 1);
  options.statements.push_back({"divide", "SELECT 1 / $1::integer"});
  PoolHarness harness(options);
  const Outcome failed = get(harness.query("divide", {"0"}));
  EXPECT_EQ(failed.ec, pg::Error::query_failed);
  EXPECT_THAT(failed.result.error_message(), HasSubstr("division by zero"));
  const Outcome next = get(harness.query("divide", {"1"}));  // the one connection, reused
  ASSERT_FALSE(next.ec) << harness.pool().last_error();
  EXPECT_EQ(next.result.value(0, 0), "1");
}

TEST(CppServerPgPool, AStatementThatCannotBePreparedFailsOnlyItsOwnQueries) {
  SKIP_WITHOUT_POSTGRESQL();
  pg::PoolOptions options = options_for(scratch_database().uri, 1);
  options.statements.push_back({"missing", "SELECT * FROM no_such_table"});
  PoolHarness harness(options);
  EXPECT_EQ(get(harness.query("missing", {})).ec, pg::Error::query_failed);
  EXPECT_FALSE(get(harness.query(sleep_statement, sleep_params(0ms))).ec);
}

TEST(CppServerPgPool, AnUnknownStatementFailsAtOnce) {
  SKIP_WITHOUT_POSTGRESQL();
  PoolHarness harness(options_for(scratch_database().uri, 1));
  EXPECT_EQ(get(harness.query("no_such_statement", {})).ec, pg::Error::query_failed);
}

TEST(CppServerPgPool, QueriesWaitForAFreeConnectionOldestFirst) {
  SKIP_WITHOUT_POSTGRESQL();
  PoolHarness harness(options_for(scratch_database().uri, 1));
  ASSERT_FALSE(harness.wait_ready(5s));
  std::mutex mutex;
  std::vector<int> finished;
  std::vector<std::future<void>> done;
  const auto start = Clock::now();
  for (int i = 0; i < 3; ++i) {
    auto promise = std::make_shared<std::promise<void>>();
    done.push_back(promise->get_future());
    harness.pool().async_query(sleep_statement, sleep_params(100ms),
                               [&, i, promise](boost::system::error_code ec, pg::Result) {
                                 EXPECT_FALSE(ec) << ec.message();
                                 std::lock_guard lock(mutex);
                                 finished.push_back(i);
                                 promise->set_value();
                               });
  }
  for (auto& future : done) ASSERT_EQ(future.wait_for(10s), std::future_status::ready);
  EXPECT_GE(Clock::now() - start, 300ms);  // one connection: one after the other
  EXPECT_EQ(finished, (std::vector<int>{0, 1, 2}));
}

TEST(CppServerPgPool, AQueryWaitingLongerThanTheAcquireTimeoutIsUnavailable) {
  SKIP_WITHOUT_POSTGRESQL();
  pg::PoolOptions options = options_for(scratch_database().uri, 1);
  options.acquire_timeout = 200ms;
  PoolHarness harness(options);
  ASSERT_FALSE(harness.wait_ready(5s));
  auto running = harness.query(sleep_statement, sleep_params(1000ms));
  const auto start = Clock::now();
  const Outcome waited = get(harness.query(sleep_statement, sleep_params(0ms)));
  const auto elapsed = Clock::now() - start;
  EXPECT_EQ(waited.ec, pg::Error::unavailable);
  EXPECT_GE(elapsed, 190ms);
  EXPECT_LT(elapsed, 900ms);
  EXPECT_FALSE(get(std::move(running)).ec);  // the running query was not disturbed
}

TEST(CppServerPgPool, AnUnreachableDatabaseFailsQueriesAtOnceAndSaysWhy) {
  const std::string nowhere =
      "postgresql://postgres@127.0.0.1:" + std::to_string(free_port()) + "/postgres";
  PoolHarness harness(options_for(nowhere, 2));
  EXPECT_EQ(harness.wait_ready(300ms), pg::Error::unavailable);
  EXPECT_THAT(harness.pool().last_error(), HasSubstr("refused"));
  const auto start = Clock::now();
  EXPECT_EQ(get(harness.query(sleep_statement, sleep_params(0ms))).ec, pg::Error::unavailable);
  EXPECT_LT(Clock::now() - start, 1s);  // not the 5 s acquire timeout
}

TEST(CppServerPgPool, ReconnectsAfterTheServerRestarts) {
  SKIP_WITHOUT_POSTGRESQL();
  OwnCluster& cluster = own_cluster();
  ASSERT_TRUE(cluster.start()) << cluster.error();
  PoolHarness harness(options_for(cluster.uri(), 2));
  ASSERT_FALSE(harness.wait_ready(5s)) << harness.pool().last_error();
  ASSERT_FALSE(get(harness.query(user_by_id_statement, {"7"})).ec);

  ASSERT_TRUE(cluster.kill()) << cluster.error();
  // Whichever it meets first, a connection found broken or the database found down, it fails.
  const Outcome during = get(harness.query(user_by_id_statement, {"7"}));
  EXPECT_TRUE(during.ec == pg::Error::connection_lost || during.ec == pg::Error::unavailable)
      << during.ec.message();

  ASSERT_TRUE(cluster.start()) << cluster.error();
  const auto restarted = Clock::now();
  Outcome after;
  do {
    std::this_thread::sleep_for(50ms);
    after = get(harness.query(user_by_id_statement, {"7"}));
  } while (after.ec && Clock::now() - restarted < 5s);
  ASSERT_FALSE(after.ec) << harness.pool().last_error();
  EXPECT_EQ(after.result.value(0, 1), "user-7");
}

TEST(CppServerPgPool, WhileTheDatabaseIsDownAQueryTriesAConnectionItself) {
  SKIP_WITHOUT_POSTGRESQL();
  OwnCluster& cluster = own_cluster();
  ASSERT_TRUE(cluster.start()) << cluster.error();
  pg::PoolOptions options = options_for(cluster.uri(), 2);
  options.reconnect_delay_max = 30s;  // the background attempts soon wait longer than the test
  PoolHarness harness(options);
  ASSERT_FALSE(harness.wait_ready(5s)) << harness.pool().last_error();
  ASSERT_TRUE(cluster.kill()) << cluster.error();
  for (int i = 0; i < 12; ++i) {  // each failed attempt doubles the background delay
    std::this_thread::sleep_for(60ms);
    EXPECT_TRUE(get(harness.query(sleep_statement, sleep_params(0ms))).ec);
  }
  ASSERT_TRUE(cluster.start()) << cluster.error();
  std::this_thread::sleep_for(60ms);
  const auto start = Clock::now();
  const Outcome back = get(harness.query(user_by_id_statement, {"7"}));
  EXPECT_FALSE(back.ec) << back.ec.message() << ": " << harness.pool().last_error();
  EXPECT_LT(Clock::now() - start, 1s);
}

TEST(CppServerPgPool, CloseFailsRunningAndWaitingQueries) {
  SKIP_WITHOUT_POSTGRESQL();
  PoolHarness harness(options_for(scratch_database().uri, 1));
  ASSERT_FALSE(harness.wait_ready(5s));
  auto running = harness.query(sleep_statement, sleep_params(5000ms));
  auto waiting = harness.query(sleep_statement, sleep_params(0ms));
  std::this_thread::sleep_for(50ms);
  const auto start = Clock::now();
  harness.pool().close();
  EXPECT_EQ(get(std::move(running)).ec, pg::Error::pool_closed);
  EXPECT_EQ(get(std::move(waiting)).ec, pg::Error::pool_closed);
  EXPECT_EQ(get(harness.query(sleep_statement, sleep_params(0ms))).ec, pg::Error::pool_closed);
  EXPECT_LT(Clock::now() - start, 1s);
}

TEST(CppServerPgPool, ServesManyQueriesFromAStrandOnSeveralThreads) {
  SKIP_WITHOUT_POSTGRESQL();
  PoolHarness harness(options_for(scratch_database().uri, 3), 2);
  std::vector<std::future<Outcome>> outcomes;
  for (int i = 0; i < 60; ++i) {
    outcomes.push_back(harness.query(user_by_id_statement, {std::to_string(i * 17)}));
  }
  for (int i = 0; i < 60; ++i) {
    const Outcome outcome = get(std::move(outcomes[static_cast<std::size_t>(i)]));
    ASSERT_FALSE(outcome.ec) << i << ": " << harness.pool().last_error();
    EXPECT_EQ(outcome.result.value(0, 0), std::to_string(i * 17));
  }
}

}  // namespace
}  // namespace cpp_server::testing
