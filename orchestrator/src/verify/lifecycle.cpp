// The server's life as a process (section 1, "Command line and lifecycle"): the ready line
// and the address it names, answers right after it, a graceful stop on SIGTERM and SIGINT,
// --threads and the affinity mask, and bad arguments (exit 2, one line on stderr).
#include <arpa/inet.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sched.h>
#include <signal.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "trial/process.hpp"
#include "verify/check_support.hpp"
#include "verify/http_client.hpp"
#include "verify/verify.hpp"

namespace hellobench {
namespace {

using namespace std::chrono_literals;
using namespace verify_support;

const std::vector<std::string> kLifecycleChecks = {
    "ready-line",
    "ready-address",
    "ready-answers",
    "sigterm-finishes-in-flight",
    "sigterm-stops-accepting",
    "sigterm-exit",
    "threads-1",
    "threads-2",
    "threads-default",
    "sigint-exit",
    "bad-flag",
    "bad-value",
    "bad-live-mb",
};

// The contract's limit from SIGTERM or SIGINT to exit 0; a quiet machine needs a few ms beyond
// the requests in flight. An exit after the limit but within kExitGiveUp is late (a timing
// failure); still running then, the server does not stop.
constexpr auto kShutdownLimit = 2s;
constexpr auto kExitGiveUp = 5s;
// The request in flight at SIGTERM: GET /io?ms=1000, sent 100 ms before the signal, so it ends
// about 900 ms after it. A new connection must be refused (or left unanswered) before then:
// checked every 25 ms until kStopAcceptingLimit (a hundred times what a quiet machine needs),
// each probe waiting at most kProbeAnswerWait, so the last one ends before the in-flight
// request does and the server's exit cannot pass for a refusal.
constexpr int kInFlightMs = 1000;
constexpr auto kInFlightLead = 100ms;
constexpr auto kStopAcceptingLimit = 600ms;
constexpr auto kProbeAnswerWait = 250ms;
// GET / right after the ready line: a quiet machine answers in a millisecond.
constexpr auto kReadyAnswerWait = 5s;
// The thread checks do not judge the shutdown (sigterm-exit does): a short grace, then SIGKILL.
constexpr milliseconds kStopAfterThreadCheck = 500ms;
// --live-mb N takes an integer 0..4096 (contract/README.md).
const std::vector<std::string> kBadLiveMbValues = {"4097", "-1", "1.5", "many"};

// argv with flag's value replaced (both "--flag V" and "--flag=V"), or appended.
std::vector<std::string> with_flag(std::vector<std::string> argv, const std::string& flag,
                                   const std::string& value) {
  for (std::size_t i = 1; i < argv.size(); ++i) {
    if (argv[i] == flag && i + 1 < argv.size()) {
      argv[i + 1] = value;
      return argv;
    }
    if (argv[i].rfind(flag + "=", 0) == 0) {
      argv[i] = flag + "=" + value;
      return argv;
    }
  }
  argv.push_back(flag);
  argv.push_back(value);
  return argv;
}

std::optional<std::string> flag_value(const std::vector<std::string>& argv,
                                      const std::string& flag) {
  for (std::size_t i = 1; i < argv.size(); ++i) {
    if (argv[i] == flag && i + 1 < argv.size()) return argv[i + 1];
    if (argv[i].rfind(flag + "=", 0) == 0) return argv[i].substr(flag.size() + 1);
  }
  return std::nullopt;
}

struct ListenAddress {
  std::string host;
  std::uint16_t port = 0;
};

// "listening on 127.0.0.1:8080" or "listening on [::1]:8080".
std::optional<ListenAddress> parse_listening_line(const std::string& line) {
  constexpr std::string_view prefix = "listening on ";
  if (line.rfind(prefix, 0) != 0) return std::nullopt;
  std::string rest = line.substr(prefix.size());
  auto colon = rest.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == rest.size()) return std::nullopt;
  std::string host = rest.substr(0, colon);
  std::string port_text = rest.substr(colon + 1);
  if (!std::all_of(port_text.begin(), port_text.end(),
                   [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }) ||
      port_text.size() > 5) {
    return std::nullopt;
  }
  int port = std::stoi(port_text);
  if (port <= 0 || port > 65535) return std::nullopt;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  return ListenAddress{host, static_cast<std::uint16_t>(port)};
}

std::optional<int> thread_count(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/status", pid));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Threads:", 0) == 0) return std::stoi(line.substr(8));
  }
  return std::nullopt;
}

