// The sampler against helper processes that know the true figure: a process that touches a
// known amount of memory, one that burns a known CPU time, one whose memory rises and falls.
#include "trial/sampler.hpp"

#include <sched.h>

#include <gtest/gtest.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>

#include "trial/process.hpp"

namespace hellobench {
namespace {

using namespace std::chrono_literals;

constexpr std::int64_t kMiB = 1024;  // in KiB

std::string helper(const std::string& name) {
  return std::string(HELLOBENCH_TEST_HELPER_DIR) + "/" + name;
}

Process start_helper(std::vector<std::string> argv) {
  ProcessSpec spec;
  spec.argv = std::move(argv);
  return Process::spawn(spec);
}

// Starts a helper and waits for the line it prints when it reached its steady state.
Process start_and_wait(std::vector<std::string> argv, const std::string& line_prefix) {
  Process process = start_helper(std::move(argv));
  if (!process.wait_for_stdout_line(line_prefix, 10s)) {
    ADD_FAILURE() << "helper never printed '" << line_prefix << "': " << process.stderr_text();
  }
  return process;
}

// The number after "ready " / "done " in a helper's line.
double number_after(const std::string& line) { return std::stod(line.substr(line.find(' ') + 1)); }

ProcStatus status_of_mem_touch(int mib, int extra_threads = 0) {
  Process p = start_and_wait(
      {helper("mem_touch"), std::to_string(mib), std::to_string(extra_threads)}, "ready");
  const auto status = read_proc_status(p.pid());
  EXPECT_TRUE(status.has_value());
  return status.value_or(ProcStatus{});
}

TEST(ReadProcStatus, ReadsThisProcess) {
  // Against the kernel's other accounts of the same process: /proc/self/statm's resident pages
  // (the same counter in pages; read a moment apart, so within 1 MiB) and the entries of
  // /proc/self/task (one per thread).
  std::ifstream statm("/proc/self/statm");
  long size_pages = 0, resident_pages = 0;
  statm >> size_pages >> resident_pages;
  const auto status = read_proc_status(getpid());
  ASSERT_TRUE(status.has_value());
  const double resident_kib = static_cast<double>(resident_pages) * sysconf(_SC_PAGESIZE) / 1024;
  EXPECT_NEAR(static_cast<double>(status->vm_rss_kib), resident_kib, 1024);
  EXPECT_GT(status->rss_anon_kib, 0);
  EXPECT_LE(status->rss_anon_kib, status->vm_rss_kib);
  EXPECT_GE(status->vm_hwm_kib, status->vm_rss_kib);
  long tasks = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/task")) {
    ++tasks;
  }
  EXPECT_EQ(status->threads, tasks);
}

TEST(ReadProcStatus, SeesSixtyFourTouchedMebibytesWithinFivePercent) {
  const ProcStatus baseline = status_of_mem_touch(0);
  const ProcStatus loaded = status_of_mem_touch(64);
  const double expected_rss = static_cast<double>(baseline.vm_rss_kib + 64 * kMiB);
  const double expected_hwm = static_cast<double>(baseline.vm_hwm_kib + 64 * kMiB);
  EXPECT_NEAR(static_cast<double>(loaded.vm_rss_kib), expected_rss, 0.05 * expected_rss);
  EXPECT_NEAR(static_cast<double>(loaded.vm_hwm_kib), expected_hwm, 0.05 * expected_hwm);
  // The 64 MiB are anonymous pages, so RssAnon grows by them too (file-backed pages do not).
  EXPECT_NEAR(static_cast<double>(loaded.rss_anon_kib - baseline.rss_anon_kib),
              static_cast<double>(64 * kMiB), 0.05 * 64 * kMiB);
}

TEST(ReadProcStatus, CountsEveryThread) {
  EXPECT_EQ(status_of_mem_touch(0, 3).threads, 4);  // main + 3
}

TEST(ReadProcStatus, IsEmptyForAProcessThatIsGone) {
  Process p = start_helper({"true"});
  ASSERT_TRUE(p.wait_exit(5s).has_value());  // reaped: /proc/PID no longer exists
  EXPECT_FALSE(read_proc_status(p.pid()).has_value());
  EXPECT_FALSE(read_proc_cpu(p.pid()).has_value());
}

// read_proc_cpu's delta over a window against the helper's own CPU clock over the same window;
// 0.05 s leaves room for /proc's 10 ms ticks.
void expect_cpu_delta_matches(int threads) {
  Process p = start_helper({helper("cpu_burn"), std::to_string(threads), "0.5"});
  const auto ready = p.wait_for_stdout_line("ready", 10s);
  const auto before = read_proc_cpu(p.pid());  // the helper waits for SIGUSR1 to burn
  ASSERT_TRUE(ready && before);
  p.send_signal(SIGUSR1);
  const auto done = p.wait_for_stdout_line("done", 30s);
  const auto after = read_proc_cpu(p.pid());
  ASSERT_TRUE(done && after);
  const double helper_delta = number_after(*done) - number_after(*ready);
  EXPECT_GE(helper_delta, 0.5);
  EXPECT_NEAR(after->total() - before->total(), helper_delta, 0.05);
}

TEST(ReadProcCpu, MeasuresHalfASecondBurnedOnOneThread) { expect_cpu_delta_matches(1); }

TEST(ReadProcCpu, MeasuresHalfASecondBurnedOnTwoThreads) { expect_cpu_delta_matches(2); }

TEST(ReadTaskClock, MeasuresHalfASecondBurnedToTheMillisecond) {
  // One thread: the burning thread is the main one and never exits, so the task clock keeps
  // all of its time (nanoseconds, where /proc/PID/stat has 10 ms ticks).
  Process p = start_helper({helper("cpu_burn"), "1", "0.5"});
  const auto ready = p.wait_for_stdout_line("ready", 10s);
  const auto before = read_task_clock_seconds(p.pid());
  ASSERT_TRUE(ready && before);
  p.send_signal(SIGUSR1);
  const auto done = p.wait_for_stdout_line("done", 30s);
  const auto after = read_task_clock_seconds(p.pid());
  ASSERT_TRUE(done && after);
  EXPECT_NEAR(*after - *before, number_after(*done) - number_after(*ready), 0.005);
}

TEST(ReadTaskClock, IsEmptyForAProcessThatIsGone) {
  Process p = start_helper({"true"});
  ASSERT_TRUE(p.wait_exit(5s).has_value());
  EXPECT_FALSE(read_task_clock_seconds(p.pid()).has_value());
}

TEST(ReadCpuJiffies, CountsABusyLoopOnThisThreadsCpu) {
  // Pin this thread to one CPU, spin 0.3 s of CPU there: that CPU's busy time grows by at
  // least that much (others may add to it, never take away).
  cpu_set_t previous;
  ASSERT_EQ(sched_getaffinity(0, sizeof previous, &previous), 0);
  const int cpu = sched_getcpu();
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  ASSERT_EQ(sched_setaffinity(0, sizeof one, &one), 0);
  const CpuJiffies before = read_cpu_jiffies({cpu});
  const double start = read_self_cpu().total();
  while (read_self_cpu().total() - start < 0.3) {
  }
  const CpuJiffies after = read_cpu_jiffies({cpu});
  sched_setaffinity(0, sizeof previous, &previous);
  EXPECT_GE(after.busy - before.busy, 0.3 - 0.02);  // 10 ms ticks at each end
  EXPECT_EQ(read_cpu_jiffies({}).busy, 0);          // no CPUs asked, nothing counted
}

TEST(ReadProcCpu, ParsesACommandNameWithSpacesAndParentheses) {
  // The kernel takes comm from the executable's file name: run cpu_burn through a link named
  // "a) b (c", so /proc/PID/stat reads "PID (a) b (c) S ...".
  const auto dir = std::filesystem::temp_directory_path() / ("hb-comm-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const auto link = dir / "a) b (c";
  std::filesystem::remove(link);
  std::filesystem::create_symlink(helper("cpu_burn"), link);
  Process p = start_helper({link.string(), "1", "0.2"});
  ASSERT_TRUE(p.wait_for_stdout_line("ready", 10s));
  p.send_signal(SIGUSR1);
  const auto done = p.wait_for_stdout_line("done", 30s);
  const auto cpu = read_proc_cpu(p.pid());
  const auto status = read_proc_status(p.pid());
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(done && cpu && status);
  EXPECT_NEAR(cpu->total(), number_after(*done), 0.05);
  EXPECT_EQ(status->threads, 1);
}

TEST(ReadSelfCpu, FollowsThisProcessCpuClock) {
  auto process_clock = [] {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
  };
  const double clock_before = process_clock();
  const CpuTimes before = read_self_cpu();
  volatile std::uint64_t spins = 0;
  while (process_clock() - clock_before < 0.2) spins = spins + 1;
  const CpuTimes after = read_self_cpu();
  const double clock_delta = process_clock() - clock_before;
  EXPECT_NEAR(after.total() - before.total(), clock_delta, 0.01);
}

TEST(MemorySampler, FollowsMemoryThatRisesAndFalls) {
  // 400 ms at the baseline, 600 ms with 64 MiB more, 400 ms at the baseline again: about a
  // 600/1400 share of the samples are high, so the mean sits ~27 MiB above the baseline.
  Process p = start_helper({helper("mem_rise_fall"), "64", "400", "600"});
  ASSERT_TRUE(p.wait_for_stdout_line("ready", 10s));
  const auto baseline = read_proc_status(p.pid());
  ASSERT_TRUE(baseline);
  MemorySampler sampler(p.pid());
  sampler.start();
  ASSERT_TRUE(p.wait_for_stdout_line("done", 10s));
  const MemorySummary summary = sampler.stop();

  const double base = static_cast<double>(baseline->vm_rss_kib);
  EXPECT_GE(summary.samples, 20u);  // 1.4 s at 20 Hz is ~28
  EXPECT_NEAR(static_cast<double>(summary.rss_peak_kib), base + 64 * kMiB,
              0.05 * (base + 64 * kMiB));
  EXPECT_NEAR(static_cast<double>(summary.rss_min_kib), base, 4 * kMiB);
  const double mean_above_base = static_cast<double>(summary.rss_mean_kib) - base;
  EXPECT_GT(mean_above_base, 0.2 * 64 * kMiB);
  EXPECT_LT(mean_above_base, 0.7 * 64 * kMiB);
  EXPECT_GT(summary.rss_anon_mean_kib, baseline->rss_anon_kib);
  EXPECT_EQ(summary.threads_max, 1);
  // Measured, not left at zero; and small (rule 15: the sampler must not perturb): ~28 reads
  // of /proc/PID/status take a few ms, far below 5% of one CPU over the 1.4 s.
  EXPECT_GT(summary.sampler_cpu_seconds, 0);
  EXPECT_LT(summary.sampler_cpu_seconds, 0.05 * 1.4);
}

TEST(MemorySampler, SamplesAtLeastTenTimesASecondByDefault) {
  Process p = start_and_wait({helper("mem_touch"), "1"}, "ready");
  MemorySampler sampler(p.pid());
  sampler.start();
  std::this_thread::sleep_for(1s);
  const MemorySummary summary = sampler.stop();
  // 20 Hz for 1 s: 21 samples (one at start, one at stop, 19 between), +-1 for timing.
  EXPECT_GE(summary.samples, 10u);
  EXPECT_LE(summary.samples, 23u);
}

TEST(MemorySampler, StopsSamplingWhenTheProcessExits) {
  // A process holding 32 MiB, killed 300 ms into the sampling: the peak is its 32 MiB and its
  // small base (a few MiB of libc and libstdc++), and no sample comes after the exit.
  Process p = start_and_wait({helper("mem_touch"), "32"}, "ready");
  const auto before = read_proc_status(p.pid());
  ASSERT_TRUE(before);
  MemorySampler sampler(p.pid(), 20ms);
  sampler.start();
  std::this_thread::sleep_for(300ms);
  p.send_signal(SIGKILL);
  ASSERT_TRUE(p.wait_exit(5s).has_value());
  std::this_thread::sleep_for(200ms);
  const MemorySummary summary = sampler.stop();
  EXPECT_GE(summary.samples, 2u);
  EXPECT_LE(summary.samples, 0.5s / 20ms + 2);  // none after the exit
  EXPECT_GE(summary.rss_peak_kib, 32 * kMiB);
  EXPECT_LE(summary.rss_peak_kib, 32 * kMiB + 8 * kMiB);
  EXPECT_NEAR(static_cast<double>(summary.rss_peak_kib), static_cast<double>(before->vm_hwm_kib),
              1 * kMiB);
}

TEST(MemorySampler, RejectsMisuse) {
  EXPECT_THROW(MemorySampler(getpid(), 0ms), std::invalid_argument);
  MemorySampler sampler(getpid());
  EXPECT_THROW(sampler.stop(), std::logic_error);
  sampler.start();
  EXPECT_THROW(sampler.start(), std::logic_error);
  sampler.stop();
  EXPECT_THROW(sampler.stop(), std::logic_error);
}

TEST(JudgeSaturation, ABusyServerAndAnIdleGeneratorIsServerBound) {
  const Saturation s = judge_saturation(0.95, 1, 0.5, 1, 1.0);
  EXPECT_DOUBLE_EQ(s.server_cpu_share, 0.95);
  EXPECT_DOUBLE_EQ(s.loadgen_cpu_share, 0.5);
  EXPECT_STREQ(s.bound, "server");
}

TEST(JudgeSaturation, ASaturatedGeneratorMakesTheTrialLoadgenBound) {
  // 1.9 CPU seconds on a 2-CPU set over 1 s is 95% of the set.
  const Saturation s = judge_saturation(0.6, 1, 1.9, 2, 1.0);
  EXPECT_DOUBLE_EQ(s.loadgen_cpu_share, 0.95);
  EXPECT_STREQ(s.bound, "loadgen");
}

TEST(JudgeSaturation, NinetyPercentExactlyCountsAsSaturated) {
  EXPECT_STREQ(judge_saturation(2.0, 1, 9.0, 1, 10.0).bound, "loadgen");
  EXPECT_STREQ(judge_saturation(2.0, 1, 8.9, 1, 10.0).bound, "server");
}

TEST(JudgeSaturation, BothSaturatedIsLoadgenBoundSinceTheFigureIsOnlyAFloor) {
  EXPECT_STREQ(judge_saturation(0.99, 1, 0.97, 1, 1.0).bound, "loadgen");
}

TEST(JudgeSaturation, NeitherSaturatedIsServer) {
  const Saturation s = judge_saturation(0.6, 2, 0.5, 1, 2.0);  // a fixed-rate trial
  EXPECT_DOUBLE_EQ(s.server_cpu_share, 0.15);
  EXPECT_DOUBLE_EQ(s.loadgen_cpu_share, 0.25);
  EXPECT_STREQ(s.bound, "server");
}

TEST(JudgeSaturation, RejectsAnEmptyWindowOrCpuSet) {
  EXPECT_THROW(judge_saturation(1, 1, 1, 1, 0), std::invalid_argument);
  EXPECT_THROW(judge_saturation(1, 0, 1, 1, 1), std::invalid_argument);
  EXPECT_THROW(judge_saturation(1, 1, 1, 0, 1), std::invalid_argument);
}

}  // namespace
}  // namespace hellobench
