// Server settings and the command line that sets them.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace cpp_server {

// How worker threads share the event loop. See README.md for the measurements behind the default.
enum class IoModel {
  // One io_context per thread, each with its own connections; the acceptor hands new
  // connections out round-robin. No locks and no strands on the request path.
  context_per_thread,
  // One io_context run by all threads; every connection's handlers go through a strand.
  shared_context,
};

struct ServerOptions {
  boost::asio::ip::address bind_address = boost::asio::ip::make_address_v4("127.0.0.1");
  std::uint16_t port = 8080;  // 0 picks a free port; Server::local_endpoint() tells which
  unsigned threads = 1;
  IoModel io_model = IoModel::context_per_thread;
  // A request's header section must be complete this long after the connection opened (first
  // request) or after the request's first byte (later requests on a keep-alive connection).
  std::chrono::milliseconds header_timeout{10'000};
  // A keep-alive connection waiting this long for its next request is closed.
  std::chrono::milliseconds idle_timeout{60'000};
  // A request's body must be complete this long after its header (a total, not a gap between
  // bytes); else the connection is dropped with no answer (contract/README.md, "Deadlines").
  std::chrono::milliseconds body_timeout{60'000};
  // A response must be taken by the client this long after the server began writing it; else
  // the connection is dropped (a client that does not read its answers).
  std::chrono::milliseconds write_timeout{60'000};
  // After stop(), requests in flight get this long to finish before their connections are cut.
  std::chrono::milliseconds shutdown_grace{1'000};
  // After an error response, the server reads and discards what the client still sends for at
  // most this long before closing, so the client sees the response rather than a reset.
  std::chrono::milliseconds linger{500};
  std::size_t header_limit_bytes = 8 * 1024;  // request line and header fields together
  // A body over this is answered 413 and the connection closed; up to it, a body is read (and
  // discarded when no route wants it) and the connection kept.
  std::uint64_t body_limit_bytes = 1024 * 1024;
  // The service workload: live_mb * 1024 user records built before the server is ready.
  unsigned live_mb = 0;
  // The database routes: a libpq connection string or URI; none when empty (they answer 503).
  std::string db_conninfo;
  // Pooled connections in all; 0 means 2 per worker thread.
  unsigned db_pool = 0;
  // With a database, start() returns once a pooled connection has answered SELECT 1, and fails
  // when none has after this long.
  std::chrono::milliseconds db_startup_timeout{10'000};
  // A query that finds no free connection within this long answers 503.
  std::chrono::milliseconds db_acquire_timeout{5'000};
};

inline constexpr unsigned max_db_pool = 1024;

// The number of CPUs in this process's affinity mask (sched_getaffinity), at least 1.
unsigned affinity_cpu_count();

// A bad command line; what() is one line that names the flag.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct CommandLine {
  ServerOptions options;
  bool help_requested = false;
  std::string help_text;
};

// Parses --port, --bind, --threads, --io-model, --live-mb, --db and --db-pool (args excludes the
// program name). Throws UsageError. --threads defaults to affinity_cpu_count().
CommandLine parse_command_line(const std::vector<std::string>& args);

}  // namespace cpp_server
