// A child for the process tests: does one thing chosen by its arguments.
//   proc_child exit N              exits with code N
//   proc_child kill-self N         sends itself signal N
//   proc_child lines MS A B ...    prints line A, waits MS ms, prints B, ... then sleeps
//   proc_child print-exit TEXT     writes TEXT (no newline) and exits 0
//   proc_child ignore-term         ignores SIGTERM, prints "ready", sleeps
//   proc_child sleep MS            sleeps MS ms, exits 0
//   proc_child burn MS             spins until it has used MS ms of CPU time, exits 0
//   proc_child env NAME            prints the value of NAME
//   proc_child pwd                 prints the working directory
//   proc_child stderr TEXT         prints TEXT to stderr
//   proc_child fds                 prints the open file descriptors above 2, or "none"
#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <thread>

namespace {

void sleep_ms(long ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

[[noreturn]] void sleep_forever() {
  // Bounded, so a helper that escapes its test still ends by itself.
  sleep_ms(60'000);
  std::exit(0);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: proc_child MODE ...\n");
    return 2;
  }
  const std::string mode = argv[1];
  const char* arg = argc > 2 ? argv[2] : "";
  if (mode == "exit") return std::atoi(arg);
  if (mode == "kill-self") {
    ::kill(::getpid(), std::atoi(arg));
    sleep_forever();
  }
  if (mode == "lines") {
    const long ms = std::atol(arg);
    for (int i = 3; i < argc; ++i) {
      if (i > 3) sleep_ms(ms);
      std::printf("%s\n", argv[i]);
      std::fflush(stdout);
    }
    sleep_forever();
  }
  if (mode == "print-exit") {
    std::fputs(arg, stdout);
    return 0;
  }
  if (mode == "ignore-term") {
    ::signal(SIGTERM, SIG_IGN);
    std::printf("ready\n");
    std::fflush(stdout);
    sleep_forever();
  }
  if (mode == "sleep") {
    sleep_ms(std::atol(arg));
    return 0;
  }
  if (mode == "burn") {
    // Until MS of CPU time are used (not wall time: on a busy machine a spinning process may
    // get only a fraction of a CPU).
    const double target = std::atol(arg) / 1000.0;
    volatile unsigned long spins = 0;
    for (;;) {
      timespec used{};
      ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &used);
      if (used.tv_sec + used.tv_nsec / 1e9 >= target) break;
      for (int i = 0; i < 10000; ++i) spins = spins + 1;
    }
    return 0;
  }
  if (mode == "env") {
    const char* value = std::getenv(arg);
    std::printf("%s\n", value ? value : "(unset)");
    return 0;
  }
  if (mode == "pwd") {
    char buf[4096];
    std::printf("%s\n", ::getcwd(buf, sizeof buf) ? buf : "(error)");
    return 0;
  }
  if (mode == "fds") {
    DIR* dir = ::opendir("/proc/self/fd");
    std::string open_fds;
    while (dirent* entry = dir ? ::readdir(dir) : nullptr) {
      int fd = std::atoi(entry->d_name);
      if (entry->d_name[0] == '.' || fd <= 2 || fd == ::dirfd(dir)) continue;
      if (!open_fds.empty()) open_fds += ' ';
      open_fds += entry->d_name;
    }
    if (dir) ::closedir(dir);
    std::printf("%s\n", open_fds.empty() ? "none" : open_fds.c_str());
    return 0;
  }
  if (mode == "stderr") {
    std::fprintf(stderr, "%s\n", arg);
    return 0;
  }
  std::fprintf(stderr, "proc_child: unknown mode '%s'\n", mode.c_str());
  return 2;
}
