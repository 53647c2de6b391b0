// The database routes over real sockets against a real PostgreSQL: every vector of
// contract/vectors/db.json, the pool under concurrency, a client leaving mid-query, the
// database killed and restarted, and the binary's start-up and shutdown with --db.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "cpp_server/store.hpp"
#include "pg_cluster.hpp"
#include "test_client.hpp"

namespace cpp_server::testing {
namespace {

namespace json = boost::json;
using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

json::value db_vectors() {
  const std::string path = std::string(CPP_SERVER_CONTRACT_DIR) + "/vectors/db.json";
  std::ifstream file(path, std::ios::binary);
  std::ostringstream text;
  text << file.rdbuf();
  return json::parse(text.str());
}

// Quick timeouts, but an idle timeout long enough for the waits below.
ServerOptions db_options(const std::string& conninfo, unsigned threads = 2) {
  ServerOptions options = quick_options();
  options.threads = threads;
  options.idle_timeout = 30s;
  options.body_timeout = 30s;
  options.write_timeout = 30s;
  options.header_timeout = 10s;
  options.db_conninfo = conninfo;
  return options;
}

// Sends each vector on one keep-alive connection and checks the answer, then GET / on it.
void replay(const json::array& vectors, const boost::asio::ip::tcp::endpoint& server) {
  Client client(server);
  for (const json::value& entry : vectors) {
    const json::object& vector = entry.as_object();
    SCOPED_TRACE(std::string(vector.at("name").as_string()));
    std::string request(vector.at("method").as_string());
    request.append(" ")
        .append(vector.at("target").as_string())
        .append(" HTTP/1.1\r\nHost: test\r\n\r\n");
    client.send(request);
    const Response response = client.read_response();
    EXPECT_EQ(response.status, vector.at("status").to_number<unsigned>());
    EXPECT_EQ(response.field("Content-Type"), vector.at("content_type").as_string());
    EXPECT_EQ(response.body, vector.at("body").as_string());
    if (const json::value* allow = vector.if_contains("allow")) {
      EXPECT_EQ(response.field("Allow"), allow->as_string());
    } else {
      EXPECT_FALSE(response.has_field("Allow"));
    }
    EXPECT_FALSE(response.has_field("Connection"));
    ASSERT_EQ(client.get("/").status, 200u);  // still open, and serving
  }
}

TEST(CppServerDbRoutes, AnswersEveryDatabaseVector) {
  SKIP_WITHOUT_POSTGRESQL();
  const json::value file = db_vectors();
  ASSERT_EQ(file.at("records").to_number<int>(), 1024);
  ASSERT_GE(file.at("vectors").as_array().size(), 14u);
  RunningServer server(db_options(scratch_database().uri));
  replay(file.at("vectors").as_array(), server.endpoint());
}

TEST(CppServerDbRoutes, AnswersEveryDatabaseVectorWithASharedContext) {
  SKIP_WITHOUT_POSTGRESQL();
  ServerOptions options = db_options(scratch_database().uri);
  options.io_model = IoModel::shared_context;
  RunningServer server(options);
  replay(db_vectors().at("vectors").as_array(), server.endpoint());
}

TEST(CppServerDbRoutes, WithoutADatabaseTheRoutesAnswer503AndBadInputStill400) {
  RunningServer server(db_options(""));
  replay(db_vectors().at("without_database").as_array(), server.endpoint());
}

TEST(CppServerDbRoutes, ClosingAndHttp10FramingHoldForDatabaseAnswers) {
  SKIP_WITHOUT_POSTGRESQL();
  RunningServer server(db_options(scratch_database().uri));
  Client closing(server.endpoint());
  const Response closed = closing.get("/db/users/7", "Connection: close\r\n");
  EXPECT_EQ(closed.status, 200u);
  EXPECT_EQ(closed.field("Connection"), "close");
  EXPECT_TRUE(closing.wait_for_close(1s));
  Client old(server.endpoint());
  old.send("GET /db/sleep?ms=1 HTTP/1.0\r\n\r\n");
  const Response answer = old.read_response();
  EXPECT_EQ(answer.version, 10u);
  EXPECT_EQ(answer.body, "Hello, World!");
  EXPECT_TRUE(old.wait_for_close(1s));
}

TEST(CppServerDbRoutes, FewerConnectionsThanWorkersServeEveryWorker) {
  SKIP_WITHOUT_POSTGRESQL();
  ServerOptions options = db_options(scratch_database().uri, 3);
  options.db_pool = 1;  // one pool, on the first worker; the other two use it too
  RunningServer server(options);
  std::vector<std::unique_ptr<Client>> clients;  // accepted round-robin: one on each worker, +1
  for (int i = 0; i < 4; ++i) clients.push_back(std::make_unique<Client>(server.endpoint()));
  for (auto& client : clients) {
    const Response response = client->get("/db/users/1023");
    EXPECT_EQ(response.status, 200u);
    EXPECT_EQ(response.body, record_json(make_record(1023)));
  }
}

TEST(CppServerDbRoutes, HundredConcurrentSleepsShareAPoolOfFour) {
  SKIP_WITHOUT_POSTGRESQL();
  ServerOptions options = db_options(scratch_database().uri, 2);
  options.db_pool = 4;
  RunningServer server(options);
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 100; ++i) clients.push_back(std::make_unique<Client>(server.endpoint()));
  const auto start = Clock::now();
  for (auto& client : clients) client->send("GET /db/sleep?ms=50 HTTP/1.1\r\nHost: test\r\n\r\n");
  for (auto& client : clients) {
    const Response response = client->read_response(10s);
    EXPECT_EQ(response.status, 200u);
    EXPECT_EQ(response.body, "Hello, World!");
  }
  const auto elapsed = Clock::now() - start;
  // 100 sleeps of 50 ms, 4 at a time: 1.25 s at best, and well inside the 5 s acquire timeout.
  EXPECT_GE(elapsed, 1200ms);
  EXPECT_LT(elapsed, 5s);
}

TEST(CppServerDbRoutes, AClientLeavingMidQueryLeavesItsConnectionReusable) {
  SKIP_WITHOUT_POSTGRESQL();
  ServerOptions options = db_options(scratch_database().uri, 1);
  options.db_pool = 1;
  RunningServer server(options);
  {
    Client leaving(server.endpoint());
    leaving.send("GET /db/sleep?ms=300 HTTP/1.1\r\nHost: test\r\n\r\n");
    std::this_thread::sleep_for(50ms);
  }  // gone while its query runs
  Client next(server.endpoint());
  const Response response = next.get("/db/users/7");
  EXPECT_EQ(response.status, 200u);
  EXPECT_EQ(response.body, record_json(make_record(7)));
  EXPECT_EQ(next.get("/db/sleep?ms=0").status, 200u);
}

// Polls `target` on `client` until it answers `status`, for up to `limit`.
bool answers_within(Client& client, const std::string& target, unsigned status,
                    std::chrono::milliseconds limit) {
  const auto start = Clock::now();
  for (;;) {
    if (client.get(target).status == status) return true;
    if (Clock::now() - start > limit) return false;
    std::this_thread::sleep_for(50ms);
  }
}

TEST(CppServerDbRoutes, AKilledDatabaseAnswers503WhileTheRestServesAndRecoversOnRestart) {
  SKIP_WITHOUT_POSTGRESQL();
  OwnCluster& cluster = own_cluster();
  ASSERT_TRUE(cluster.start()) << cluster.error();
  ServerOptions options = db_options(cluster.uri());
  options.live_mb = 1;
  RunningServer server(options);
  Client client(server.endpoint());
  ASSERT_EQ(client.get("/db/users/7").status, 200u);
  Client in_flight(server.endpoint());
  in_flight.send("GET /db/sleep?ms=5000 HTTP/1.1\r\nHost: test\r\n\r\n");
  std::this_thread::sleep_for(100ms);

  ASSERT_TRUE(cluster.kill()) << cluster.error();
  const auto killed = Clock::now();
  const Response cut = in_flight.read_response(3s);  // its connection went with the database
  EXPECT_EQ(cut.status, 503u);
  EXPECT_EQ(cut.body, "database unavailable");
  EXPECT_LT(Clock::now() - killed, 2s);
  ASSERT_TRUE(answers_within(client, "/db/users/7", 503, 2s));
  const Response user = client.get("/db/users/7");
  EXPECT_EQ(user.status, 503u);
  EXPECT_EQ(user.body, "database unavailable");
  EXPECT_EQ(client.get("/db/sleep?ms=1").status, 503u);
  EXPECT_EQ(client.get("/").status, 200u);
  EXPECT_EQ(client.get("/users/7").status, 200u);
  EXPECT_EQ(client.get("/db/users/abc").status, 400u);
  EXPECT_LT(Clock::now() - killed, 3s);  // failing fast, not after the 5 s acquire timeout

  ASSERT_TRUE(cluster.start()) << cluster.error();
  const auto restarted = Clock::now();
  EXPECT_TRUE(answers_within(client, "/db/users/7", 200, 5s));
  EXPECT_EQ(client.get("/db/users/7").body, record_json(make_record(7)));
  // The other worker's pool too (its requests try a connection as soon as they come).
  EXPECT_TRUE(answers_within(in_flight, "/db/sleep?ms=1", 200, 5s));
  EXPECT_LT(Clock::now() - restarted, 2s);
}

// The binary, on a free port, with its listening line (or none) within `timeout`.
struct Binary {
  explicit Binary(std::vector<std::string> args) : process(CPP_SERVER_BINARY, with_port(args)) {}
  static std::vector<std::string> with_port(std::vector<std::string> args) {
    args.insert(args.begin(), {"--port", "0", "--threads", "2"});
    return args;
  }
  boost::asio::ip::tcp::endpoint endpoint_from(const std::string& line) const {
    std::smatch match;
    if (!std::regex_match(line, match, std::regex(R"(listening on 127\.0\.0\.1:(\d+))"))) {
      throw std::runtime_error("not a listening line: " + line);
    }
    return {boost::asio::ip::make_address("127.0.0.1"),
            static_cast<unsigned short>(std::stoi(match[1]))};
  }
  ChildProcess process;
};

TEST(CppServerDbBinary, ServesTheDatabaseRoutes) {
  SKIP_WITHOUT_POSTGRESQL();
  Binary binary({"--db", scratch_database().uri, "--db-pool", "2", "--live-mb", "1"});
  const auto line = binary.process.read_stdout_line(10s);
  ASSERT_TRUE(line);
  Client client(binary.endpoint_from(*line));
  const Response database = client.get("/db/users/1023");
  EXPECT_EQ(database.status, 200u);
  EXPECT_EQ(database.body, client.get("/users/1023").body);  // the same bytes as the store's
}

TEST(CppServerDbBinary, TheReadyLineWaitsForTheDatabase) {
  SKIP_WITHOUT_POSTGRESQL();
  OwnCluster& cluster = own_cluster();
  ASSERT_TRUE(cluster.kill()) << cluster.error();
  Binary binary({"--db", cluster.uri()});
  EXPECT_FALSE(binary.process.read_stdout_line(1s)) << "ready before the database answered";
  ASSERT_TRUE(cluster.start()) << cluster.error();
  const auto line = binary.process.read_stdout_line(8s);
  ASSERT_TRUE(line) << "no listening line after the database came up";
  // Ready means ready on every worker: connections go to both in turn.
  for (int i = 0; i < 4; ++i) {
    Client client(binary.endpoint_from(*line));
    EXPECT_EQ(client.get("/db/sleep?ms=1").status, 200u) << "connection " << i;
  }
}

TEST(CppServerDbBinary, ADatabaseThatNeverAnswersExits1NamingIt) {
  const std::string port = std::to_string(free_port());
  const auto start = Clock::now();
  Binary binary({"--db", "postgresql://postgres@127.0.0.1:" + port + "/postgres"});
  EXPECT_EQ(binary.process.wait_for_exit(15s), 1);
  const auto elapsed = Clock::now() - start;
  EXPECT_GE(elapsed, 9500ms);  // it kept trying for the 10 s
  EXPECT_LT(elapsed, 12s);
  EXPECT_FALSE(binary.process.read_stdout_line(100ms)) << "printed a ready line";
  const std::string error = binary.process.read_all_stderr();
  EXPECT_THAT(error, HasSubstr("cpp-server: database postgresql://postgres@127.0.0.1:" + port +
                               "/postgres"));
  EXPECT_THAT(error, HasSubstr("refused"));
  EXPECT_EQ(error.find('\n'), error.size() - 1) << "one line: " << error;
}

TEST(CppServerDbBinary, SigtermWithAQueryRunningExitsWithinTwoSeconds) {
  SKIP_WITHOUT_POSTGRESQL();
  Binary binary({"--db", scratch_database().uri});
  const auto line = binary.process.read_stdout_line(10s);
  ASSERT_TRUE(line);
  Client client(binary.endpoint_from(*line));
  client.send("GET /db/sleep?ms=5000 HTTP/1.1\r\nHost: test\r\n\r\n");
  std::this_thread::sleep_for(100ms);
  const auto start = Clock::now();
  binary.process.send_signal(SIGTERM);
  EXPECT_EQ(binary.process.wait_for_exit(3s), 0);
  EXPECT_LT(Clock::now() - start, 2s);
}

}  // namespace
}  // namespace cpp_server::testing
