// Process: real children (test/helpers/proc_child.cpp), real signals, real /proc.
#include "trial/process.hpp"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace hellobench {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

const std::string kChild = std::string(HELLOBENCH_TEST_HELPER_DIR) + "/proc_child";

ProcessSpec command(std::vector<std::string> argv) {
  ProcessSpec spec;
  spec.argv = std::move(argv);
  return spec;
}

ProcessSpec child(std::vector<std::string> args) {
  ProcessSpec spec;
  spec.argv = {kChild};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  return spec;
}

std::string proc_status_field(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) {
      auto value = line.substr(field.size() + 1);
      value.erase(0, value.find_first_not_of(" \t"));
      return value;
    }
  }
  return "";
}

// True when no process (not even a zombie) has this pid.
bool pid_gone(pid_t pid) { return !std::filesystem::exists("/proc/" + std::to_string(pid)); }

// True once pid is gone or a zombie (a zombie of someone else's is dead for our purposes).
bool pid_dead(pid_t pid) {
  if (pid_gone(pid)) return true;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  std::getline(in, stat);
  auto close_paren = stat.rfind(')');
  return close_paren != std::string::npos && stat.size() > close_paren + 2 &&
         stat[close_paren + 2] == 'Z';
}

TEST(Process, ReportsTheExitCode) {
  auto p = Process::spawn(child({"exit", "3"}));
  EXPECT_EQ(p.wait_exit(5s), 3);
  EXPECT_EQ(p.exit_status(), 3);
}

TEST(Process, ReportsDeathBySignalAs128PlusTheSignal) {
  auto p = Process::spawn(child({"kill-self", std::to_string(SIGSEGV)}));
  EXPECT_EQ(p.wait_exit(5s), 128 + SIGSEGV);  // 139
}

TEST(Process, WaitExitTimesOutOnARunningChild) {
  auto p = Process::spawn(child({"sleep", "5000"}));
  auto before = std::chrono::steady_clock::now();
  EXPECT_EQ(p.wait_exit(100ms), std::nullopt);
  EXPECT_GE(std::chrono::steady_clock::now() - before, 100ms);
  EXPECT_TRUE(p.running());
  EXPECT_EQ(p.exit_status(), std::nullopt);
}

TEST(Process, LeavesNoZombieOnceWaitedFor) {
  auto p = Process::spawn(child({"exit", "0"}));
  const pid_t pid = p.pid();
  ASSERT_EQ(p.wait_exit(5s), 0);
  EXPECT_TRUE(pid_gone(pid));
}

TEST(Process, DestructorKillsAndReapsARunningChild) {
  pid_t pid = 0;
  {
    auto p = Process::spawn(child({"sleep", "30000"}));
    pid = p.pid();
    ASSERT_TRUE(p.running());
  }
  EXPECT_TRUE(pid_gone(pid));
}

TEST(Process, PinsTheChildToTheRequestedCpu) {
  // The last CPU this test may use (the machine may hand us only part of it).
  cpu_set_t mine;
  ASSERT_EQ(sched_getaffinity(0, sizeof mine, &mine), 0);
  int last = -1;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &mine)) last = cpu;
  }
  ASSERT_GE(last, 0);
  auto spec = child({"sleep", "5000"});
  spec.cpus = {last};
  auto p = Process::spawn(spec);
  EXPECT_EQ(proc_status_field(p.pid(), "Cpus_allowed_list"), std::to_string(last));
}

TEST(Process, InheritsTheAffinityWhenNoCpusAreGiven) {
  auto p = Process::spawn(child({"sleep", "5000"}));
  EXPECT_EQ(proc_status_field(p.pid(), "Cpus_allowed_list"),
            proc_status_field(getpid(), "Cpus_allowed_list"));
}

TEST(Process, FailsToPinToACpuThatDoesNotExist) {
  auto spec = child({"sleep", "5000"});
  spec.cpus = {CPU_SETSIZE - 1};  // 1023: no such CPU on this machine
  try {
    Process::spawn(spec);
    FAIL() << "spawn should have thrown";
  } catch (const ProcessError& e) {
    EXPECT_THAT(e.what(), HasSubstr("cannot pin"));
    EXPECT_THAT(e.what(), HasSubstr("1023"));
  }
}

TEST(Process, ReportsAMissingProgramAtSpawn) {
  try {
    Process::spawn(command({"/nonexistent/hellobench-prog"}));
    FAIL() << "spawn should have thrown";
  } catch (const ProcessError& e) {
    EXPECT_STREQ(e.what(), "cannot run '/nonexistent/hellobench-prog': No such file or directory");
  }
}

TEST(Process, ReportsAProgramNotInPath) {
  try {
    Process::spawn(command({"hellobench-no-such-program"}));
    FAIL() << "spawn should have thrown";
  } catch (const ProcessError& e) {
    EXPECT_STREQ(e.what(), "cannot run 'hellobench-no-such-program': No such file or directory");
  }
}