// A started server, ready or not.
struct Started {
  std::optional<Process> process;
  std::optional<ListenAddress> address;
  std::string line;
  std::string error;  // why it is not ready
};

Started start_server(const std::vector<std::string>& argv, milliseconds ready_timeout,
                     std::vector<int> cpus = {}) {
  Started s;
  try {
    s.process.emplace(Process::spawn(ProcessSpec{argv, std::move(cpus), {}, {}, {}, {}}));
  } catch (const ProcessError& e) {
    s.error = e.what();
    return s;
  }
  auto line = s.process->wait_for_stdout_line("listening on ", ready_timeout);
  if (!line) {
    auto stderr_text = s.process->stderr_text();
    if (auto status = s.process->exit_status()) {
      s.error = fmt::format("exited with status {} before printing 'listening on' (stderr: {})",
                            *status, show(stderr_text, 200));
    } else {
      s.error = fmt::format("no 'listening on ADDR:PORT' line within {} ms (stdout: {})",
                            ready_timeout.count(), show(s.process->stdout_text(), 200));
    }
    return s;
  }
  s.line = *line;
  s.address = parse_listening_line(*line);
  if (!s.address) s.error = fmt::format("cannot read ADDR:PORT from {}", show(*line));
  return s;
}

std::string connect_host(const ListenAddress& address) {
  // A server told to bind to every address is reached on loopback.
  if (address.host == "0.0.0.0") return "127.0.0.1";
  if (address.host == "::") return "::1";
  return address.host;
}

std::string host_header(const ListenAddress& address) {
  return host_port(address.host, address.port);
}

// The TCP sockets pid listens on, as "ADDR:PORT" ("[ADDR]:PORT" for IPv6): the socket inodes
// among /proc/PID/fd matched with the LISTEN rows of /proc/PID/net/tcp and tcp6. What the
// server really bound, whatever its line says; read from /proc, no traffic needed.
std::vector<std::string> listening_sockets(pid_t pid) {
  std::set<std::string> inodes;
  std::error_code ec;
  for (const auto& fd : std::filesystem::directory_iterator(fmt::format("/proc/{}/fd", pid), ec)) {
    auto target = std::filesystem::read_symlink(fd.path(), ec).string();
    if (target.rfind("socket:[", 0) == 0) inodes.insert(target.substr(8, target.size() - 9));
  }
  std::vector<std::string> sockets;
  for (const bool v6 : {false, true}) {
    std::ifstream table(fmt::format("/proc/{}/net/{}", pid, v6 ? "tcp6" : "tcp"));
    std::string line;
    std::getline(table, line);  // column titles
    while (std::getline(table, line)) {
      std::istringstream row(line);
      std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
      row >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >> timeout >>
          inode;
      if (state != "0A" || !inodes.count(inode)) continue;  // 0A: TCP_LISTEN
      auto colon = local.find(':');
      const std::string hex = local.substr(0, colon);
      const int port = std::stoi(local.substr(colon + 1), nullptr, 16);
      // The address is printed as 32-bit words in host byte order.
      char text[INET6_ADDRSTRLEN] = {};
      if (v6) {
        in6_addr address{};
        for (int word = 0; word < 4; ++word) {
          address.s6_addr32[word] =
              static_cast<std::uint32_t>(std::stoul(hex.substr(word * 8, 8), nullptr, 16));
        }
        ::inet_ntop(AF_INET6, &address, text, sizeof text);
        sockets.push_back(fmt::format("[{}]:{}", text, port));
      } else {
        in_addr address{};
        address.s_addr = static_cast<std::uint32_t>(std::stoul(hex, nullptr, 16));
        ::inet_ntop(AF_INET, &address, text, sizeof text);
        sockets.push_back(fmt::format("{}:{}", text, port));
      }
    }
  }
  return sockets;
}

