// The real cpp-server binary: the listening line, exit codes, signals.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <regex>
#include <thread>

#include "test_client.hpp"

namespace cpp_server::testing {
namespace {

using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

// Starts the binary on a free port and waits for its listening line.
class RunningBinary {
 public:
  explicit RunningBinary(std::vector<std::string> args = {})
      : process_(CPP_SERVER_BINARY, with_port_zero(args)) {
    line_ = process_.read_stdout_line(5s).value_or("(no line)");
    std::smatch match;
    if (std::regex_match(line_, match, std::regex(R"(listening on 127\.0\.0\.1:(\d+))"))) {
      port_ = static_cast<unsigned short>(std::stoi(match[1]));
    }
  }
  ChildProcess& process() { return process_; }
  const std::string& line() const { return line_; }
  unsigned short port() const { return port_; }
  boost::asio::ip::tcp::endpoint endpoint() const {
    return {boost::asio::ip::make_address("127.0.0.1"), port_};
  }

 private:
  static std::vector<std::string> with_port_zero(std::vector<std::string> args) {
    args.insert(args.begin(), {"--port", "0"});
    return args;
  }
  ChildProcess process_;
  std::string line_;
  unsigned short port_ = 0;
};

// Runs the binary with arguments that must be rejected; returns exit code and stderr.
std::pair<std::optional<int>, std::string> run_rejected(const std::vector<std::string>& args) {
  ChildProcess process(CPP_SERVER_BINARY, args);
  auto code = process.wait_for_exit(5s);
  return {code, process.read_all_stderr()};
}

TEST(CppServerBinary, PrintsTheListeningLineWithTheActualPortAndServes) {
  RunningBinary binary;
  ASSERT_NE(binary.port(), 0) << binary.line();
  Client client(binary.endpoint());
  EXPECT_EQ(client.get("/").body, "Hello, World!");
}

TEST(CppServerBinary, HonoursThreadsAndIoModelFlags) {
  RunningBinary binary({"--threads", "2", "--io-model", "shared"});
  ASSERT_NE(binary.port(), 0) << binary.line();
  Client client(binary.endpoint());
  EXPECT_EQ(client.get("/json").status, 200u);
}

TEST(CppServerBinary, BadArgumentsExitWithCode2AndOneLineNamingTheFlag) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
      {{"--port", "65536"}, "--port"},     {{"--port", "eighty"}, "--port"},
      {{"--threads", "0"}, "--threads"},   {{"--bind", "not-an-address"}, "--bind"},
      {{"--frobnicate"}, "--frobnicate"},  {{"--live-mb", "4097"}, "--live-mb"},
      {{"--live-mb", "-1"}, "--live-mb"},  {{"--live-mb", "lots"}, "--live-mb"},
      {{"--db-pool", "0"}, "--db-pool"},   {{"--db-pool", "1025"}, "--db-pool"},
      {{"--db-pool", "two"}, "--db-pool"}, {{"--db", ""}, "--db"},
      {{"--db", "host=x port"}, "--db"},   {{"--db", "colour=blue"}, "--db"},
  };
  for (const auto& [args, flag] : cases) {
    const auto [code, stderr_text] = run_rejected(args);
    EXPECT_EQ(code, 2) << flag;
    EXPECT_THAT(stderr_text, HasSubstr(flag));
    ASSERT_FALSE(stderr_text.empty()) << flag;
    EXPECT_EQ(stderr_text.find('\n'), stderr_text.size() - 1) << "one line: " << stderr_text;
  }
}

TEST(CppServerBinary, LiveMbBuildsTheStoreBeforeTheListeningLine) {
  RunningBinary binary({"--live-mb", "1"});
  ASSERT_NE(binary.port(), 0) << binary.line();
  Client client(binary.endpoint());
  const Response last = client.get("/users/1023");
  EXPECT_EQ(last.status, 200u);
  EXPECT_EQ(last.body.rfind(R"({"id":1023,"name":"user-1023",)", 0), 0u) << last.body;
  EXPECT_EQ(client.get("/users/1024").status, 404u);
}

TEST(CppServerBinary, HelpExitsZero) {
  ChildProcess process(CPP_SERVER_BINARY, {"--help"});
  EXPECT_EQ(process.wait_for_exit(5s), 0);
}

TEST(CppServerBinary, PortInUseExitsWithCode1) {
  RunningBinary first;
  ASSERT_NE(first.port(), 0);
  ChildProcess second(CPP_SERVER_BINARY, {"--port", std::to_string(first.port())});
  EXPECT_EQ(second.wait_for_exit(5s), 1);
  EXPECT_THAT(second.read_all_stderr(), HasSubstr("cpp-server: "));
}

TEST(CppServerBinary, SigtermExitsZeroWithinTwoSeconds) {
  RunningBinary binary;
  ASSERT_NE(binary.port(), 0);
  Client idle(binary.endpoint());
  EXPECT_EQ(idle.get("/").status, 200u);  // an open keep-alive connection must not hold it up
  const auto start = Clock::now();
  binary.process().send_signal(SIGTERM);
  EXPECT_EQ(binary.process().wait_for_exit(2s), 0);
  EXPECT_LT(Clock::now() - start, 2s);
}

TEST(CppServerBinary, SigintExitsZero) {
  RunningBinary binary;
  ASSERT_NE(binary.port(), 0);
  binary.process().send_signal(SIGINT);
  EXPECT_EQ(binary.process().wait_for_exit(2s), 0);
}

TEST(CppServerBinary, SigtermLetsARequestInFlightFinish) {
  RunningBinary binary;
  ASSERT_NE(binary.port(), 0);
  Client client(binary.endpoint());
  client.send("GET /io?ms=400 HTTP/1.1\r\nHost: test\r\n\r\n");
  std::this_thread::sleep_for(100ms);
  binary.process().send_signal(SIGTERM);
  const Response response = client.read_response();
  EXPECT_EQ(response.status, 200u);
  EXPECT_EQ(response.body, "Hello, World!");
  EXPECT_EQ(response.field("Connection"), "close");
  EXPECT_EQ(binary.process().wait_for_exit(2s), 0);
}

TEST(CppServerBinary, StopsAcceptingAfterSigterm) {
  RunningBinary binary;
  ASSERT_NE(binary.port(), 0);
  binary.process().send_signal(SIGTERM);
  ASSERT_EQ(binary.process().wait_for_exit(2s), 0);
  EXPECT_THROW(Client client(binary.endpoint()), boost::system::system_error);
}

}  // namespace
}  // namespace cpp_server::testing
