// hellobench: parse, run, map errors to exit codes (all in cli.cpp). Ctrl-C or SIGTERM stops
// every child (servers, load generators, builds) and deletes the build scratch copies before
// exiting.
#include <signal.h>
#include <unistd.h>

#include "cli.hpp"
#include "trial/environment.hpp"
#include "trial/process.hpp"

namespace {

extern "C" void on_stop_signal(int signal_number) {
  // Only async-signal-safe calls here.
  hellobench::interrupt_cleanup();  // every child killed, the scratch copies deleted
  const char message[] = "\nhellobench: interrupted; stopped every child process\n";
  [[maybe_unused]] const auto ignored = ::write(STDERR_FILENO, message, sizeof message - 1);
  ::_exit(128 + signal_number);
}

}  // namespace

int main(int argc, char** argv) {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
  // A file-size limit (ulimit -f) makes a write fail with EFBIG, which the run reports with what
  // it kept, instead of killing hellobench with SIGXFSZ mid-run.
  ::signal(SIGXFSZ, SIG_IGN);
  hellobench::extend_path_with_toolchains();
  return hellobench::run_cli(argc, argv);
}