std::vector<std::string> without_flag(std::vector<std::string> argv, const std::string& flag) {
  for (std::size_t i = 1; i < argv.size();) {
    if (argv[i] == flag && i + 1 < argv.size()) {
      argv.erase(argv.begin() + static_cast<long>(i), argv.begin() + static_cast<long>(i) + 2);
    } else if (argv[i].rfind(flag + "=", 0) == 0) {
      argv.erase(argv.begin() + static_cast<long>(i));
    } else {
      ++i;
    }
  }
  return argv;
}

Outcome check_threads(const LifecycleOptions& options, int threads) {
  auto argv = with_flag(options.argv, "--threads", std::to_string(threads));
  auto s = start_server(argv, options.ready_timeout);
  if (!s.address) return fail(fmt::format("with --threads {}: {}", threads, s.error));
  auto r = http_exchange(connect_host(*s.address), s.address->port,
                         http_get("/", host_header(*s.address)), 3s);
  if (r.status != 200)
    return fail(fmt::format("with --threads {}: GET / {}", threads, status_line(r)));
  auto count = thread_count(s.process->pid());
  s.process->terminate(kStopAfterThreadCheck);
  if (!count) return fail("cannot read Threads from /proc");
  if (*count < threads)
    return fail(fmt::format("--threads {} but only {} threads in /proc", threads, *count));
  if (options.max_extra_threads >= 0 && *count > threads + options.max_extra_threads) {
    return fail(fmt::format("--threads {} but {} threads in /proc (at most {} expected)", threads,
                            *count, threads + options.max_extra_threads));
  }
  return pass(fmt::format("--threads {}: answers, {} threads in /proc", threads, *count));
}

// A bad argument: exit 2 with exactly one line on stderr, naming must_name when given. A server
// that takes the argument and starts is caught by its ready line, without waiting for timeout.
Outcome check_bad_argument(const std::vector<std::string>& argv, milliseconds timeout,
                           std::string_view must_name = {}) {
  auto process = Process::spawn(ProcessSpec{argv, {}, {}, {}, {}, {}});
  const std::string shown = fmt::format("'{}'", fmt::join(argv.begin() + 1, argv.end(), " "));
  if (auto line = process.wait_for_stdout_line("listening on ", timeout)) {
    process.terminate(0ms);
    return fail(fmt::format("{}: accepted; the server started ({})", shown, show(*line)));
  }
  auto status = process.wait_exit(500ms);
  if (!status) {
    process.terminate(0ms);
    return fail(fmt::format("{}: still running after {} ms", shown, timeout.count()));
  }
  auto err = process.stderr_text();
  if (*status != 2)
    return fail(
        fmt::format("{}: exit {}, expected 2 (stderr: {})", shown, *status, show(err, 120)));
  std::string_view text = err;
  if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  if (text.empty()) return fail(fmt::format("{}: exit 2 but nothing on stderr", shown));
  if (text.find('\n') != std::string_view::npos) {
    auto lines = std::count(text.begin(), text.end(), '\n') + 1;
    return fail(
        fmt::format("{}: {} lines on stderr, expected one: {}", shown, lines, show(text, 120)));
  }
  if (!must_name.empty() && text.find(must_name) == std::string_view::npos) {
    return fail(fmt::format("{}: exit 2, but the error does not name {}: {}", shown, must_name,
                            show(text, 120)));
  }
  return pass(fmt::format("{}: exit 2: {}", shown, show(text, 120)));
}

