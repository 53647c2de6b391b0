// Child processes: fork + execve with everything prepared in the parent, so that the child
// only calls async-signal-safe functions between fork and exec (the orchestrator has threads).
#include "trial/process.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <system_error>
#include <thread>

extern char** environ;

namespace hellobench {
namespace {

// --- Registry of live children, read by kill_all_children() from a signal handler. ---
// A fixed array of lock-free atomics: no allocation, no locks. A pid is removed only after
// the child has exited and before it is reaped, so a pid in the table is always one of our
// unreaped children (never a recycled pid).
constexpr std::size_t kMaxChildren = 1024;
std::atomic<pid_t> g_children[kMaxChildren];
std::atomic<int> g_stop_signals[kMaxChildren];  // the signal kill_all_children sends, per slot
static_assert(std::atomic<pid_t>::is_always_lock_free);

bool register_child(pid_t pid, int stop_signal) {
  for (std::size_t i = 0; i < kMaxChildren; ++i) {
    pid_t expected = 0;
    if (g_children[i].compare_exchange_strong(expected, pid)) {
      g_stop_signals[i].store(stop_signal);
      return true;
    }
  }
  return false;
}

void unregister_child(pid_t pid) {
  for (auto& slot : g_children) {
    pid_t expected = pid;
    if (slot.compare_exchange_strong(expected, 0)) return;
  }
}

std::string errno_text(int error) { return std::generic_category().message(error); }

constexpr unsigned kCloseRangeCloexec = 1U << 2;  // CLOSE_RANGE_CLOEXEC, Linux 5.11

// What the child reports through the close-on-exec pipe when a step before exec fails.
enum class ChildStage : int { exec = 1, affinity, chdir, redirect, parent_died };

struct ChildFailure {
  int stage = 0;
  int error = 0;
};

// Writes all of buf, retrying on EINTR; async-signal-safe.
void write_all(int fd, const void* buf, std::size_t len) {
  const char* p = static_cast<const char*>(buf);
  while (len > 0) {
    ssize_t n = ::write(fd, p, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    p += n;
    len -= static_cast<std::size_t>(n);
  }
}

[[noreturn]] void child_fail(int report_fd, ChildStage stage, int error) {
  ChildFailure failure{static_cast<int>(stage), error};
  write_all(report_fd, &failure, sizeof failure);
  _exit(127);
}

// argv[0] as execvp would find it, resolved in the parent (execvp may allocate).
// Returns the path, or the errno that exec would have reported.
std::pair<std::string, int> resolve_program(const std::string& name) {
  if (name.empty()) return {"", ENOENT};
  if (name.find('/') != std::string::npos) return {name, 0};
  const char* path_env = std::getenv("PATH");
  std::string path = path_env ? path_env : "/usr/local/bin:/usr/bin:/bin";
  int first_error = ENOENT;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    // An empty PATH entry means the current directory.
    std::string candidate =
        (end > start ? path.substr(start, end - start) : std::string(".")) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return {candidate, 0};
    if (errno == EACCES && ::access(candidate.c_str(), F_OK) == 0) first_error = EACCES;
    start = end + 1;
  }
  return {"", first_error};
}

// Fd of an output file for the child (opened here, dup2'ed there).
int open_output(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw ProcessError(fmt::format("cannot open '{}' for the child's output: {}", path.string(),
                                   errno_text(errno)));
  }
  return fd;
}

std::pair<int, std::filesystem::path> make_temp_output(std::string_view stream) {
  auto pattern =
      (std::filesystem::temp_directory_path() / fmt::format("hellobench-{}-XXXXXX", stream))
          .string();
  int fd = ::mkostemp(pattern.data(), O_CLOEXEC);
  if (fd < 0) {
    throw ProcessError(fmt::format("cannot create a temporary file for the child's {}: {}", stream,
                                   errno_text(errno)));
  }
  return {fd, pattern};
}

class FdGuard {
 public:
  explicit FdGuard(int fd = -1) : fd_(fd) {}
  FdGuard(const FdGuard&) = delete;
  FdGuard& operator=(const FdGuard&) = delete;
  ~FdGuard() { reset(); }
  int get() const { return fd_; }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

int pidfd_open(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
  (void)pid;
  errno = ENOSYS;
  return -1;
#endif
}

}  // namespace

struct Process::State {
  pid_t pid = -1;
  int pidfd = -1;  // -1 where the kernel has no pidfd_open: waits poll waitid instead
  std::chrono::steady_clock::time_point started_at;
  std::filesystem::path stdout_path;
  std::filesystem::path stderr_path;
  bool stdout_is_temp = false;
  bool stderr_is_temp = false;
  std::optional<int> exit_status;
  std::optional<Usage> usage;
  std::set<std::size_t> returned_line_offsets;  // lines wait_for_stdout_line already gave out

