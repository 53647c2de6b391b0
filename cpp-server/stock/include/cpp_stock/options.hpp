// The stock server's settings and the command line that sets them.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace cpp_stock {

struct Options {
  boost::asio::ip::address bind_address = boost::asio::ip::make_address_v4("127.0.0.1");
  std::uint16_t port = 8080;  // 0 picks a free port
  unsigned threads = 1;       // threads running the one io_context
  // The whole header section of a request must arrive within this long: from the accept for
  // the first request, from its first byte for the next ones on a keep-alive connection.
  std::chrono::milliseconds header_timeout{10'000};
  // A keep-alive connection waiting this long for its next request is closed.
  std::chrono::milliseconds idle_timeout{60'000};
  // The whole body must arrive within this long of the header, and each response must be
  // taken by the client within this long of its first write (contract/README.md, "Deadlines").
  std::chrono::milliseconds body_timeout{60'000};
  std::chrono::milliseconds write_timeout{60'000};
  // After stop(), requests in flight get this long before the connections are cut.
  std::chrono::milliseconds shutdown_grace{1'000};
  // After an error answer that closes (400, 413, 431), what the client still sends is read and
  // dropped for at most this long, so that it sees the answer rather than a reset.
  std::chrono::milliseconds linger{500};
  std::uint32_t header_limit_bytes = 8 * 1024;  // Beast's parser: request line and fields
  std::uint64_t body_limit_bytes = 1024 * 1024;
  unsigned live_mb = 0;     // the service workload's store: live_mb * 1024 records
  std::string db_conninfo;  // the database routes' PostgreSQL; none when empty (503)
  unsigned db_pool = 0;     // pooled connections; 0: 2 per thread
  std::chrono::milliseconds db_startup_timeout{10'000};
};

// The CPUs in this process's affinity mask (sched_getaffinity), at least 1.
unsigned affinity_cpu_count();

// A bad command line; what() is one line naming the flag.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct CommandLine {
  Options options;
  bool help_requested = false;
  std::string help_text;
};

// --port, --bind, --threads, --live-mb, --db, --db-pool (args without the program name).
// Throws UsageError.
CommandLine parse_command_line(const std::vector<std::string>& args);

}  // namespace cpp_stock
