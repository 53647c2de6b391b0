// Requests as data against real responders: placeholders drawn from seeded distributions,
// the overhead beyond the wait each request asked for, weighted mixes with per-target results.
// Each test drives a second of load or less; expectations are worked out in the comments.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "engines.hpp"
#include "loadgen/distribution.hpp"
#include "loadgen/draws.hpp"
#include "loadgen/engine.hpp"
#include "responders.hpp"

namespace loadgen {
namespace {

using namespace std::chrono_literals;
using test::Behaviour;
using test::Responder;

class LoadgenOverhead : public test::EngineTest {};
class LoadgenSeed : public test::EngineTest {
 protected:
  // The request lines one responder received from one loadgen run.
  std::vector<std::string> lines_received(Behaviour behaviour,
                                          std::vector<const char*> flags) const {
    behaviour.keep_request_lines = 100'000;
    Responder responder(behaviour);
    run(options(responder.url("/users/{id}"), flags));
    return responder.request_lines();
  }
};
class LoadgenTargetMix : public test::EngineTest {};
class LoadgenBody : public test::EngineTest {};
LOADGEN_TEST_EACH_ENGINE(LoadgenOverhead);
LOADGEN_TEST_EACH_ENGINE(LoadgenSeed);
LOADGEN_TEST_EACH_ENGINE(LoadgenTargetMix);
LOADGEN_TEST_EACH_ENGINE(LoadgenBody);

double ms(std::int64_t ns) { return static_cast<double>(ns) / 1e6; }

// A targets file in a scratch folder, removed at the end of the test.
class TargetsFile {
 public:
  explicit TargetsFile(const std::string& json) {
    char name[] = "/tmp/loadgen-engine-targets-XXXXXX";
    dir_ = mkdtemp(name);
    std::ofstream(dir_ / "mix.json") << json;
  }
  ~TargetsFile() { std::filesystem::remove_all(dir_); }
  std::string path() const { return (dir_ / "mix.json").string(); }
  void add(const std::string& name, const std::string& text) const {
    std::ofstream(dir_ / name, std::ios::binary) << text;
  }