TEST(Process, ReportsAFileThatIsNotExecutable) {
  auto path = std::filesystem::temp_directory_path() / "hellobench-not-executable";
  std::ofstream(path) << "#!/bin/sh\nexit 0\n";
  std::filesystem::permissions(
      path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  try {
    Process::spawn(command({path.string()}));
    ADD_FAILURE() << "spawn should have thrown";
  } catch (const ProcessError& e) {
    EXPECT_EQ(std::string(e.what()), "cannot run '" + path.string() + "': Permission denied");
  }
  std::filesystem::remove(path);
}

TEST(Process, FindsAProgramInPath) {
  auto p = Process::spawn(command({"true"}));
  EXPECT_EQ(p.wait_exit(5s), 0);
}

TEST(Process, ReportsAMissingWorkingDirectory) {
  auto spec = child({"pwd"});
  spec.working_dir = "/nonexistent-dir";
  try {
    Process::spawn(spec);
    FAIL() << "spawn should have thrown";
  } catch (const ProcessError& e) {
    EXPECT_EQ(std::string(e.what()),
              "cannot run '" + kChild + "' in '/nonexistent-dir': No such file or directory");
  }
}

TEST(Process, RunsInTheWorkingDirectory) {
  auto spec = child({"pwd"});
  spec.working_dir = "/tmp";
  auto p = Process::spawn(spec);
  ASSERT_EQ(p.wait_exit(5s), 0);
  EXPECT_EQ(p.stdout_text(), "/tmp\n");
}

TEST(Process, AddsEnvironmentVariables) {
  auto spec = child({"env", "HELLOBENCH_TEST_VALUE"});
  spec.env = {{"HELLOBENCH_TEST_VALUE", "forty two"}};
  auto p = Process::spawn(spec);
  ASSERT_EQ(p.wait_exit(5s), 0);
  EXPECT_EQ(p.stdout_text(), "forty two\n");
}

TEST(Process, OverridesAnInheritedEnvironmentVariable) {
  setenv("HELLOBENCH_TEST_INHERITED", "parent", 1);
  auto spec = child({"env", "HELLOBENCH_TEST_INHERITED"});
  spec.env = {{"HELLOBENCH_TEST_INHERITED", "child"}};
  auto p = Process::spawn(spec);
  ASSERT_EQ(p.wait_exit(5s), 0);
  EXPECT_EQ(p.stdout_text(), "child\n");
  unsetenv("HELLOBENCH_TEST_INHERITED");
}

TEST(Process, PassesOnlyTheStandardStreams) {
  int leaked = open("/dev/null", O_RDONLY);  // no O_CLOEXEC, as careless code would do
  ASSERT_GE(leaked, 3);
  auto p = Process::spawn(child({"fds"}));
  close(leaked);
  ASSERT_EQ(p.wait_exit(5s), 0);
  EXPECT_EQ(p.stdout_text(), "none\n");
}

TEST(Process, WritesStderrToTheGivenFile) {
  auto path = std::filesystem::temp_directory_path() / "hellobench-proc-test-stderr.txt";
  auto spec = child({"stderr", "something went wrong"});
  spec.stderr_path = path;
  auto p = Process::spawn(spec);
  ASSERT_EQ(p.wait_exit(5s), 0);
  EXPECT_EQ(p.stderr_path(), path);
  EXPECT_EQ(p.stderr_text(), "something went wrong\n");
  EXPECT_EQ(p.stdout_text(), "");
  std::filesystem::remove(path);
}

TEST(Process, RemovesItsPrivateOutputFilesWhenDestroyed) {
  std::filesystem::path out;
  {
    auto p = Process::spawn(child({"exit", "0"}));
    out = p.stdout_path();
    EXPECT_TRUE(std::filesystem::exists(out));
  }
  EXPECT_FALSE(std::filesystem::exists(out));
}

TEST(Process, WaitsForAStdoutLineWithAPrefix) {
  auto p =
      Process::spawn(child({"lines", "200", "starting up", "listening on 127.0.0.1:8080", "more"}));
  auto line = p.wait_for_stdout_line("listening on ", 5s);
  EXPECT_EQ(line, "listening on 127.0.0.1:8080");
}

TEST(Process, DoesNotReturnTheSameStdoutLineTwice) {
  auto p = Process::spawn(child({"lines", "50", "item 1", "item 2"}));
  EXPECT_EQ(p.wait_for_stdout_line("item", 5s), "item 1");
  EXPECT_EQ(p.wait_for_stdout_line("item", 5s), "item 2");
}

TEST(Process, StopsWaitingForALineWhenTheChildExits) {
  auto p = Process::spawn(child({"exit", "1"}));
  auto before = std::chrono::steady_clock::now();
  EXPECT_EQ(p.wait_for_stdout_line("listening on ", 10s), std::nullopt);
  EXPECT_LT(std::chrono::steady_clock::now() - before, 5s);
  EXPECT_EQ(p.exit_status(), 1);
}

TEST(Process, FindsAnUnterminatedLastLineOfAnExitedChild) {
  auto p = Process::spawn(child({"print-exit", "listening on [::1]:9"}));
  EXPECT_EQ(p.wait_for_stdout_line("listening on ", 5s), "listening on [::1]:9");
}

TEST(Process, StopsWaitingForALineAtTheTimeout) {
  auto p = Process::spawn(child({"lines", "0", "something else"}));
  auto before = std::chrono::steady_clock::now();
  EXPECT_EQ(p.wait_for_stdout_line("listening on ", 300ms), std::nullopt);
  auto waited = std::chrono::steady_clock::now() - before;
  EXPECT_GE(waited, 300ms);
  EXPECT_LT(waited, 3s);
}

TEST(Process, TerminateEndsAChildWithSigterm) {
  auto p = Process::spawn(child({"sleep", "30000"}));
  EXPECT_EQ(p.terminate(2s), 128 + SIGTERM);  // 143
}

TEST(Process, TerminateEscalatesToSigkillAfterTheGrace) {
  auto p = Process::spawn(child({"ignore-term"}));
  ASSERT_EQ(p.wait_for_stdout_line("ready", 5s), "ready");  // handler installed
  auto before = std::chrono::steady_clock::now();
  EXPECT_EQ(p.terminate(300ms), 128 + SIGKILL);  // 137
  auto took = std::chrono::steady_clock::now() - before;
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 3s);
}

