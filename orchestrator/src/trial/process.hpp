// Child processes: spawn (argv, never a shell), pin, capture output to files, wait, stop.
// No child outlives the orchestrator: every child gets PR_SET_PDEATHSIG(SIGKILL), the
// destructor kills and reaps a child still running, and kill_all_children() (called from
// main's signal handling) stops every live one.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hellobench {

// Spawning failed (program not found, not executable, bad working dir); what() says which.
struct ProcessError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct ProcessSpec {
  std::vector<std::string> argv;  // argv[0]: a path, or a name looked up in PATH
  std::vector<int> cpus;          // empty: inherit the affinity; else sched_setaffinity before exec
  std::filesystem::path working_dir;                        // empty: inherit
  std::vector<std::pair<std::string, std::string>> env;     // set on top of the inherited environment
  std::filesystem::path stdout_path;  // empty: a private temporary file
  std::filesystem::path stderr_path;  // empty: a private temporary file
  // The signal the child gets when the orchestrator dies (PR_SET_PDEATHSIG) or is interrupted
  // (kill_all_children). SIGKILL for everything but a supervisor that must clean up after its
  // own children (the private database's guard takes SIGTERM, stops PostgreSQL, removes it).
  int stop_signal = 9;  // SIGKILL
};

class Process {
 public:
  // Throws ProcessError when the program cannot be executed (errno reported through a
  // close-on-exec pipe, so "not found" is known at once, not as exit code 127).
  // Linux sends PR_SET_PDEATHSIG when the spawning *thread* ends, not the process: spawn from
  // a thread that outlives the child (the main thread, or one that stops the child itself).
  static Process spawn(const ProcessSpec& spec);

  Process(Process&&) noexcept;
  Process& operator=(Process&&) noexcept;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process();  // SIGKILL and reap if still running

  pid_t pid() const;
  std::chrono::steady_clock::time_point started_at() const;  // just before fork

  // Polls the child's stdout for a line that starts with prefix; returns the whole line
  // (without the newline). nullopt on timeout or when the child exits first.
  std::optional<std::string> wait_for_stdout_line(std::string_view prefix,
                                                  std::chrono::milliseconds timeout);

  // Exit status: the exit code, or 128 + signal number when killed by a signal.
  // nullopt when still running after timeout.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  std::optional<int> exit_status() const;  // known once reaped
  // CPU time of the reaped child and its threads (wait4 rusage: user + system). Use it for
  // CPU only; never its ru_maxrss (MEASUREMENT.md rule 9). nullopt until reaped.
  struct Usage {
    double user_seconds = 0;
    double system_seconds = 0;
  };
  std::optional<Usage> usage() const;
  bool running();

  void send_signal(int signal_number);
  // SIGTERM, wait up to grace, then SIGKILL; returns the exit status.
  int terminate(std::chrono::milliseconds grace);

  std::filesystem::path stdout_path() const;
  std::filesystem::path stderr_path() const;
  std::string stdout_text() const;
  std::string stderr_text() const;

 private:
  Process() = default;
  struct State;
  State* state_ = nullptr;  // owned; pimpl keeps the header free of platform details
};

// Sends every child spawned by this process that is still running its stop_signal (SIGKILL
// unless the spec said otherwise; async-signal-safe).
void kill_all_children() noexcept;

// A folder (the build scratch copies) to delete when the orchestrator is interrupted; one at a
// time, an empty path forgets it. Not itself async-signal-safe: call it from normal code.
void remove_on_interrupt(const std::filesystem::path& folder);

// For a SIGINT/SIGTERM handler (async-signal-safe): kill_all_children(), then delete the
// folder given to remove_on_interrupt with `rm -rf` (fork + execve + waitpid).
void interrupt_cleanup() noexcept;

}  // namespace hellobench
