#include "loadgen/options.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "loadgen/engine.hpp"

namespace loadgen {
namespace {

using namespace std::chrono_literals;

Command parse(std::vector<const char*> args) {
  args.insert(args.begin(), "loadgen");
  return parse_command_line(static_cast<int>(args.size()), args.data());
}

// The message of the UsageError that parsing these arguments throws.
std::string usage_error(std::vector<const char*> args) {
  try {
    parse(std::move(args));
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(LoadgenCommandLine, ReadsEveryFlag) {
  const Options o = parse({"http://127.0.0.1:8080/user",
                           "-c",
                           "64",
                           "-t",
                           "2",
                           "-d",
                           "500ms",
                           "--rate",
                           "10k",
                           "--timeout",
                           "1s",
                           "--warmup",
                           "2s",
                           "--header",
                           "X-A: 1",
                           "--method",
                           "HEAD",
                           "--pipeline",
                           "4",
                           "--json",
                           "--max-error-rate",
                           "1%"})
                        .options;
  EXPECT_EQ(o.url.port, 8080);
  EXPECT_EQ(o.connections, 64);
  EXPECT_EQ(o.threads, 2);
  EXPECT_EQ(o.duration, 500ms);
  ASSERT_TRUE(o.rate.has_value());
  EXPECT_DOUBLE_EQ(*o.rate, 10'000);
  EXPECT_EQ(o.timeout, 1s);
  EXPECT_EQ(o.warmup, 2s);
  EXPECT_EQ(o.headers, std::vector<std::string>{"X-A: 1"});
  EXPECT_EQ(o.method, "HEAD");
  EXPECT_EQ(o.pipeline, 4);
  EXPECT_TRUE(o.json);
  ASSERT_TRUE(o.max_error_rate.has_value());
  EXPECT_DOUBLE_EQ(*o.max_error_rate, 0.01);
}

TEST(LoadgenCommandLine, DefaultsToAClosedTenSecondRun) {
  const Options o = parse({"http://127.0.0.1:8080/"}).options;
  EXPECT_EQ(o.connections, 10);
  EXPECT_EQ(o.duration, 10s);
  EXPECT_EQ(o.timeout, 2s);
  EXPECT_FALSE(o.rate.has_value());
  EXPECT_FALSE(o.json);
  EXPECT_FALSE(o.max_error_rate.has_value());
}

TEST(LoadgenCommandLine, HelpAndVersionPrintInsteadOfRunning) {
  EXPECT_NE(parse({"--help"}).print_and_exit->find("--rate"), std::string::npos);
  EXPECT_NE(parse({"--version"}).print_and_exit->find("loadgen"), std::string::npos);
}

TEST(LoadgenCommandLine, ErrorsNameTheFlag) {
  EXPECT_NE(usage_error({}).find("url"), std::string::npos);
  EXPECT_NE(usage_error({"http://h/", "-c", "0"}).find("--connections"), std::string::npos);
  EXPECT_NE(usage_error({"http://h/", "-c", "many"}).find("--connections"), std::string::npos);
  EXPECT_NE(usage_error({"http://h/", "-t", "0"}).find("--threads"), std::string::npos);
  EXPECT_NE(usage_error({"http://h/", "--rate", "fast"}).find("--rate"), std::string::npos);
  EXPECT_NE(usage_error({"http://h/", "-d", "10x"}).find("--duration"), std::string::npos);
  EXPECT_NE(usage_error({"http://h/", "-d", "0s"}).find("--duration"), std::string::npos);
  EXPECT_NE(usage_error({"http://h/", "--timeout", "0"}).find("--timeout"), std::string::npos);
  EXPECT_NE(usage_error({"http://h/", "--header", "no colon"}).find("--header"), std::string::npos);
  EXPECT_NE(usage_error({"http://h/", "--pipeline", "0"}).find("--pipeline"), std::string::npos);
  EXPECT_NE(usage_error({"http://h/", "--method", "GE T"}).find("--method"), std::string::npos);
  EXPECT_NE(usage_error({"http://h/", "--max-error-rate", "2"}).find("--max-error-rate"),
            std::string::npos);
  EXPECT_NE(usage_error({"http://h/", "--bogus"}).find("--bogus"), std::string::npos);
  EXPECT_NE(usage_error({"https://h/"}).find("URL"), std::string::npos);
}

TEST(LoadgenCommandLine, ReadsTheEngineAndTheStartTogetherFlags) {
  const Options o = parse({"http://127.0.0.1:8080/", "--engine", "uring", "--start-at",
                           "1767225600.25", "--max-start-late", "20ms", "--host-name", "gen1"})
                        .options;
  EXPECT_EQ(o.engine, Engine::uring);
  EXPECT_EQ(o.start_at, 1767225600.25);
  EXPECT_EQ(o.max_start_late, 20ms);
  EXPECT_EQ(o.host_name, "gen1");
  const Options part = parse({"http://127.0.0.1:8080/", "--part", "2/3"}).options;
  EXPECT_EQ(part.part_index, 1);
  EXPECT_EQ(part.part_count, 3);
  EXPECT_EQ(parse({"http://127.0.0.1:8080/", "--engine", "epoll"}).options.engine, Engine::epoll);
  // By default: the fastest engine the kernel allows (decided when the run starts), no wait.
  const Options d = parse({"http://127.0.0.1:8080/"}).options;
  EXPECT_FALSE(d.engine.has_value());
  EXPECT_FALSE(d.start_at.has_value());
  EXPECT_EQ(d.max_start_late, 100ms);
}

TEST(LoadgenCommandLine, BadEngineOrStartTimeNamesTheFlag) {
  EXPECT_EQ(usage_error({"http://127.0.0.1:8080/", "--engine", "kqueue"}),
            "--engine: 'kqueue' is not epoll or uring");
  EXPECT_EQ(usage_error({"http://127.0.0.1:8080/", "--start-at", "noon"}),
            "--start-at: 'noon' is not a time in Unix epoch seconds (e.g. 1767225600.25)");
  EXPECT_EQ(usage_error({"http://127.0.0.1:8080/", "--part", "3/2"}),
            "--part: '3/2' is not I/N with 1 <= I <= N (e.g. 2/3)");
  EXPECT_EQ(usage_error({"http://127.0.0.1:8080/", "--part", "1/2x"}),
            "--part: '1/2x' is not I/N with 1 <= I <= N (e.g. 2/3)");
  EXPECT_EQ(usage_error({"http://127.0.0.1:8080/", "--start-at", "-5"}),
            "--start-at: '-5' is not a time in Unix epoch seconds (e.g. 1767225600.25)");
}

TEST(LoadgenCommandLine, EachHeaderFlagTakesOneValue) {
  const Options o = parse({"-H", "X-A: 1", "http://127.0.0.1:8080/", "-H", "X-B: 2"}).options;
  EXPECT_EQ(o.url.port, 8080);
  EXPECT_EQ(o.headers, (std::vector<std::string>{"X-A: 1", "X-B: 2"}));
}

TEST(LoadgenSerialiseRequest, WritesRequestLineHostAndHeaders) {
  const Options o = parse({"http://127.0.0.1:8080/user", "-H", "X-A: 1"}).options;
  EXPECT_EQ(serialise_request(o), "GET /user HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nX-A: 1\r\n\r\n");
}

TEST(LoadgenSerialiseRequest, AGivenHostHeaderReplacesTheDefault) {
  const Options o = parse({"http://127.0.0.1:8080/", "-H", "host: example"}).options;
  EXPECT_EQ(serialise_request(o), "GET / HTTP/1.1\r\nhost: example\r\n\r\n");
}

TEST(LoadgenSpreadConnections, SpreadsTheRemainderOverTheFirstThreads) {
  EXPECT_EQ(spread_connections(5, 2), (std::vector<int>{3, 2}));
  EXPECT_EQ(spread_connections(64, 3), (std::vector<int>{22, 21, 21}));
  EXPECT_EQ(spread_connections(4, 4), (std::vector<int>{1, 1, 1, 1}));
}

TEST(LoadgenEffectiveThreads, NeverExceedsTheConnections) {
  Options o;
  o.connections = 3;
  o.threads = 8;
  EXPECT_EQ(effective_threads(o), 3);
  o.threads = 2;
  EXPECT_EQ(effective_threads(o), 2);
}

}  // namespace
}  // namespace loadgen