  // Reaps the child if it has exited (or, with block, once it exits). True when reaped.
  bool try_reap(bool block) {
    if (exit_status) return true;
    // Look first without reaping, so the pid leaves the registry while it still names our
    // zombie: kill_all_children() can never signal a recycled pid.
    siginfo_t info{};
    int options = WEXITED | WNOWAIT | (block ? 0 : WNOHANG);
    while (::waitid(P_PID, static_cast<id_t>(pid), &info, options) < 0) {
      if (errno != EINTR) return false;
    }
    if (info.si_pid == 0) return false;  // still running
    unregister_child(pid);
    int status = 0;
    rusage ru{};
    while (::wait4(pid, &status, 0, &ru) < 0) {
      if (errno != EINTR) return false;
    }
    if (WIFEXITED(status)) {
      exit_status = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
      exit_status = 128 + WTERMSIG(status);
    } else {
      exit_status = 255;
    }
    usage = Usage{static_cast<double>(ru.ru_utime.tv_sec) + ru.ru_utime.tv_usec / 1e6,
                  static_cast<double>(ru.ru_stime.tv_sec) + ru.ru_stime.tv_usec / 1e6};
    if (pidfd >= 0) {
      ::close(pidfd);
      pidfd = -1;
    }
    return true;
  }

  // Waits until the child is reaped or timeout passes.
  bool wait(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!try_reap(false)) {
      auto now = std::chrono::steady_clock::now();
      if (now >= deadline) return false;
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
      if (pidfd >= 0) {
        // The pidfd turns readable when the child exits: no polling delay.
        pollfd p{pidfd, POLLIN, 0};
        int wait_ms = static_cast<int>(std::min<long long>(left.count() + 1, 1000));
        ::poll(&p, 1, wait_ms);
      } else {
        std::this_thread::sleep_for(std::min(left, std::chrono::milliseconds(2)));
      }
    }
    return true;
  }

  void kill_and_reap() {
    if (exit_status || pid <= 0) return;
    ::kill(pid, SIGKILL);
    try_reap(true);
  }

  ~State() {
    kill_and_reap();
    if (pidfd >= 0) ::close(pidfd);
    std::error_code ignored;
    if (stdout_is_temp) std::filesystem::remove(stdout_path, ignored);
    if (stderr_is_temp) std::filesystem::remove(stderr_path, ignored);
  }
};

