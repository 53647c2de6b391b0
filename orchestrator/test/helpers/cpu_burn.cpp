// Test helper: a process that uses a known CPU time. Prints "ready <process CPU seconds>",
// waits for SIGUSR1 (so a test can take its "before" reading with no race; at most 30 s),
// then THREADS threads spin until the process's own CPU clock (CLOCK_PROCESS_CPUTIME_ID: every
// thread, nanosecond resolution) has advanced by SECONDS; then it prints
// "done <process CPU seconds>" and waits to be killed (at most 60 s).
//   cpu_burn THREADS SECONDS
#include <signal.h>
#include <time.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

namespace {
double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: cpu_burn THREADS SECONDS\n");
    return 2;
  }
  const int thread_count = std::atoi(argv[1]);
  const double burn_seconds = std::atof(argv[2]);
  sigset_t start_signal;
  sigemptyset(&start_signal);
  sigaddset(&start_signal, SIGUSR1);
  sigprocmask(SIG_BLOCK, &start_signal, nullptr);  // blocked before "ready": none is lost
  std::printf("ready %.6f\n", process_cpu_seconds());
  std::fflush(stdout);
  const timespec patience{30, 0};
  if (sigtimedwait(&start_signal, nullptr, &patience) != SIGUSR1) {
    std::fprintf(stderr, "cpu_burn: no SIGUSR1 within 30 s\n");
    return 1;
  }
  const double target = process_cpu_seconds() + burn_seconds;
  // The process CPU clock is a system call (which sums every thread's runtime), so it is read
  // only every ~1 ms of spinning: the burn is then almost all user time, like request handling.
  auto burn = [&] {
    std::uint64_t spin = 0;
    while (process_cpu_seconds() < target) {
      for (int i = 0; i < 1000000; ++i) {
        spin += static_cast<std::uint64_t>(i);
        asm volatile("" : "+r"(spin));  // keeps the loop from being folded away
      }
    }
  };
  std::vector<std::thread> threads;
  for (int i = 1; i < thread_count; ++i) threads.emplace_back(burn);
  burn();
  for (auto& t : threads) t.join();
  std::printf("done %.6f\n", process_cpu_seconds());
  std::fflush(stdout);
  std::this_thread::sleep_for(std::chrono::seconds(60));
  return 0;
}