 private:
  std::filesystem::path dir_;
};

TEST_P(LoadgenOverhead, IsTheLatencyBeyondTheWaitAskedFor) {
  // The responder answers /io?ms=N after N ms (a timer from the request's arrival).
  Responder responder(Behaviour{});
  const std::string path = "/io?ms={wait}";
  const RunResult r = run(options(responder.url(path), {"-c", "32", "-t", "1", "-d", "1s", "--rate",
                                                        "500", "--wait", "uniform:20ms:40ms"}));
  // 500 requests due 2 ms apart, each asking 20..40 ms (median 30 ms); ~15 in flight on 32
  // connections, so none waits for a connection.
  EXPECT_EQ(r.requests + r.unsent, 500u);
  EXPECT_GE(r.requests, 450u);
  ASSERT_TRUE(r.has_overhead);
  EXPECT_EQ(r.overhead_ns.total_count(), r.requests);
  // Latency = wait + overhead: its median is the waits' median, 30 ms (the sample median of
  // ~500 uniform draws is within 1 ms of it: SE 0.45 ms), plus a fraction of a millisecond.
  EXPECT_GE(ms(r.latency_ns.value_at_percentile(50)), 29);
  EXPECT_LE(ms(r.latency_ns.value_at_percentile(50)), 33);
  // Overhead: loopback and two event loops, tens to hundreds of microseconds.
  EXPECT_LT(ms(r.overhead_ns.value_at_percentile(50)), 2);
  // The responder's timer starts when the request arrives, after it was due: never early.
  EXPECT_EQ(r.overhead_clamped, 0u);
  EXPECT_GE(r.overhead_ns.min(), 0);
}

TEST_P(LoadgenOverhead, AnswersBeforeTheWaitAreClampedToZeroAndCounted) {
  // A server whose timer fires early: /io?ms=40 answered after 10 ms, 30 ms before its wait.
  Responder responder(Behaviour{.io_wait_factor = 0.25});
  const RunResult r = run(options(responder.url("/io?ms={wait}"),
                                  {"-c", "4", "-t", "1", "-d", "300ms", "--wait", "const:40ms"}));
  // 4 connections, one answer per ~10 ms each: ~120 requests, each answered ~30 ms early.
  ASSERT_GE(r.requests, 40u);
  EXPECT_EQ(r.overhead_clamped, r.requests);
  EXPECT_EQ(r.overhead_ns.total_count(), r.requests);
  EXPECT_EQ(r.overhead_ns.max(), 0);
  EXPECT_GE(ms(r.latency_ns.value_at_percentile(50)), 10);
}

TEST_P(LoadgenOverhead, OnlyRequestsWithAWaitHaveOne) {
  Responder responder(Behaviour{});
  const RunResult r =
      run(options(responder.url("/"), {"-c", "1", "-d", "100ms", "--wait", "const:1ms"}));
  EXPECT_FALSE(r.has_overhead);  // the path holds no {wait}
  EXPECT_EQ(r.overhead_ns.total_count(), 0u);
}

bool is_prefix(const std::vector<std::string>& shorter, const std::vector<std::string>& longer) {
  return shorter.size() <= longer.size() &&
         std::equal(shorter.begin(), shorter.end(), longer.begin());
}

TEST_P(LoadgenSeed, EveryServerGetsTheSameSequenceInTheClosedLoop) {
  const std::vector<const char*> flags = {
      "-c", "1", "-t", "1", "-d", "300ms", "--id", "uniform:0:102399", "--seed", "7"};
  const auto fast = lines_received(Behaviour{}, flags);
  const auto slow = lines_received(Behaviour{.delay = 2ms}, flags);
  // A slower server gets fewer requests (one per ~2 ms: ~150), but the same ones, in order.
  ASSERT_GE(slow.size(), 50u);
  EXPECT_GT(fast.size(), slow.size());
  EXPECT_TRUE(is_prefix(slow, fast));
  // Request n of connection 0 draws id from stream (seed 7, connection 0) at index n.
  const auto ids = Distribution::parse("uniform:0:102399");
  const auto key = draws::name_key(draws::stream_key(7, draws::StreamKind::connection, 0), "id");
  for (std::size_t n = 0; n < 3; ++n)
    EXPECT_EQ(slow[n], "GET /users/" + std::to_string(ids.draw(draws::bits(key, n))) + " HTTP/1.1");

  auto other_seed = flags;
  other_seed.back() = "8";
  const auto other = lines_received(Behaviour{}, other_seed);
  ASSERT_GE(other.size(), 3u);
  EXPECT_NE(std::vector(other.begin(), other.begin() + 3),
            std::vector(slow.begin(), slow.begin() + 3));
}

TEST_P(LoadgenSeed, EveryServerGetsTheSameSequenceInTheOpenLoop) {
  // One connection, due every 5 ms: requests leave in due order, request n draws at index n of
  // the thread's stream, whatever the answers' timing.
  const std::vector<const char*> flags = {"-c",    "1",      "-t",  "1",    "-d",
                                          "300ms", "--rate", "200", "--id", "uniform:0:102399"};
  const auto fast = lines_received(Behaviour{}, flags);
  const auto slow = lines_received(Behaviour{.delay = 3ms}, flags);
  ASSERT_GE(slow.size(), 50u);
  const auto& shorter = fast.size() < slow.size() ? fast : slow;
  const auto& longer = fast.size() < slow.size() ? slow : fast;
  EXPECT_TRUE(is_prefix(shorter, longer));
  const auto ids = Distribution::parse("uniform:0:102399");
  const auto key =
      draws::name_key(draws::stream_key(draws::kDefaultSeed, draws::StreamKind::thread, 0), "id");
  EXPECT_EQ(fast[0], "GET /users/" + std::to_string(ids.draw(draws::bits(key, 0))) + " HTTP/1.1");
}

TEST_P(LoadgenSeed, APartDrawsWhatItsShareOfOneLargerGeneratorWould) {
  // Part 2 of 2, one connection and one thread each: it is connection 1 and thread 1 of a
  // generator with 2 of each, so its requests draw from those streams.
  const auto ids = Distribution::parse("uniform:0:102399");
  const auto closed = lines_received(Behaviour{}, {"-c", "1", "-t", "1", "-d", "100ms", "--id",
                                                   "uniform:0:102399", "--part", "2/2"});
  const auto closed_key = draws::name_key(
      draws::stream_key(draws::kDefaultSeed, draws::StreamKind::connection, 1), "id");
  ASSERT_GE(closed.size(), 2u);
  for (std::size_t n = 0; n < 2; ++n)
    EXPECT_EQ(closed[n],
              "GET /users/" + std::to_string(ids.draw(draws::bits(closed_key, n))) + " HTTP/1.1");
  const auto open =
      lines_received(Behaviour{}, {"-c", "1", "-t", "1", "-d", "100ms", "--rate", "200", "--id",
                                   "uniform:0:102399", "--part", "2/2"});
  const auto open_key =
      draws::name_key(draws::stream_key(draws::kDefaultSeed, draws::StreamKind::thread, 1), "id");
  ASSERT_GE(open.size(), 2u);
  EXPECT_EQ(open[0],
            "GET /users/" + std::to_string(ids.draw(draws::bits(open_key, 0))) + " HTTP/1.1");
}

TEST_P(LoadgenTargetMix, HonoursTheWeightsAndReportsEachTarget) {
  TargetsFile file(R"({"requests":[
    {"name":"read","weight":80,"path":"/a/{id}"},
    {"name":"write","weight":20,"method":"POST","path":"/b","body_file":"b.json"}]})");
  file.add("b.json", "{\"x\":1}");
  Responder responder(Behaviour{.keep_request_lines = 100'000});
  const RunResult r =
      run(options(responder.url(), {"-c", "4", "-t", "1", "-d", "500ms", "--targets",
                                    file.path().c_str(), "--id", "uniform:0:9"}));
  ASSERT_EQ(r.targets.size(), 2u);
  EXPECT_EQ(r.targets[0].name, "read");
  EXPECT_EQ(r.targets[1].method, "POST");
  EXPECT_EQ(r.targets[0].requests + r.targets[1].requests, r.requests);
  EXPECT_EQ(r.targets[0].latency_ns.total_count(), r.targets[0].requests);
  EXPECT_EQ(r.errors.total(), 0u);
  ASSERT_GE(r.requests, 1000u);
  // The share of "read" is 0.8 with SE sqrt(0.16 / n) <= 0.013: within 4 SE.
  const double share = static_cast<double>(r.targets[0].requests) / static_cast<double>(r.requests);
  EXPECT_NEAR(share, 0.8, 4 * std::sqrt(0.16 / static_cast<double>(r.requests)));
  // What the responder received agrees, request by request.
  std::uint64_t reads = 0, writes = 0;
  for (const auto& line : responder.request_lines()) {
    reads += line.starts_with("GET /a/");
    writes += line == "POST /b HTTP/1.1";
  }
  EXPECT_EQ(reads, r.targets[0].requests);
  EXPECT_EQ(writes, r.targets[1].requests);
}

TEST_P(LoadgenTargetMix, ErrorsAreCountedPerTarget) {
  TargetsFile file(R"({"requests":[{"name":"a","path":"/a"},{"name":"b","path":"/b"}]})");
  Responder responder(Behaviour{.close_every = 5, .close_abruptly = true});
  const RunResult r = run(options(
      responder.url(), {"-c", "2", "-t", "1", "-d", "500ms", "--targets", file.path().c_str()}));
  // Each abrupt close loses the request sent after the 5th answer: read or write errors, each
  // charged to the target of the request lost.
  const auto lost = r.errors.read + r.errors.write;
  ASSERT_GE(lost, 10u);
  std::uint64_t per_target = 0;
  for (const auto& t : r.targets) {
    per_target += t.errors.read + t.errors.write;
    EXPECT_EQ(t.errors.connect, 0u);
  }
  EXPECT_EQ(per_target, lost);
}

TEST_P(LoadgenTargetMix, HeadAndGetMixOnOneConnection) {
  TargetsFile file(R"({"requests":[{"name":"get","path":"/"},
                                   {"name":"head","method":"HEAD","path":"/"}]})");
  Responder responder(Behaviour{});
  const RunResult r =
      run(options(responder.url(), {"-c", "1", "-t", "1", "-d", "200ms", "--pipeline", "4",
                                    "--targets", file.path().c_str()}));
  // A HEAD answer carries Content-Length: 13 and no body; reading 13 bytes for it would eat
  // the next answer's head and fail the parse.
  EXPECT_GT(r.targets[1].requests, 10u);
  EXPECT_GT(r.targets[0].requests, 10u);
  EXPECT_EQ(r.errors.total(), 0u);
  EXPECT_EQ(r.requests, responder.answers_sent());
}

TEST_P(LoadgenBody, IsSentWithItsLength) {
  TargetsFile file("{}");
  file.add("body.json", "{\"customer_id\":{id}}");
  Responder responder(Behaviour{});
  const std::string body = std::filesystem::path(file.path()).parent_path() / "body.json";
  run(options(responder.url("/orders"), {"-c", "1", "-d", "100ms", "-m", "POST", "--body",
                                         body.c_str(), "--id", "const:42"}));
  EXPECT_EQ(responder.first_request(),
            "POST /orders HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(responder.port()) +
                "\r\nContent-Length: 18\r\n\r\n{\"customer_id\":42}");
}

}  // namespace
}  // namespace loadgen