Process Process::spawn(const ProcessSpec& spec) {
  if (spec.argv.empty()) throw ProcessError("cannot run a program: empty command line");
  const std::string& program = spec.argv.front();
  auto [resolved, resolve_error] = resolve_program(program);
  if (resolve_error != 0) {
    throw ProcessError(fmt::format("cannot run '{}': {}", program, errno_text(resolve_error)));
  }

  // Everything the child needs, built before fork.
  std::vector<char*> argv;
  argv.reserve(spec.argv.size() + 1);
  for (const auto& arg : spec.argv) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);

  std::vector<std::string> env_strings;
  for (char** e = environ; e && *e; ++e) {
    std::string_view entry(*e);
    auto name = entry.substr(0, entry.find('='));
    bool overridden = false;
    for (const auto& [key, value] : spec.env) overridden = overridden || key == name;
    if (!overridden) env_strings.emplace_back(entry);
  }
  for (const auto& [key, value] : spec.env) env_strings.push_back(key + "=" + value);
  std::vector<char*> envp;
  envp.reserve(env_strings.size() + 1);
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);

  cpu_set_t cpu_set;
  CPU_ZERO(&cpu_set);
  for (int cpu : spec.cpus) {
    if (cpu < 0 || cpu >= CPU_SETSIZE) {
      throw ProcessError(fmt::format("cannot run '{}': CPU {} is out of range", program, cpu));
    }
    CPU_SET(cpu, &cpu_set);
  }
  const bool pin = !spec.cpus.empty();
  const std::string working_dir = spec.working_dir.string();

  auto state = std::make_unique<State>();
  FdGuard stdin_fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  FdGuard stdout_fd;
  FdGuard stderr_fd;
  if (spec.stdout_path.empty()) {
    auto [fd, path] = make_temp_output("stdout");
    stdout_fd.reset(fd);
    state->stdout_path = path;
    state->stdout_is_temp = true;
  } else {
    stdout_fd.reset(open_output(spec.stdout_path));
    state->stdout_path = spec.stdout_path;
  }
  if (spec.stderr_path.empty()) {
    auto [fd, path] = make_temp_output("stderr");
    stderr_fd.reset(fd);
    state->stderr_path = path;
    state->stderr_is_temp = true;
  } else {
    stderr_fd.reset(open_output(spec.stderr_path));
    state->stderr_path = spec.stderr_path;
  }

  int report_pipe[2];
  if (::pipe2(report_pipe, O_CLOEXEC) != 0) {
    throw ProcessError(fmt::format("cannot run '{}': pipe: {}", program, errno_text(errno)));
  }
  FdGuard report_read(report_pipe[0]);
  FdGuard report_write(report_pipe[1]);

  // Block every signal across fork so that no handler of ours runs in the child before it
  // has reset the dispositions; the child unblocks them right before exec.
  sigset_t all_signals;
  sigset_t old_mask;
  sigfillset(&all_signals);
  pthread_sigmask(SIG_SETMASK, &all_signals, &old_mask);

  const pid_t parent_pid = ::getpid();
  const int stop_signal = spec.stop_signal > 0 ? spec.stop_signal : SIGKILL;
  state->started_at = std::chrono::steady_clock::now();
  const pid_t pid = ::fork();
  if (pid == 0) {
    // Child: async-signal-safe calls only.
    const int report = report_write.get();
    // Dies with the parent. Caveat of Linux: "parent" is the thread that forked, so spawn
    // from a thread that outlives the child.
    ::prctl(PR_SET_PDEATHSIG, stop_signal);
    if (::getppid() != parent_pid) child_fail(report, ChildStage::parent_died, ESRCH);
    // Ignored signals and the signal mask survive exec: give the program a clean slate.
    for (int sig = 1; sig < NSIG; ++sig) {
      if (sig != SIGKILL && sig != SIGSTOP) ::signal(sig, SIG_DFL);
    }
    if (pin && ::sched_setaffinity(0, sizeof cpu_set, &cpu_set) != 0) {
      child_fail(report, ChildStage::affinity, errno);
    }
    if (!working_dir.empty() && ::chdir(working_dir.c_str()) != 0) {
      child_fail(report, ChildStage::chdir, errno);
    }
    if (::dup2(stdin_fd.get(), STDIN_FILENO) < 0 || ::dup2(stdout_fd.get(), STDOUT_FILENO) < 0 ||
        ::dup2(stderr_fd.get(), STDERR_FILENO) < 0) {
      child_fail(report, ChildStage::redirect, errno);
    }
    // Only stdin, stdout and stderr reach the program, whatever the orchestrator's other
    // threads have open without O_CLOEXEC (sockets, pipes of other children).
#ifdef SYS_close_range
    ::syscall(SYS_close_range, 3U, ~0U, kCloseRangeCloexec);
#endif
    sigset_t empty;
    sigemptyset(&empty);
    ::sigprocmask(SIG_SETMASK, &empty, nullptr);
    ::execve(resolved.c_str(), argv.data(), envp.data());
    child_fail(report, ChildStage::exec, errno);
  }
  const int fork_error = errno;
  pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  if (pid < 0) {
    throw ProcessError(fmt::format("cannot run '{}': fork: {}", program, errno_text(fork_error)));
  }
  state->pid = pid;
  const bool registered = register_child(pid, stop_signal);
  report_write.reset();

  // Exec succeeded when the pipe closes with nothing in it (close-on-exec).
  ChildFailure failure{};
  ssize_t got;
  do {
    got = ::read(report_read.get(), &failure, sizeof failure);
  } while (got < 0 && errno == EINTR);
  if (got > 0) {
    state->try_reap(true);
    std::string what;
    switch (static_cast<ChildStage>(failure.stage)) {
      case ChildStage::affinity:
        what = fmt::format("cannot pin '{}' to CPUs {}: {}", program, fmt::join(spec.cpus, ","),
                           errno_text(failure.error));
        break;
      case ChildStage::chdir:
        what = fmt::format("cannot run '{}' in '{}': {}", program, working_dir,
                           errno_text(failure.error));
        break;
      case ChildStage::parent_died:
        what = fmt::format("cannot run '{}': the parent exited during the start", program);
        break;
      default:
        what = fmt::format("cannot run '{}': {}", program, errno_text(failure.error));
        break;
    }
    throw ProcessError(what);
  }
  if (!registered) {
    state->kill_and_reap();
    throw ProcessError(
        fmt::format("cannot run '{}': more than {} children at once", program, kMaxChildren));
  }
  state->pidfd = pidfd_open(pid);

  Process process;
  process.state_ = state.release();
  return process;
}

Process::Process(Process&& other) noexcept : state_(std::exchange(other.state_, nullptr)) {}

Process& Process::operator=(Process&& other) noexcept {
  if (this != &other) {
    delete state_;
    state_ = std::exchange(other.state_, nullptr);
  }
  return *this;
}

Process::~Process() { delete state_; }

pid_t Process::pid() const { return state_ ? state_->pid : -1; }

