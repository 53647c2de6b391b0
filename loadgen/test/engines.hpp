// Engine tests run once per engine (epoll, uring): the same responders, the same expectations.
// Where io_uring cannot run, its half skips and says why.
#pragma once

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

#include "loadgen/engine.hpp"
#include "loadgen/options.hpp"

namespace loadgen {
// Test names and messages say "uring", not "4-byte object <01-00 00-00>".
inline void PrintTo(Engine engine, std::ostream* os) { *os << engine_name(engine); }
}  // namespace loadgen

namespace loadgen::test {

class EngineTest : public ::testing::TestWithParam<Engine> {
 protected:
  void SetUp() override {
    if (GetParam() == Engine::uring) {
      static const std::string reason = uring_unavailable_reason();
      if (!reason.empty()) GTEST_SKIP() << "io_uring cannot run here: " << reason;
    }
  }
  // The options of `loadgen URL FLAGS... --engine ENGINE`.
  Options options(const std::string& url, std::vector<const char*> flags) const {
    std::vector<const char*> args = {"loadgen", url.c_str()};
    args.insert(args.end(), flags.begin(), flags.end());
    args.insert(args.end(), {"--engine", engine_name(GetParam())});
    return parse_command_line(static_cast<int>(args.size()), args.data()).options;
  }
};

inline std::string engine_test_name(const ::testing::TestParamInfo<Engine>& info) {
  return engine_name(info.param);
}

}  // namespace loadgen::test

#define LOADGEN_TEST_EACH_ENGINE(suite)                                                           \
  INSTANTIATE_TEST_SUITE_P(, suite,                                                               \
                           ::testing::Values(::loadgen::Engine::epoll, ::loadgen::Engine::uring), \
                           ::loadgen::test::engine_test_name)
