// "No allocation per request": counts every operator new in the process while loadgen runs
// against a responder, for a short and a three times longer run. Setting up (threads,
// connections, histograms) allocates; the extra requests of the longer run must not.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <new>

#include "engines.hpp"
#include "loadgen/engine.hpp"
#include "responders.hpp"

namespace {
std::atomic<std::uint64_t> g_allocations{0};
}  // namespace

void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
// GCC sees free() on what it takes for the built-in operator new when it inlines gtest's
// parameterised fixtures; the replacement above allocates with malloc, so free is its match.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace loadgen {
namespace {

struct Counted {
  std::uint64_t requests;
  std::uint64_t allocations;
};

Counted run_counted(Engine engine, const test::Responder& responder, const char* duration,
                    const char* rate, std::vector<const char*> extra = {},
                    const std::string& path = "/") {
  const std::string url = responder.url(path);
  std::vector<const char*> args = {
      "loadgen", url.c_str(), "-c",     "4",        "-t",
      "1",       "-d",        duration, "--engine", engine_name(engine)};
  if (rate) args.insert(args.end(), {"--rate", rate});
  args.insert(args.end(), extra.begin(), extra.end());
  const Options options = parse_command_line(static_cast<int>(args.size()), args.data()).options;
  const auto before = g_allocations.load();
  const RunResult result = run(options);
  return {result.requests, g_allocations.load() - before};
}

class LoadgenAllocation : public test::EngineTest {};
LOADGEN_TEST_EACH_ENGINE(LoadgenAllocation);

TEST_P(LoadgenAllocation, ClosedLoopRequestsDoNotAllocate) {
  test::Responder responder(test::Behaviour{});
  const Counted short_run = run_counted(GetParam(), responder, "200ms", nullptr);
  const Counted long_run = run_counted(GetParam(), responder, "600ms", nullptr);
  ASSERT_GT(long_run.requests, 5000u);  // thousands of requests, yet no more allocations
  // The responder (coroutines, in this process) may allocate a little; far below one per request.
  EXPECT_LT(long_run.allocations, short_run.allocations + 100)
      << short_run.allocations << " allocations for " << short_run.requests << " requests, "
      << long_run.allocations << " for " << long_run.requests;
}

TEST_P(LoadgenAllocation, OpenLoopRequestsDoNotAllocate) {
  test::Responder responder(test::Behaviour{});
  const Counted short_run = run_counted(GetParam(), responder, "200ms", "5000");
  const Counted long_run = run_counted(GetParam(), responder, "600ms", "5000");
  ASSERT_GT(long_run.requests, short_run.requests + 1000);  // 5000/s for 400 ms more: ~2000
  EXPECT_LT(long_run.allocations, short_run.allocations + 100)
      << short_run.allocations << " allocations for " << short_run.requests << " requests, "
      << long_run.allocations << " for " << long_run.requests;
}

// Placeholders drawn per request, a weighted mix of targets, overhead and per-target
// histograms: each request is rendered into its connection's buffer, allocated once.
class LoadgenAllocationWithPlaceholders : public test::EngineTest {
 protected:
  void SetUp() override {
    test::EngineTest::SetUp();
    if (IsSkipped()) return;
    char name[] = "/tmp/loadgen-allocation-XXXXXX";
    dir_ = mkdtemp(name);
    std::ofstream(dir_ / "body.json") << "{\"customer_id\":{id}}";
    std::ofstream(dir_ / "mix.json") << R"({"requests":[
        {"name":"io","weight":2,"path":"/io?ms={wait}&id={id}"},
        {"name":"order","method":"POST","path":"/orders","body_file":"body.json"}]})";
    mix_ = (dir_ / "mix.json").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::vector<const char*> flags() const {
    return {"--targets", mix_.c_str(), "--wait", "const:0ms", "--id", "uniform:0:102399"};
  }

  std::filesystem::path dir_;
  std::string mix_;
};

LOADGEN_TEST_EACH_ENGINE(LoadgenAllocationWithPlaceholders);

TEST_P(LoadgenAllocationWithPlaceholders, ClosedLoopRequestsDoNotAllocate) {
  test::Responder responder(test::Behaviour{});
  const Counted short_run = run_counted(GetParam(), responder, "200ms", nullptr, flags());
  const Counted long_run = run_counted(GetParam(), responder, "600ms", nullptr, flags());
  ASSERT_GT(long_run.requests, 5000u);
  EXPECT_LT(long_run.allocations, short_run.allocations + 100)
      << short_run.allocations << " allocations for " << short_run.requests << " requests, "
      << long_run.allocations << " for " << long_run.requests;
}

TEST_P(LoadgenAllocationWithPlaceholders, OpenLoopRequestsDoNotAllocate) {
  test::Responder responder(test::Behaviour{});
  const Counted short_run = run_counted(GetParam(), responder, "200ms", "5000", flags());
  const Counted long_run = run_counted(GetParam(), responder, "600ms", "5000", flags());
  ASSERT_GT(long_run.requests, short_run.requests + 1000);
  EXPECT_LT(long_run.allocations, short_run.allocations + 100)
      << short_run.allocations << " allocations for " << short_run.requests << " requests, "
      << long_run.allocations << " for " << long_run.requests;
}

}  // namespace
}  // namespace loadgen
