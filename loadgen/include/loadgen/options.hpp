// The command line: `loadgen URL [-c CONNS] [-t THREADS] [-d DURATION] [--rate R] ...`.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "loadgen/distribution.hpp"
#include "loadgen/draws.hpp"
#include "loadgen/targets.hpp"
#include "loadgen/url.hpp"

namespace loadgen {

// How the worker threads do their I/O: Boost.Asio's epoll reactor, or io_uring (README,
// "Engines").
enum class Engine { epoll, uring };
const char* engine_name(Engine engine);

struct Options {
  Url url;
  std::string url_text;
  int connections = 10;
  int threads = 0;  // 0: the CPUs in the affinity mask, at most one per connection
  std::chrono::nanoseconds duration = std::chrono::seconds(10);
  std::chrono::nanoseconds warmup{0};
  std::chrono::nanoseconds timeout = std::chrono::seconds(2);
  std::optional<double> rate;  // total requests/s over all connections; nullopt: closed loop
  std::string method = "GET";
  std::vector<std::string> headers;  // "Name: value", on every request
  std::optional<std::string> body;   // --body FILE: its bytes, sent with Content-Length
  std::string body_file;
  std::string targets_file;     // --targets FILE
  std::vector<Target> targets;  // its requests; empty: one request (URL path, -m, --body)
  // Placeholders' distributions: --wait (named wait), --id (id), then each --var in order.
  std::vector<Variable> variables;
  std::uint64_t seed = draws::kDefaultSeed;
  int pipeline = 1;
  bool json = false;
  // Exit 1 when errors / attempts exceed it. nullopt: only when every connection was refused.
  std::optional<double> max_error_rate;
  bool progress = true;          // a progress line on stderr when it is a terminal
  std::optional<Engine> engine;  // --engine; nullopt: io_uring when the kernel has it, else epoll
  // --start-at: begin at this wall-clock time (Unix epoch seconds), so that generators on
  // several hosts measure the same window. nullopt: begin at once.
  std::optional<double> start_at;
  // A start later than this after --start-at is marked in the report and exits 4.
  std::chrono::nanoseconds max_start_late = std::chrono::milliseconds(100);
  std::string host_name;  // --host-name; empty: this machine's host name
  // --part I/N (part_index I-1): this process is part I of N equal parts of one load spread
  // over hosts; its draw streams and due times are those of that part of one generator with N
  // times its connections, threads and rate.
  int part_index = 0;
  int part_count = 1;
};

// Bad usage; what() names the flag. Exit code 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// What the command line asked for: a run, text to print (help, version) and exit 0, or
// `loadgen merge FILE...`: the reports to merge (merge.hpp).
struct Command {
  Options options;
  std::optional<std::string> print_and_exit;
  std::vector<std::string> merge_files;
};

Command parse_command_line(int argc, const char* const* argv);

// The request bytes (request line, Host, headers, Content-Length, empty line, body) of the
// run's only request (of the first target with --targets), placeholders unrendered.
std::string serialise_request(const Options& options);

}  // namespace loadgen