// Exit status 0 within kShutdownLimit of signalled; later but within kExitGiveUp is late.
Outcome judge_exit(Process& process, Clock::time_point signalled, std::string_view signal_name,
                   std::string_view while_what = {}) {
  const auto left = [&](auto limit) {
    return std::max(std::chrono::duration_cast<milliseconds>(signalled + limit - Clock::now()),
                    0ms);
  };
  auto status = process.wait_exit(left(kShutdownLimit));
  const bool in_time = status.has_value();
  if (!status) status = process.wait_exit(left(kExitGiveUp));
  const auto after = ms(Clock::now() - signalled);
  if (!status) {
    return fail(fmt::format("still running {} ms after {}{}", after, signal_name, while_what));
  }
  if (*status != 0) {
    return fail(fmt::format("exit status {} after {}, expected 0", *status, signal_name));
  }
  if (!in_time) {
    return late(fmt::format("exit 0 {} ms after {} (limit {} ms){}", after, signal_name,
                            milliseconds(kShutdownLimit).count(), while_what));
  }
  return pass_in_time(fmt::format("exit 0 within {} ms of {}", after, signal_name));
}

struct GracefulStop {
  Outcome in_flight = fail("not run");
  Outcome stops_accepting = fail("not run");
  Outcome exit = fail("not run");
  bool timing_failure() const {
    return (!in_flight.passed && in_flight.timing) ||
           (!stops_accepting.passed && stops_accepting.timing) || (!exit.passed && exit.timing);
  }
};

// SIGTERM to a ready server holding one idle keep-alive connection and one GET /io?ms=1000 in
// flight: that request is still answered, new connections are refused soon, and the server
// exits 0 within 2 s.
GracefulStop graceful_stop(Started& server) {
  GracefulStop result;
  try {
    const auto& address = *server.address;
    const std::string host = connect_host(address);
    auto idle = HttpConnection::connect(host, address.port, 3s);
    idle.send(http_get("/", host_header(address)), 3s);
    idle.read_response(3s);
    auto busy = HttpConnection::connect(host, address.port, 3s);
    const std::string in_flight_target = fmt::format("/io?ms={}", kInFlightMs);
    busy.send(http_get(in_flight_target, host_header(address)), 3s);
    std::this_thread::sleep_for(kInFlightLead);  // the request is in the server's hands
    const auto signalled = Clock::now();
    server.process->send_signal(SIGTERM);

    // Probe with new connections until one is refused or unanswered.
    int answered = 0;
    std::string last_answer;
    for (;;) {
      try {
        auto r = http_exchange(host, address.port, http_get("/", host_header(address)),
                               kProbeAnswerWait);
        ++answered;
        last_answer = status_line(r);
      } catch (const HttpClientError& e) {
        result.stops_accepting = pass_in_time(fmt::format(
            "a new connection {} ms after SIGTERM: {}", ms(Clock::now() - signalled), e.what()));
        break;
      }
      if (Clock::now() - signalled >= kStopAcceptingLimit) {
        result.stops_accepting = late(fmt::format(
            "new connections still answered {} ms after SIGTERM (limit {} ms; {} answered, the "
            "last {})",
            ms(Clock::now() - signalled), milliseconds(kStopAcceptingLimit).count(), answered,
            last_answer));
        break;
      }
      std::this_thread::sleep_for(25ms);
    }

    const auto read_limit =
        std::chrono::duration_cast<milliseconds>(signalled + kShutdownLimit + 1s - Clock::now());
    try {
      auto r = busy.read_response(std::max(read_limit, 100ms));
      result.in_flight =
          r.status == 200 && r.body == kRootBody
              ? pass(fmt::format("GET {} answered {} after SIGTERM", in_flight_target, r.status))
              : fail(fmt::format("GET {} in flight at SIGTERM: {} {}", in_flight_target,
                                 status_line(r), show(r.body)));
    } catch (const HttpClientError& e) {
      result.in_flight =
          fail(fmt::format("GET {} in flight at SIGTERM: {}", in_flight_target, e.what()));
    }
    result.exit =
        judge_exit(*server.process, signalled, "SIGTERM", " (one idle keep-alive connection open)");
  } catch (const std::exception& e) {
    result.in_flight = result.stops_accepting = result.exit = fail(e.what());
  }
  server.process->terminate(0ms);
  return result;
}

