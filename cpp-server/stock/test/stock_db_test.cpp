// The stock server's database routes against a real PostgreSQL (cpp-server's pg_cluster:
// scripts/pg-scratch.sh with 1024 users, and a cluster of the tests' own to kill): every vector
// of contract/vectors/db.json, the pool shared by many requests, a lost database.
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <fstream>
#include <future>
#include <regex>
#include <sstream>
#include <thread>

#include "pg_cluster.hpp"
#include "stock_support.hpp"

namespace cpp_stock::testing {
namespace {

namespace json = boost::json;
using cpp_server::testing::own_cluster;
using cpp_server::testing::scratch_database;

json::value db_vectors() {
  std::ifstream file(std::string(CPP_STOCK_CONTRACT_DIR) + "/vectors/db.json", std::ios::binary);
  std::ostringstream text;
  text << file.rdbuf();
  return json::parse(text.str());
}

Options db_options(const std::string& conninfo, unsigned threads = 2) {
  Options options = quick_options();
  options.threads = threads;
  options.header_timeout = 10s;
  options.idle_timeout = 30s;
  options.body_timeout = 30s;
  options.write_timeout = 30s;
  options.db_conninfo = conninfo;
  return options;
}

// Each vector on one keep-alive connection, then GET / on it.
void replay(const json::array& vectors, const boost::asio::ip::tcp::endpoint& server) {
  Client client(server);
  for (const json::value& entry : vectors) {
    const json::object& vector = entry.as_object();
    SCOPED_TRACE(std::string(vector.at("name").as_string()));
    std::string request(vector.at("method").as_string());
    request.append(" ").append(vector.at("target").as_string()).append(" HTTP/1.1\r\n");
    client.send(request + "Host: test\r\n\r\n");
    const Response response = client.read_response();
    EXPECT_EQ(response.status, vector.at("status").to_number<unsigned>());
    EXPECT_EQ(response.field("Content-Type"), vector.at("content_type").as_string());
    EXPECT_EQ(response.body, vector.at("body").as_string());
    if (const json::value* allow = vector.if_contains("allow")) {
      EXPECT_EQ(response.field("Allow"), allow->as_string());
    }
    EXPECT_FALSE(response.has_field("Connection"));
    ASSERT_EQ(client.get("/").status, 200u);
  }
}

// GET target on `client` until it answers `status`, for at most `limit`.
bool answers_within(Client& client, const std::string& target, unsigned status,
                    std::chrono::milliseconds limit) {
  const auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    if (client.get(target).status == status) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

TEST(CppStockDbRoutes, AnswersEveryDatabaseVector) {
  SKIP_WITHOUT_POSTGRESQL();
  RunningStock server(db_options(scratch_database().uri));
  replay(db_vectors().at("vectors").as_array(), server.endpoint());
}

TEST(CppStockDbRoutes, WithoutADatabaseTheRoutesAnswer503AndBadInputStill400) {
  RunningStock server(db_options(""));
  replay(db_vectors().at("without_database").as_array(), server.endpoint());
}

TEST(CppStockDbRoutes, ARowIsAnsweredWithTheStoresBytes) {
  SKIP_WITHOUT_POSTGRESQL();
  Options options = db_options(scratch_database().uri);
  options.live_mb = 1;
  RunningStock server(options);
  Client client(server.endpoint());
  for (const char* id : {"0", "7", "1023"}) {
    EXPECT_EQ(client.get(std::string("/db/users/") + id).body,
              client.get(std::string("/users/") + id).body);
  }
}

TEST(CppStockDbRoutes, HundredConcurrentSleepsShareAPoolOfFour) {
  SKIP_WITHOUT_POSTGRESQL();
  Options options = db_options(scratch_database().uri);
  options.db_pool = 4;
  RunningStock server(options);
  const auto start = Clock::now();
  std::vector<std::future<unsigned>> sleeps;
  for (int i = 0; i < 100; ++i) {
    sleeps.push_back(std::async(std::launch::async, [&server] {
      return Client(server.endpoint()).get("/db/sleep?ms=50").status;
    }));
  }
  for (auto& sleep : sleeps) EXPECT_EQ(sleep.get(), 200u);
  const auto took = Clock::now() - start;
  EXPECT_GE(took, 1250ms);  // 100 x 50 ms on 4 connections, at least
  EXPECT_LT(took, 5s);      // and not one at a time
}

TEST(CppStockDbRoutes, AKilledDatabaseAnswers503WhileTheRestServesAndRecoversOnRestart) {
  SKIP_WITHOUT_POSTGRESQL();
  auto& cluster = own_cluster();
  ASSERT_TRUE(cluster.start()) << cluster.error();
  RunningStock server(db_options(cluster.uri()));
  Client client(server.endpoint());
  ASSERT_EQ(client.get("/db/users/7").status, 200u);
  Client in_flight(server.endpoint());
  in_flight.send("GET /db/sleep?ms=5000 HTTP/1.1\r\nHost: test\r\n\r\n");
  std::this_thread::sleep_for(100ms);

  ASSERT_TRUE(cluster.kill()) << cluster.error();
  const auto killed = Clock::now();
  EXPECT_EQ(in_flight.read_response(3s).status, 503u);
  EXPECT_LT(Clock::now() - killed, 2s);
  EXPECT_TRUE(answers_within(client, "/db/users/7", 503, 2s));
  EXPECT_EQ(client.get("/").status, 200u);

  ASSERT_TRUE(cluster.start()) << cluster.error();
  EXPECT_TRUE(answers_within(client, "/db/users/7", 200, 5s));
}

TEST(CppStockDbBinary, ServesTheDatabaseRoutesAndExitsWithinTwoSecondsOfSigtermMidQuery) {
  SKIP_WITHOUT_POSTGRESQL();
  ChildProcess process(CPP_STOCK_BINARY, {"--port", "0", "--threads", "2", "--db",
                                          scratch_database().uri, "--db-pool", "2"});
  const std::string line = process.read_stdout_line(15s).value_or("");
  std::smatch match;
  ASSERT_TRUE(std::regex_match(line, match, std::regex(R"(listening on 127\.0\.0\.1:(\d+))")))
      << line;
  const boost::asio::ip::tcp::endpoint endpoint(boost::asio::ip::make_address("127.0.0.1"),
                                                static_cast<unsigned short>(std::stoi(match[1])));
  Client client(endpoint);
  EXPECT_EQ(client.get("/db/users/7").status, 200u);
  client.send("GET /db/sleep?ms=5000 HTTP/1.1\r\nHost: test\r\n\r\n");
  std::this_thread::sleep_for(100ms);
  const auto start = Clock::now();
  process.send_signal(SIGTERM);
  EXPECT_EQ(process.wait_for_exit(3s), 0);
  EXPECT_LT(Clock::now() - start, 2s);
}

}  // namespace
}  // namespace cpp_stock::testing
