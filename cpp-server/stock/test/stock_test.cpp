// The stock server over real sockets on 127.0.0.1: CONTRACT.md section 1, with the timeouts
// shortened (stock_support.hpp: header 300 ms, idle 600 ms).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>
#include <regex>
#include <thread>

#include "cpp_stock/handlers.hpp"
#include "stock_support.hpp"

namespace cpp_stock::testing {
namespace {

constexpr std::string_view kUserBody =
    R"({"id":42,"name":"Ada Lovelace","email":"ada@example.com","username":"ada","age":36,)"
    R"("active":true,"role":"admin","country":"GB","city":"London",)"
    R"("created_at":"2026-01-01T00:00:00Z","followers":1024,"tags":["math","computing"],)"
    R"("verified":true})";

class CppStockTest : public ::testing::Test {
 protected:
  RunningStock server_;
  Client connect() { return Client(server_.endpoint()); }
};

// --- Answers ---

TEST_F(CppStockTest, RootAnswersHelloWorldAsPlainText) {
  const Response response = connect().get("/");
  EXPECT_EQ(response.status, 200u);
  EXPECT_EQ(response.field("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(response.body, "Hello, World!");
}

TEST_F(CppStockTest, JsonAnswersTheMessageObject) {
  const Response response = connect().get("/json");
  EXPECT_EQ(response.status, 200u);
  EXPECT_EQ(response.field("Content-Type"), "application/json");
  EXPECT_EQ(response.body, R"({"message":"Hello, World!"})");
}

TEST_F(CppStockTest, UserAnswersTheThirteenFieldRecordWithTheTunedServersBytes) {
  const Response response = connect().get("/user");
  EXPECT_EQ(response.status, 200u);
  EXPECT_EQ(response.field("Content-Type"), "application/json");
  EXPECT_EQ(response.body, kUserBody);
}

TEST_F(CppStockTest, EveryAnswerCarriesServerDateAndContentLengthAndIsNotChunked) {
  Client client = connect();
  for (const char* target : {"/", "/json", "/user", "/io?ms=0", "/io?ms=x", "/nope"}) {
    SCOPED_TRACE(target);
    const Response response = client.get(target);
    EXPECT_EQ(response.field("Server"), "hellobench");
    EXPECT_TRUE(std::regex_match(
        response.field("Date"),
        std::regex(R"((Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|)"
                   R"(Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT)")))
        << response.field("Date");
    EXPECT_EQ(response.field("Content-Length"), std::to_string(response.body.size()));
    EXPECT_FALSE(response.has_field("Transfer-Encoding"));
    EXPECT_FALSE(response.has_field("Connection"));
  }
}

TEST(CppStockHttpDate, IsTheCurrentSecondInImfFixdate) {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char expected[64];
  std::strftime(expected, sizeof expected, "%a, %d %b %Y %H:%M:%S GMT", &utc);
  const std::string date = http_date();
  EXPECT_EQ(date.size(), 29u);
  // Equal unless the second turned between the two calls.
  if (std::time(nullptr) == now) {
    EXPECT_EQ(date, expected);
  }
}

TEST_F(CppStockTest, IoAnswersHelloAfterTheRequestedWait) {
  Client client = connect();
  const auto start = Clock::now();
  const Response response = client.get("/io?ms=100");
  EXPECT_GE(Clock::now() - start, 100ms);
  EXPECT_EQ(response.status, 200u);
  EXPECT_EQ(response.body, "Hello, World!");
}

TEST_F(CppStockTest, IoWaitsDoNotHoldTheOnlyThread) {
  std::vector<std::future<unsigned>> waits;
  const auto start = Clock::now();
  for (int i = 0; i < 16; ++i) {
    waits.push_back(
        std::async(std::launch::async, [this] { return connect().get("/io?ms=400").status; }));
  }
  for (auto& wait : waits) EXPECT_EQ(wait.get(), 200u);
  EXPECT_LT(Clock::now() - start, 1500ms);  // 16 x 400 ms one after another would be 6.4 s
}

TEST_F(CppStockTest, IoWithAWaitThatIsNotAnInteger0To10000Is400) {
  Client client = connect();
  for (const char* target :
       {"/io", "/io?ms=", "/io?ms=abc", "/io?ms=-1", "/io?ms=10001", "/io?ms=1.5", "/io?ms=+5"}) {
    SCOPED_TRACE(target);
    const Response response = client.get(target);
    EXPECT_EQ(response.status, 400u);
    EXPECT_EQ(response.body, "ms must be an integer 0..10000");
  }
}

TEST_F(CppStockTest, IoTakesTheFirstMsParameter) {
  Client client = connect();
  EXPECT_EQ(client.get("/io?x=1&ms=0&ms=abc").status, 200u);
}

TEST_F(CppStockTest, UnknownPathIs404AndPathsAreNotDecoded) {
  Client client = connect();
  for (const char* target : {"/nope", "/%6Ason", "/json/", "/users"}) {
    SCOPED_TRACE(target);
    const Response response = client.get(target);
    EXPECT_EQ(response.status, 404u);
    EXPECT_EQ(response.body, "Not Found");
  }
}

TEST_F(CppStockTest, AbsoluteFormTargetRoutesOnItsPath) {
  Client client = connect();
  EXPECT_EQ(client.get("http://test:8080/json").body, R"({"message":"Hello, World!"})");
  EXPECT_EQ(client.get("http://test").body, "Hello, World!");
}

TEST_F(CppStockTest, OtherMethodOnAKnownPathIs405WithAllow) {
  Client client = connect();
  client.send("POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n\r\nhello");
  Response response = client.read_response();
  EXPECT_EQ(response.status, 405u);
  EXPECT_EQ(response.field("Allow"), "GET");
  client.send("HEAD /json HTTP/1.1\r\nHost: test\r\n\r\n");
  EXPECT_EQ(client.read_response().status, 405u);
  client.send("GET /orders HTTP/1.1\r\nHost: test\r\n\r\n");
  response = client.read_response();
  EXPECT_EQ(response.status, 405u);
  EXPECT_EQ(response.field("Allow"), "POST");
  EXPECT_EQ(client.get("/").status, 200u);
}

TEST_F(CppStockTest, DatabaseRoutesWithoutADatabaseAre503AfterTheirOwnChecks) {
  Client client = connect();
  EXPECT_EQ(client.get("/db/users/7").status, 503u);
  EXPECT_EQ(client.get("/db/users/7").body, "database unavailable");
  EXPECT_EQ(client.get("/db/sleep?ms=10").status, 503u);
  EXPECT_EQ(client.get("/db/users/x").status, 400u);
  EXPECT_EQ(client.get("/db/users/1/x").status, 404u);
  EXPECT_EQ(client.get("/db/sleep?ms=x").status, 400u);
  client.send("POST /db/sleep?ms=1 HTTP/1.1\r\nHost: test\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(client.read_response().status, 405u);
}

// --- Connections ---

TEST_F(CppStockTest, KeepAliveServesManyRequestsOnOneConnection) {
  Client client = connect();
  for (int i = 0; i < 50; ++i) ASSERT_EQ(client.get(i % 2 ? "/json" : "/").status, 200u);
}

TEST_F(CppStockTest, ConnectionCloseIsAnsweredWithCloseThenClosed) {
  Client client = connect();
  const Response response = client.get("/", "Connection: close\r\n");
  EXPECT_EQ(response.status, 200u);
  EXPECT_EQ(response.field("Connection"), "close");
  EXPECT_TRUE(client.wait_for_close(1000ms));
}

TEST_F(CppStockTest, Http10WithoutKeepAliveGetsA10AnswerThenClosed) {
  Client client = connect();
  client.send("GET / HTTP/1.0\r\n\r\n");
  const Response response = client.read_response();
  EXPECT_EQ(response.status, 200u);
  EXPECT_EQ(response.version, 10u);
  EXPECT_FALSE(response.has_field("Connection"));
  EXPECT_TRUE(client.wait_for_close(1000ms));
}

TEST_F(CppStockTest, Http10WithKeepAliveStaysOpen) {
  Client client = connect();
  client.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  const Response response = client.read_response();
  EXPECT_EQ(response.field("Connection"), "keep-alive");
  client.send("GET /json HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  EXPECT_EQ(client.read_response().status, 200u);
}

TEST_F(CppStockTest, PipelinedRequestsAreAnsweredInOrder) {
  Client client = connect();
  client.send(
      "GET /io?ms=50 HTTP/1.1\r\nHost: test\r\n\r\nGET /json HTTP/1.1\r\nHost: test\r\n\r\n"
      "GET /user HTTP/1.1\r\nHost: test\r\n\r\nGET /nope HTTP/1.1\r\nHost: test\r\n\r\n");
  EXPECT_EQ(client.read_response().body, "Hello, World!");
  EXPECT_EQ(client.read_response().body, R"({"message":"Hello, World!"})");
  EXPECT_EQ(client.read_response().body, kUserBody);
  EXPECT_EQ(client.read_response().status, 404u);
}

TEST_F(CppStockTest, RequestSplitAcrossWritesIsServed) {
  Client client = connect();
  client.send("GET /js");
  std::this_thread::sleep_for(30ms);
  client.send("on HTTP/1.1\r\nHo");
  std::this_thread::sleep_for(30ms);
  client.send("st: test\r\n\r\n");
  EXPECT_EQ(client.read_response().status, 200u);
}

TEST_F(CppStockTest, BodyOfAGetIsReadAndTheNextRequestServed) {
  Client client = connect();
  client.send(
      "GET / HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n\r\nhelloGET /json HTTP/1.1\r\nHost: test\r\n\r\n");
  EXPECT_EQ(client.read_response().body, "Hello, World!");
  EXPECT_EQ(client.read_response().body, R"({"message":"Hello, World!"})");
}

// --- Limits ---

// A request of exactly `size` bytes up to and including the empty line that ends its header
// section, in fields of 100 bytes (as a browser's cookies would come).
std::string header_section_of(std::size_t size) {
  std::string request = "GET / HTTP/1.1\r\nHost: test\r\n";
  for (int i = 0; request.size() + 2 + 110 < size; ++i) {
    request += "X-Pad-" + std::to_string(1000 + i) + ": " + std::string(100, 'a') + "\r\n";
  }
  const std::size_t last = size - 2 - request.size() - std::string("X-Last: \r\n").size();
  request += "X-Last: " + std::string(last, 'b') + "\r\n";
  return request + "\r\n";
}

TEST_F(CppStockTest, HeaderSectionOfExactly8KiBIsServed) {
  Client client = connect();
  const std::string request = header_section_of(8192);
  ASSERT_EQ(request.size(), 8192u);
  client.send(request);
  EXPECT_EQ(client.read_response().status, 200u);
}

TEST_F(CppStockTest, HeaderSectionOver8KiBIs431ThenClosed) {
  for (const std::size_t size : {8193u, 9u * 1024u, 64u * 1024u}) {
    SCOPED_TRACE(size);
    Client client = connect();
    client.send(header_section_of(size));
    const Response response = client.read_response();
    EXPECT_EQ(response.status, 431u);
    EXPECT_EQ(response.field("Connection"), "close");
    EXPECT_TRUE(client.wait_for_close(1000ms));
  }
}

TEST_F(CppStockTest, OneFieldOver8KiBIs431ThenClosed) {
  Client client = connect();
  client.send("GET / HTTP/1.1\r\nHost: test\r\nX-Big: " + std::string(9000, 'a') + "\r\n\r\n");
  EXPECT_EQ(client.read_response().status, 431u);
  EXPECT_TRUE(client.wait_for_close(1000ms));
}

TEST_F(CppStockTest, MalformedRequestIs400ThenClosed) {
  Client client = connect();
  client.send("NOT AN HTTP REQUEST\r\n\r\n");
  const Response response = client.read_response();
  EXPECT_EQ(response.status, 400u);
  EXPECT_EQ(response.field("Connection"), "close");
  EXPECT_EQ(response.field("Server"), "hellobench");
  EXPECT_TRUE(client.wait_for_close(1000ms));
}

// RFC 9112 3.2 (contract/README.md, "Edges").
TEST_F(CppStockTest, Http11WithoutHostIs400ThenClosed) {
  Client client = connect();
  client.send("GET / HTTP/1.1\r\n\r\n");
  const Response response = client.read_response();
  EXPECT_EQ(response.status, 400u);
  EXPECT_EQ(response.field("Connection"), "close");
  EXPECT_EQ(response.field("Server"), "hellobench");
  EXPECT_TRUE(client.wait_for_close(1000ms));
}

TEST_F(CppStockTest, TwoHostFieldsAre400ThenClosed) {
  Client client = connect();
  client.send("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");
  EXPECT_EQ(client.read_response().status, 400u);
  EXPECT_TRUE(client.wait_for_close(1000ms));
}

TEST_F(CppStockTest, Http10WithoutHostIsServed) {
  Client client = connect();
  client.send("GET / HTTP/1.0\r\n\r\n");
  const Response response = client.read_response();
  EXPECT_EQ(response.status, 200u);
  EXPECT_EQ(response.body, "Hello, World!");
}

TEST_F(CppStockTest, MalformedInputOfManyKindsIs400AndNeverStopsTheServer) {
  const std::vector<std::string> inputs{
      std::string("\0\0\0\0\r\n\r\n", 8),
      "GET / HTTP/9.9\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: test\r\nContent-Length: -1\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: test\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "GET / HTTP/1.1\r\nHost: test\r\nBad Header\r\n\r\n",
  };
  for (const std::string& input : inputs) {
    Client client = connect();
    client.send(input);
    EXPECT_EQ(client.read_response().status, 400u) << input;
  }
  EXPECT_EQ(connect().get("/").status, 200u);
}

TEST_F(CppStockTest, BodyOver1MiBIs413ThenClosed) {
  Client client = connect();
  client.send("POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 1048577\r\n\r\n" +
              std::string(64 * 1024, 'x'));
  const Response response = client.read_response();
  EXPECT_EQ(response.status, 413u);
  EXPECT_EQ(response.body, "Payload Too Large");
  EXPECT_EQ(response.field("Connection"), "close");
  EXPECT_TRUE(client.wait_for_close(1000ms));
}

TEST_F(CppStockTest, BodyOf1MiBIsReadAndTheConnectionKept) {
  Client client = connect();
  client.send("POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 1048576\r\n\r\n" +
              std::string(1024 * 1024, 'x'));
  EXPECT_EQ(client.read_response().status, 405u);
  EXPECT_EQ(client.get("/").status, 200u);
}

// --- Timeouts ---

TEST_F(CppStockTest, IncompleteHeaderIsDroppedAtTheHeaderTimeout) {
  Client client = connect();
  client.send("GET / HTTP/1.1\r\nHost: te");
  const auto start = Clock::now();
  EXPECT_TRUE(client.wait_for_close(2000ms));
  const auto waited = Clock::now() - start;
  EXPECT_GE(waited, 250ms);
  EXPECT_LT(waited, 700ms);
}

TEST_F(CppStockTest, SilentNewConnectionIsDroppedAtTheHeaderTimeout) {
  Client client = connect();
  const auto start = Clock::now();
  EXPECT_TRUE(client.wait_for_close(2000ms));
  EXPECT_LT(Clock::now() - start, 700ms);
}

TEST(CppStockTimeouts, TricklingHeaderIsDroppedAtTheHeaderTimeoutNotRefreshedByEachByte) {
  Options options = quick_options();
  options.header_timeout = 1000ms;
  RunningStock server(options);
  Client client(server.endpoint());
  const auto start = Clock::now();
  client.send("GET / HTTP/1.1\r\n");
  for (int i = 0; i < 3; ++i) {
    std::this_thread::sleep_for(300ms);
    client.send("X");
  }
  EXPECT_TRUE(client.wait_for_close(3000ms));
  const auto waited = Clock::now() - start;
  EXPECT_GE(waited, 950ms);
  EXPECT_LT(waited, 1600ms);
}

// The body deadline is a total from the end of the header, not a gap between bytes, and the
// client gets no answer (contract/README.md, "Deadlines").
TEST(CppStockTimeouts, BodyTrickledIsDroppedAtTheBodyTimeoutWithNoAnswer) {
  Options options = quick_options();
  options.body_timeout = 1000ms;
  RunningStock server(options);
  Client client(server.endpoint());
  client.send(
      "POST /orders HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
      "Content-Length: 100\r\n\r\n");
  const auto start = Clock::now();
  for (int i = 0; i < 3; ++i) {  // a byte every 300 ms: each would restart a gap timeout
    std::this_thread::sleep_for(300ms);
    client.send(" ");
  }
  EXPECT_TRUE(client.wait_for_close(3000ms));  // no bytes before the close: no answer
  const auto waited = Clock::now() - start;
  EXPECT_GE(waited, 950ms);
  EXPECT_LT(waited, 1600ms);
}

TEST(CppStockTimeouts, ClientThatDoesNotReadIsDroppedAtTheWriteTimeout) {
  Options options = quick_options();
  options.write_timeout = 300ms;
  RunningStock server(options);
  const auto outcome = pipeline_and_stall(
      server.endpoint(), "GET /user HTTP/1.1\r\nHost: test\r\n\r\n", kStalledAnswers, 1500ms);
  EXPECT_TRUE(outcome.closed) << "the connection was still open 5 s after the stall";
  EXPECT_LT(outcome.answers, kStalledAnswers);
}

// The control for the test above: within the write timeout, the same stall loses nothing.
TEST(CppStockTimeouts, ClientThatReadsLateWithinTheWriteTimeoutGetsEveryAnswer) {
  Options options = quick_options();
  options.write_timeout = 10s;
  options.idle_timeout = 10s;
  RunningStock server(options);
  const auto outcome = pipeline_and_stall(
      server.endpoint(), "GET /user HTTP/1.1\r\nHost: test\r\n\r\n", kStalledAnswers, 1500ms);
  EXPECT_EQ(outcome.answers, kStalledAnswers);
}

// The handler's own time is not a connection deadline.
TEST(CppStockTimeouts, LongIoWaitIsNotCutByTheBodyOrWriteTimeout) {
  Options options = quick_options();
  options.body_timeout = 200ms;
  options.write_timeout = 200ms;
  RunningStock server(options);
  Client client(server.endpoint());
  EXPECT_EQ(client.get("/io?ms=800").status, 200u);
  std::this_thread::sleep_for(300ms);  // past the first request's deadlines, under the idle one
  EXPECT_EQ(client.get("/").status, 200u);
}

TEST_F(CppStockTest, IdleKeepAliveConnectionIsClosedAtTheIdleTimeout) {
  Client client = connect();
  EXPECT_EQ(client.get("/").status, 200u);
  const auto start = Clock::now();
  EXPECT_TRUE(client.wait_for_close(3000ms));
  const auto waited = Clock::now() - start;
  EXPECT_GE(waited, 550ms);
  EXPECT_LT(waited, 1100ms);
}

TEST_F(CppStockTest, NextRequestOnAKeepAliveConnectionGetsTheIdleTimeoutNotTheHeaderTimeout) {
  Client client = connect();
  EXPECT_EQ(client.get("/").status, 200u);
  std::this_thread::sleep_for(450ms);  // past the 300 ms header timeout, under the 600 ms idle
  EXPECT_EQ(client.get("/").status, 200u);
}

TEST_F(CppStockTest, LongIoWaitIsNotCutByTheHeaderOrIdleTimeout) {
  EXPECT_EQ(connect().get("/io?ms=800").status, 200u);
}

// --- Lifecycle ---

TEST(CppStockLifecycle, StopClosesIdleConnectionsAndReturnsAtOnce) {
  RunningStock server;
  Client client(server.endpoint());
  EXPECT_EQ(client.get("/").status, 200u);
  const auto start = Clock::now();
  server.server().stop();
  server.server().wait();
  EXPECT_LT(Clock::now() - start, 500ms);
  EXPECT_TRUE(client.wait_for_close(1000ms));
}

TEST(CppStockLifecycle, StopLetsARequestInFlightFinishWithConnectionClose) {
  RunningStock server;
  Client client(server.endpoint());
  client.send("GET /io?ms=300 HTTP/1.1\r\nHost: test\r\n\r\n");
  std::this_thread::sleep_for(50ms);
  server.server().stop();
  const Response response = client.read_response();
  EXPECT_EQ(response.status, 200u);
  EXPECT_EQ(response.field("Connection"), "close");
  EXPECT_TRUE(client.wait_for_close(500ms));
  server.server().wait();
}

TEST(CppStockLifecycle, StopCutsARequestThatOutlastsTheGracePeriod) {
  Options options = quick_options();
  options.shutdown_grace = 200ms;
  RunningStock server(options);
  Client client(server.endpoint());
  client.send("GET /io?ms=5000 HTTP/1.1\r\nHost: test\r\n\r\n");
  std::this_thread::sleep_for(50ms);
  const auto start = Clock::now();
  server.server().stop();
  server.server().wait();
  EXPECT_LT(Clock::now() - start, 1000ms);
  EXPECT_TRUE(client.wait_for_close(500ms));
}

TEST(CppStockLifecycle, StopRefusesNewConnections) {
  RunningStock server;
  server.server().stop();
  server.server().wait();
  EXPECT_THROW(Client client(server.endpoint()), boost::system::system_error);
}

TEST(CppStockLifecycle, BindingAPortInUseThrows) {
  RunningStock first;
  Options options = quick_options();
  options.port = first.endpoint().port();
  EXPECT_THROW(Server server(options), boost::system::system_error);
}

TEST(CppStockLifecycle, ListensOnIpv6LoopbackWhenAsked) {
  Options options = quick_options();
  options.bind_address = boost::asio::ip::make_address("::1");
  std::unique_ptr<RunningStock> server;
  try {
    server = std::make_unique<RunningStock>(options);
  } catch (const boost::system::system_error&) {
    GTEST_SKIP() << "no IPv6 loopback on this machine";
  }
  EXPECT_EQ(Client(server->endpoint()).get("/").status, 200u);
}

TEST(CppStockThreads, ManyClientsOnSeveralThreadsAreAllServed) {
  Options options = quick_options();
  options.threads = 3;
  RunningStock server(options);
  std::vector<std::future<int>> clients;
  for (int c = 0; c < 8; ++c) {
    clients.push_back(std::async(std::launch::async, [&server] {
      Client client(server.endpoint());
      int ok = 0;
      for (int i = 0; i < 200; ++i) ok += client.get(i % 3 == 0 ? "/user" : "/").status == 200u;
      return ok;
    }));
  }
  for (auto& client : clients) EXPECT_EQ(client.get(), 200);
}

}  // namespace
}  // namespace cpp_stock::testing
