// The cpp-stock-server binary: the listening line, exit codes, signals, the real defaults.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <regex>

#include "stock_support.hpp"

namespace cpp_stock::testing {
namespace {

using ::testing::HasSubstr;

// The binary on a free port, once its listening line is read.
class RunningBinary {
 public:
  explicit RunningBinary(std::vector<std::string> args = {})
      : process_(CPP_STOCK_BINARY, with_port_zero(std::move(args))) {
    line_ = process_.read_stdout_line(15s).value_or("(no line)");
    std::smatch match;
    if (std::regex_match(line_, match, std::regex(R"(listening on 127\.0\.0\.1:(\d+))"))) {
      port_ = static_cast<unsigned short>(std::stoi(match[1]));
    }
  }
  ChildProcess& process() { return process_; }
  const std::string& line() const { return line_; }
  boost::asio::ip::tcp::endpoint endpoint() const {
    return {boost::asio::ip::make_address("127.0.0.1"), port_};
  }
  unsigned short port() const { return port_; }

 private:
  static std::vector<std::string> with_port_zero(std::vector<std::string> args) {
    args.insert(args.begin(), {"--port", "0"});
    return args;
  }
  ChildProcess process_;
  std::string line_;
  unsigned short port_ = 0;
};

int thread_count(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Threads:", 0) == 0) return std::stoi(line.substr(8));
  }
  return -1;
}

TEST(CppStockBinary, PrintsTheListeningLineWithTheActualPortAndServes) {
  RunningBinary binary;
  ASSERT_NE(binary.port(), 0) << binary.line();
  EXPECT_EQ(Client(binary.endpoint()).get("/").body, "Hello, World!");
}

TEST(CppStockBinary, RunsTheIoContextOnThreadsThreadsBesideTheSignalWaiter) {
  RunningBinary binary({"--threads", "3"});
  ASSERT_NE(binary.port(), 0) << binary.line();
  EXPECT_EQ(thread_count(binary.process().pid()), 4);
}

TEST(CppStockBinary, LiveMbBuildsTheStoreBeforeTheReadyLine) {
  RunningBinary binary({"--live-mb", "2"});
  ASSERT_NE(binary.port(), 0) << binary.line();
  Client client(binary.endpoint());
  EXPECT_EQ(client.get("/users/2047").status, 200u);
  EXPECT_EQ(client.get("/users/2048").status, 404u);
}

TEST(CppStockBinary, BadArgumentsExitWithCode2AndOneLineNamingTheFlag) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
      {{"--port", "65536"}, "--port"},
      {{"--port", "eighty"}, "--port"},
      {{"--threads", "0"}, "--threads"},
      {{"--threads", "many"}, "--threads"},
      {{"--bind", "localhost"}, "--bind"},
      {{"--frobnicate"}, "--frobnicate"},
      {{"--live-mb", "4097"}, "--live-mb"},
      {{"--live-mb", "-1"}, "--live-mb"},
      {{"--live-mb", "1.5"}, "--live-mb"},
      {{"--live-mb", "lots"}, "--live-mb"},
      {{"--db-pool", "0"}, "--db-pool"},
      {{"--db-pool", "two"}, "--db-pool"},
      {{"--db", ""}, "--db"},
      {{"--db", "colour=blue"}, "--db"},
  };
  for (const auto& [args, flag] : cases) {
    SCOPED_TRACE(flag);
    ChildProcess process(CPP_STOCK_BINARY, args);
    EXPECT_EQ(process.wait_for_exit(5s), 2);
    const std::string text = process.read_all_stderr();
    EXPECT_THAT(text, HasSubstr(flag));
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << text;
  }
}

TEST(CppStockBinary, APortInUseExitsWith1) {
  RunningBinary first;
  ChildProcess second(CPP_STOCK_BINARY, {"--port", std::to_string(first.port())});
  EXPECT_EQ(second.wait_for_exit(5s), 1);
  EXPECT_THAT(second.read_all_stderr(), HasSubstr("cpp-stock-server: "));
}

TEST(CppStockBinary, SigtermFinishesTheRequestInFlightAndExits0Within2Seconds) {
  RunningBinary binary;
  ASSERT_NE(binary.port(), 0) << binary.line();
  Client idle(binary.endpoint());
  EXPECT_EQ(idle.get("/").status, 200u);
  Client busy(binary.endpoint());
  busy.send("GET /io?ms=600 HTTP/1.1\r\nHost: test\r\n\r\n");
  std::this_thread::sleep_for(100ms);
  const auto start = Clock::now();
  binary.process().send_signal(SIGTERM);
  const Response response = busy.read_response();
  EXPECT_EQ(response.status, 200u);
  EXPECT_EQ(response.field("Connection"), "close");
  EXPECT_EQ(binary.process().wait_for_exit(2s), 0);
  EXPECT_LT(Clock::now() - start, 2s);
}

TEST(CppStockBinary, SigintExits0AtOnceWhenNothingIsInFlight) {
  RunningBinary binary;
  ASSERT_NE(binary.port(), 0) << binary.line();
  Client idle(binary.endpoint());
  EXPECT_EQ(idle.get("/").status, 200u);
  const auto start = Clock::now();
  binary.process().send_signal(SIGINT);
  EXPECT_EQ(binary.process().wait_for_exit(2s), 0);
  EXPECT_LT(Clock::now() - start, 500ms);
}

TEST(CppStockBinary, AnUnreachableDatabaseExits1After10SecondsWithOneLineNamingIt) {
  const auto start = Clock::now();
  ChildProcess process(CPP_STOCK_BINARY,
                       {"--port", "0", "--db", "postgresql://postgres@127.0.0.1:1/postgres"});
  EXPECT_EQ(process.wait_for_exit(15s), 1);
  EXPECT_GE(Clock::now() - start, 9s);
  const std::string text = process.read_all_stderr();
  EXPECT_THAT(text, HasSubstr("database postgresql://postgres@127.0.0.1:1/postgres"));
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << text;
  EXPECT_FALSE(process.read_stdout_line(0ms).has_value());
}

}  // namespace
}  // namespace cpp_stock::testing
