// loadgen: parse, run, report, map the outcome to an exit code (0 ok, 1 too many errors,
// 2 bad usage or input, 4 started later than --max-start-late after --start-at). `loadgen merge
// FILE...` merges reports instead of running.
#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <exception>

#include "loadgen/engine.hpp"
#include "loadgen/merge.hpp"
#include "loadgen/options.hpp"
#include "loadgen/report.hpp"

namespace {

std::atomic<bool> g_stop{false};

extern "C" void on_signal(int) {
  g_stop.store(true);
  std::signal(SIGINT, SIG_DFL);  // a second Ctrl-C ends at once
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const auto command = loadgen::parse_command_line(argc, argv);
    if (command.print_and_exit) {
      std::fputs(command.print_and_exit->c_str(), stdout);
      return 0;
    }
    if (!command.merge_files.empty()) {
      std::fputs(loadgen::merge_report_files(command.merge_files).c_str(), stdout);
      return 0;
    }
    const auto& options = command.options;
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    std::signal(SIGPIPE, SIG_IGN);

    if (options.threads > options.connections)
      fmt::print(stderr,
                 "loadgen: {} threads for {} connections: running {} (one per connection)\n",
                 options.threads, options.connections, options.connections);

    loadgen::RunHooks hooks;
    hooks.stop = &g_stop;
    const bool terminal = options.progress && isatty(STDERR_FILENO);
    const double total_s = std::chrono::duration<double>(options.warmup + options.duration).count();
    if (terminal)
      hooks.progress = [total_s](const loadgen::Progress& p) {
        fmt::print(stderr, "\r\033[K[{:.1f}s/{:.1f}s] {} requests, {} errors", p.elapsed_s, total_s,
                   p.requests, p.errors);
        std::fflush(stderr);
      };
    const auto result = loadgen::run(options, hooks);
    if (terminal) fmt::print(stderr, "\r\033[K");
    if (!result.engine_fallback.empty())
      fmt::print(stderr, "loadgen: ran the epoll engine: {}\n", result.engine_fallback);
    const std::string report = options.json ? loadgen::json_report(result, options)
                                            : loadgen::text_report(result, options);
    std::fputs(report.c_str(), stdout);
    std::fflush(stdout);
    return loadgen::exit_code(result, options);
  } catch (const loadgen::UsageError& e) {
    fmt::print(stderr, "loadgen: {}\n", e.what());
    return 2;
  } catch (const loadgen::MergeError& e) {
    fmt::print(stderr, "loadgen merge: {}\n", e.what());
    return 2;
  } catch (const loadgen::RunError& e) {
    fmt::print(stderr, "loadgen: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "loadgen: {}\n", e.what());
    return 1;
  }
}