// The second try's outcome, with what the first try saw when it failed.
Outcome after_retry(const Outcome& first, Outcome second) {
  if (!first.passed) {
    second.detail = fmt::format("{} (second try; the first: {})", second.detail, first.detail);
  }
  return second;
}

CheckResult skipped(const std::string& name, const std::string& why) {
  CheckResult result;
  result.name = name;
  result.passed = true;
  result.detail = "skipped: " + why;
  result.skipped = why;
  return result;
}

}  // namespace

std::vector<std::string> lifecycle_check_names() { return kLifecycleChecks; }

VerifyReport verify_lifecycle(const LifecycleOptions& options) {
  VerifyReport report;
  std::vector<CheckResult> results;
  auto add = [&](const std::string& name, const std::function<Outcome()>& check,
                 Retry retry = Retry::no) { results.push_back(run_check(name, check, retry)); };
  if (options.argv.empty()) {
    for (const auto& name : lifecycle_check_names())
      results.push_back(not_run(name, "no command to start"));
    report.checks = std::move(results);
    return report;
  }

  // The server as given: readiness, then a graceful stop with a request in flight.
  auto given = start_server(options.argv, options.ready_timeout);
  // Why the checks that need a serving server cannot run, once that is known.
  std::optional<std::string> cannot_serve;
  if (!given.address) {
    cannot_serve = fmt::format("the server did not start (ready-line): {}", given.error);
  }
  auto need_ready = [&]() -> const ListenAddress& {
    if (!given.address) throw std::runtime_error(fmt::format("server not ready: {}", given.error));
    return *given.address;
  };
  add("ready-line", [&] {
    need_ready();
    return pass(given.line);
  });
  add("ready-address", [&] {
    const auto& address = need_ready();
    const std::string expected_host = flag_value(options.argv, "--bind").value_or("127.0.0.1");
    if (address.host != expected_host) {
      return fail(fmt::format("listening on {}, expected {} ({})", address.host, expected_host,
                              flag_value(options.argv, "--bind") ? "--bind" : "the default"));
    }
    auto requested_port = flag_value(options.argv, "--port").value_or("0");
    if (requested_port != "0" && requested_port != std::to_string(address.port)) {
      return fail(fmt::format("listening on port {}, --port {}", address.port, requested_port));
    }
    // Nothing may listen beyond the one address: a wildcard socket would serve every interface.
    const std::string expected = host_header(ListenAddress{expected_host, address.port});
    auto sockets = listening_sockets(given.process->pid());
    if (sockets.empty()) return fail("no listening socket found in /proc");
    for (const auto& socket : sockets) {
      if (socket != expected) {
        return fail(
            fmt::format("listens on {}, expected only {}", fmt::join(sockets, ", "), expected));
      }
    }
    return pass(fmt::format("{}, the only listening socket", expected));
  });
  add("ready-answers", [&] {
    const auto& address = need_ready();
    // The line promises a listener: the first connection must not be refused. The answer may
    // take a moment on a loaded machine, but not kReadyAnswerWait.
    try {
      auto connection = HttpConnection::connect(connect_host(address), address.port, 3s);
      connection.send(http_get("/", host_header(address)), 3s);
      const auto asked = Clock::now();
      auto r = connection.read_response(kReadyAnswerWait);
      if (r.status != 200)
        return fail(fmt::format("GET / right after the line: {}", status_line(r)));
      return pass(fmt::format("GET / answered 200 {} ms after the line", ms(Clock::now() - asked)));
    } catch (const HttpClientError& e) {
      cannot_serve =
          fmt::format("the server printed its ready line but did not answer GET / (ready-answers)");
      return fail(
          fmt::format("printed {} but GET / got no answer: {}", show(given.line), e.what()));
    }
  });

  GracefulStop stop;
  if (cannot_serve) {
    stop.in_flight = stop.stops_accepting = stop.exit = fail("not run: " + *cannot_serve);
  } else {
    stop = graceful_stop(given);
    if (stop.timing_failure()) {
      // Once more on a fresh server: a loaded machine should not fail it.
      auto again = start_server(options.argv, options.ready_timeout);
      if (again.address) {
        GracefulStop second = graceful_stop(again);
        stop = {after_retry(stop.in_flight, second.in_flight),
                after_retry(stop.stops_accepting, second.stops_accepting),
                after_retry(stop.exit, second.exit)};
      }
    }
  }
  if (given.process) given.process->terminate(0ms);
  results.push_back(to_result("sigterm-finishes-in-flight", stop.in_flight));
  results.push_back(to_result("sigterm-stops-accepting", stop.stops_accepting));
  results.push_back(to_result("sigterm-exit", stop.exit));

  auto serving = [&](const std::string& name, const std::function<Outcome()>& check,
                     Retry retry = Retry::no) {
    if (cannot_serve) {
      results.push_back(not_run(name, *cannot_serve));
    } else {
      add(name, check, retry);
    }
  };
  serving("threads-1", [&] { return check_threads(options, 1); });
  serving("threads-2", [&] { return check_threads(options, 2); });
  serving("threads-default", [&] {
    // Without --threads a server runs as many workers as its affinity mask holds CPUs: pinned
    // to one CPU, it must look like --threads 1.
    cpu_set_t allowed;
    if (::sched_getaffinity(0, sizeof allowed, &allowed) != 0)
      return fail("sched_getaffinity failed");
    int cpu = 0;
    while (cpu < CPU_SETSIZE && !CPU_ISSET(cpu, &allowed)) ++cpu;
    auto s = start_server(without_flag(options.argv, "--threads"), options.ready_timeout, {cpu});
    if (!s.address)
      return fail(fmt::format("without --threads, pinned to CPU {}: {}", cpu, s.error));
    auto r = http_exchange(connect_host(*s.address), s.address->port,
                           http_get("/", host_header(*s.address)), 3s);
    auto count = thread_count(s.process->pid());
    s.process->terminate(kStopAfterThreadCheck);
    if (r.status != 200) return fail(fmt::format("without --threads: GET / {}", status_line(r)));
    if (!count) return fail("cannot read Threads from /proc");
    if (options.max_extra_threads >= 0 && *count > 1 + options.max_extra_threads) {
      return fail(fmt::format(
          "without --threads, pinned to 1 CPU: {} threads in /proc (at most {} expected)", *count,
          1 + options.max_extra_threads));
    }
    return pass(fmt::format("without --threads, pinned to CPU {}: answers, {} threads in /proc",
                            cpu, *count));
  });
  auto sigint_exit = [&] {
    auto s = start_server(options.argv, options.ready_timeout);
    if (!s.address) return fail(s.error);
    const auto signalled = Clock::now();
    s.process->send_signal(SIGINT);
    return judge_exit(*s.process, signalled, "SIGINT");
  };
  if (!given.address) {
    results.push_back(not_run("sigint-exit", *cannot_serve));
  } else {
    add("sigint-exit", sigint_exit, Retry::on_timing);  // needs the line only, not answers
  }
  add("bad-flag", [&] {
    auto argv = options.argv;
    argv.push_back("--no-such-flag");
    return check_bad_argument(argv, options.ready_timeout);
  });
  add("bad-value", [&] {
    return check_bad_argument(with_flag(options.argv, "--threads", "many"), options.ready_timeout);
  });
  if (!options.with_live_mb) {
    results.push_back(skipped("bad-live-mb", "the server has no live_mb setting"));
  } else {
    add("bad-live-mb", [&] {
      Outcome last;
      for (const auto& value : kBadLiveMbValues) {
        last = check_bad_argument(options.with_live_mb(value), options.ready_timeout, "--live-mb");
        if (!last.passed) return last;
      }
      return pass(fmt::format("{} bad values ({}), each exit 2 naming --live-mb; the last: {}",
                              kBadLiveMbValues.size(), fmt::join(kBadLiveMbValues, ", "),
                              last.detail));
    });
  }
  report.checks = in_order(lifecycle_check_names(), std::move(results));
  return report;
}

}  // namespace hellobench
