// Ctrl-C on a run: every child process stops, and the build scratch copies are deleted
// (CONTRACT.md: no child process outlives the orchestrator). Runs the real hellobench binary.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "trial/process.hpp"

namespace hellobench {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// True when a process whose command line is exactly `sleep <seconds>` is running.
bool sleep_running(const std::string& seconds) {
  const std::string wanted = std::string("sleep") + '\0' + seconds + '\0';
  for (const auto& entry : fs::directory_iterator("/proc")) {
    std::ifstream cmdline(entry.path() / "cmdline");
    std::string text((std::istreambuf_iterator<char>(cmdline)), {});
    if (text == wanted) return true;
  }
  return false;
}

TEST(Interrupt, SigintStopsTheBuildAndDeletesTheScratchCopies) {
  const fs::path dir = fs::temp_directory_path() / ("hb-interrupt-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "src");
  std::ofstream(dir / "src" / "user.txt") << "struct user // hellobench:add-field\n";
  // A build that takes 41.7 s: the test interrupts it long before.
  const std::string seconds = "41.7";
  std::ofstream(dir / "hb.toml") << R"([[server]]
name = "alpha"
language = "C"
source_dir = "src"
binary = "/bin/true"
run = ["{binary}"]
[server.edit]
file = "user.txt"
line = "x"
[server.build.debug]
build = [["sleep", ")" << seconds << R"("]]
[[scenario]]
name = "hello"
path = "/"
[profile.p]
repetitions = 1
warmup_s = 1
window_s = 1
scenarios = ["hello"]
)";
  const fs::path scratch_parent = dir / "scratch";
  fs::create_directories(scratch_parent);

  ProcessSpec spec;
  spec.argv = {std::string(HELLOBENCH_BIN_DIR) + "/hellobench", "build", "--config",
               (dir / "hb.toml").string(), "--out", (dir / "runs").string(), "--scratch-dir",
               scratch_parent.string()};
  Process hellobench = Process::spawn(spec);

  // Wait until the build step runs inside its scratch copy.
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (!sleep_running(seconds) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_TRUE(sleep_running(seconds)) << hellobench.stderr_text();
  ASSERT_FALSE(fs::is_empty(scratch_parent));

  hellobench.send_signal(SIGINT);
  const auto status = hellobench.wait_exit(5s);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(*status, 128 + SIGINT);
  EXPECT_TRUE(fs::is_empty(scratch_parent)) << "scratch copies left behind";
  // The killed build may take a moment to be reaped by init.
  for (int i = 0; i < 50 && sleep_running(seconds); ++i) std::this_thread::sleep_for(20ms);
  EXPECT_FALSE(sleep_running(seconds)) << "the build step outlived hellobench";
  fs::remove_all(dir);
}

}  // namespace
}  // namespace hellobench