TEST(Process, TerminateOfAnExitedChildReturnsItsStatus) {
  auto p = Process::spawn(child({"exit", "7"}));
  ASSERT_EQ(p.wait_exit(5s), 7);
  EXPECT_EQ(p.terminate(1s), 7);
}

TEST(Process, SendSignalDeliversTheSignal) {
  auto p = Process::spawn(child({"sleep", "30000"}));
  p.send_signal(SIGUSR1);
  EXPECT_EQ(p.wait_exit(5s), 128 + SIGUSR1);
}

TEST(Process, ChildGetsDefaultSignalHandlingWhateverTheParentDid) {
  // A parent that ignores and blocks SIGTERM (as a signal-handling thread setup would) must
  // not pass that on: the server's shutdown on SIGTERM depends on it.
  struct sigaction ignore {};
  struct sigaction old_action {};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGTERM, &ignore, &old_action);
  sigset_t term, old_mask;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &term, &old_mask);
  auto p = Process::spawn(child({"sleep", "30000"}));
  pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  sigaction(SIGTERM, &old_action, nullptr);
  EXPECT_EQ(p.terminate(2s), 128 + SIGTERM);
}

TEST(Process, ReportsCpuTimeOfTheReapedChild) {
  auto p = Process::spawn(child({"burn", "200"}));  // spins until it has used 200 ms of CPU
  EXPECT_EQ(p.usage(), std::nullopt);
  ASSERT_EQ(p.wait_exit(10s), 0);
  ASSERT_TRUE(p.usage().has_value());
  EXPECT_GE(p.usage()->user_seconds + p.usage()->system_seconds, 0.199);  // µs rounding
}

TEST(Process, StartedAtIsJustBeforeTheSpawn) {
  auto before = std::chrono::steady_clock::now();
  auto p = Process::spawn(child({"exit", "0"}));
  auto after = std::chrono::steady_clock::now();
  EXPECT_GE(p.started_at(), before);
  EXPECT_LE(p.started_at(), after);
}

TEST(Process, MovesOwnershipOfTheChild) {
  auto a = Process::spawn(child({"exit", "5"}));
  const pid_t pid = a.pid();
  Process b = std::move(a);
  EXPECT_EQ(b.pid(), pid);
  EXPECT_EQ(b.wait_exit(5s), 5);
}

TEST(Process, KillAllChildrenKillsEveryLiveChild) {
  auto a = Process::spawn(child({"sleep", "30000"}));
  auto b = Process::spawn(child({"sleep", "30000"}));
  kill_all_children();
  EXPECT_EQ(a.wait_exit(5s), 128 + SIGKILL);
  EXPECT_EQ(b.wait_exit(5s), 128 + SIGKILL);
}

TEST(Process, ChildDiesWithItsParent) {
  // An intermediate process spawns a long sleeper, reports its pid, and exits: the sleeper
  // must be killed by PR_SET_PDEATHSIG, not left running.
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t middle = fork();
  ASSERT_GE(middle, 0);
  if (middle == 0) {
    close(fds[0]);
    try {
      auto p = Process::spawn(child({"sleep", "30000"}));
      pid_t pid = p.pid();
      (void)!write(fds[1], &pid, sizeof pid);
      _exit(0);  // no destructor: the kernel, not ~Process, must end the sleeper
    } catch (...) {
      _exit(1);
    }
  }
  close(fds[1]);
  pid_t grandchild = 0;
  ASSERT_EQ(read(fds[0], &grandchild, sizeof grandchild), static_cast<ssize_t>(sizeof grandchild));
  close(fds[0]);
  int status = 0;
  waitpid(middle, &status, 0);
  ASSERT_GT(grandchild, 0);
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!pid_dead(grandchild) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(pid_dead(grandchild)) << "the sleeper outlived its parent";
}

}  // namespace
}  // namespace hellobench