std::chrono::steady_clock::time_point Process::started_at() const {
  return state_ ? state_->started_at : std::chrono::steady_clock::time_point{};
}

std::optional<std::string> Process::wait_for_stdout_line(std::string_view prefix,
                                                         std::chrono::milliseconds timeout) {
  if (!state_) return std::nullopt;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::ifstream in(state_->stdout_path, std::ios::binary);
  std::string pending;             // bytes after the last complete line scanned
  std::size_t pending_offset = 0;  // file offset of pending's first byte
  auto scan = [&](bool include_unterminated) -> std::optional<std::string> {
    char buf[4096];
    in.clear();
    while (in.read(buf, sizeof buf) || in.gcount() > 0) {
      pending.append(buf, static_cast<std::size_t>(in.gcount()));
      if (in.eof()) break;
    }
    std::size_t start = 0;
    for (;;) {
      std::size_t newline = pending.find('\n', start);
      bool last = newline == std::string::npos;
      if (last && !(include_unterminated && start < pending.size())) break;
      std::size_t end = last ? pending.size() : newline;
      std::string_view line(pending.data() + start, end - start);
      std::size_t offset = pending_offset + start;
      if (line.substr(0, prefix.size()) == prefix && !state_->returned_line_offsets.count(offset)) {
        state_->returned_line_offsets.insert(offset);
        std::string result(line);
        if (!result.empty() && result.back() == '\r') result.pop_back();
        return result;
      }
      start = last ? pending.size() : newline + 1;
    }
    pending.erase(0, start);
    pending_offset += start;
    return std::nullopt;
  };
  for (;;) {
    if (auto line = scan(false)) return line;
    // Once the child is gone nothing more will come: one last look, counting an
    // unterminated last line.
    if (state_->try_reap(false)) return scan(true);
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

std::optional<int> Process::wait_exit(std::chrono::milliseconds timeout) {
  if (!state_) return std::nullopt;
  if (!state_->wait(timeout)) return std::nullopt;
  return state_->exit_status;
}

std::optional<int> Process::exit_status() const {
  return state_ ? state_->exit_status : std::nullopt;
}

std::optional<Process::Usage> Process::usage() const {
  return state_ ? state_->usage : std::nullopt;
}

bool Process::running() { return state_ && !state_->try_reap(false); }

void Process::send_signal(int signal_number) {
  // Not yet reaped means the pid is still ours (at worst a zombie), never a recycled one.
  if (state_ && !state_->exit_status) ::kill(state_->pid, signal_number);
}

int Process::terminate(std::chrono::milliseconds grace) {
  if (!state_) return -1;
  if (state_->try_reap(false)) return *state_->exit_status;
  ::kill(state_->pid, SIGTERM);
  if (!state_->wait(grace)) state_->kill_and_reap();
  return state_->exit_status.value_or(-1);
}

std::filesystem::path Process::stdout_path() const {
  return state_ ? state_->stdout_path : std::filesystem::path{};
}

std::filesystem::path Process::stderr_path() const {
  return state_ ? state_->stderr_path : std::filesystem::path{};
}

std::string Process::stdout_text() const {
  return state_ ? read_file(state_->stdout_path) : std::string{};
}

std::string Process::stderr_text() const {
  return state_ ? read_file(state_->stderr_path) : std::string{};
}

void kill_all_children() noexcept {
  for (std::size_t i = 0; i < kMaxChildren; ++i) {
    const pid_t pid = g_children[i].load();
    const int stop_signal = g_stop_signals[i].load();
    if (pid > 0) ::kill(pid, stop_signal > 0 ? stop_signal : SIGKILL);
  }
}

namespace {
// The folder for interrupt_cleanup(), in static storage a signal handler can read. The flag is
// cleared while the path changes, so the handler never reads a half-written path.
char g_interrupt_folder[4096];
std::atomic<bool> g_interrupt_folder_set{false};
}  // namespace

void remove_on_interrupt(const std::filesystem::path& folder) {
  g_interrupt_folder_set.store(false);
  const std::string text = folder.string();
  if (text.empty() || text.size() >= sizeof g_interrupt_folder) return;
  std::copy(text.begin(), text.end(), g_interrupt_folder);
  g_interrupt_folder[text.size()] = '\0';
  g_interrupt_folder_set.store(true);
}

void interrupt_cleanup() noexcept {
  kill_all_children();
  if (!g_interrupt_folder_set.load()) return;
  const pid_t pid = ::fork();
  if (pid == 0) {
    char rm[] = "rm";
    char flags[] = "-rf";
    char end_of_options[] = "--";
    char* const argv[] = {rm, flags, end_of_options, g_interrupt_folder, nullptr};
    ::execve("/bin/rm", argv, environ);
    ::_exit(127);
  }
  if (pid > 0) {
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
}

}  // namespace hellobench
