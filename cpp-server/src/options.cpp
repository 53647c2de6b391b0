#include "cpp_server/options.hpp"

#include <sched.h>

#include <CLI/CLI.hpp>
#include <boost/system/error_code.hpp>
#include <cstdint>
#include <limits>
#include <map>

#include "cpp_server/pg_pool.hpp"
#include "cpp_server/store.hpp"

namespace cpp_server {

unsigned affinity_cpu_count() {
  // The affinity mask, not the machine: under taskset or a cpuset only those CPUs can run us.
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return 1;
  const int count = CPU_COUNT(&set);
  return count > 0 ? static_cast<unsigned>(count) : 1;
}

namespace {

// --live-mb and --db-pool: decimal digits only (no sign, no exponent, no hex), min..max.
unsigned parse_count(const std::string& flag, const std::string& text, unsigned min, unsigned max) {
  const auto error = [&] {
    return UsageError(flag + ": \"" + text + "\" is not an integer " + std::to_string(min) + ".." +
                      std::to_string(max));
  };
  if (text.empty()) throw error();
  std::uint64_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') throw error();
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
    if (value > max) throw error();  // also keeps the sum from overflowing
  }
  if (value < min) throw error();
  return static_cast<unsigned>(value);
}

// --db: what libpq accepts, and not empty (libpq would take that as "all defaults").
std::string parse_conninfo(const std::string& text) {
  if (text.empty()) throw UsageError("--db: empty connection string");
  std::string reason;
  if (!pg::check_conninfo(text, reason)) {
    throw UsageError("--db: not a libpq connection string or URI: " + reason);
  }
  return text;
}

}  // namespace

CommandLine parse_command_line(const std::vector<std::string>& args) {
  CommandLine result;
  ServerOptions& options = result.options;
  options.threads = affinity_cpu_count();

  int port = options.port;
  std::string bind = options.bind_address.to_string();
  int threads = static_cast<int>(options.threads);
  const std::map<std::string, IoModel> io_models{{"per-thread", IoModel::context_per_thread},
                                                 {"shared", IoModel::shared_context}};

  CLI::App app{"cpp-server: the hellobench HTTP server on Boost.Beast and Boost.Asio",
               "cpp-server"};
  app.add_option("--port", port, "TCP port; 0 picks a free one")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  app.add_option("--bind", bind, "IP address to listen on")->capture_default_str();
  app.add_option("--threads", threads, "worker threads (default: CPUs in the affinity mask)")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  app.add_option("--io-model", options.io_model,
                 "per-thread: an io_context per thread; shared: one io_context, all threads")
      ->transform(CLI::CheckedTransformer(io_models, CLI::ignore_case).description(""))
      ->type_name("per-thread|shared")
      ->default_str("per-thread");
  std::string live_mb = "0";
  app.add_option("--live-mb", live_mb,
                 "service workload: build N * 1024 user records (about N MB) before serving")
      ->type_name("N")
      ->capture_default_str();
  std::string db;
  app.add_option("--db", db, "database routes: a libpq connection string or URI (none: 503)")
      ->type_name("CONNINFO");
  std::string db_pool;
  app.add_option("--db-pool", db_pool, "pooled database connections (default: 2 per thread)")
      ->type_name("N");

  // CLI11 wants argv-style input, in reverse for its vector overload.
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    result.help_requested = true;
    result.help_text = app.help();
    return result;
  } catch (const CLI::ParseError& error) {
    throw UsageError(error.what());
  }

  boost::system::error_code ec;
  options.bind_address = boost::asio::ip::make_address(bind, ec);
  if (ec) throw UsageError("--bind: \"" + bind + "\" is not an IP address");
  options.port = static_cast<std::uint16_t>(port);
  options.threads = static_cast<unsigned>(threads);
  options.live_mb = parse_count("--live-mb", live_mb, 0, max_live_mb);
  if (app.count("--db") > 0) options.db_conninfo = parse_conninfo(db);
  if (app.count("--db-pool") > 0)
    options.db_pool = parse_count("--db-pool", db_pool, 1, max_db_pool);
  return result;
}

}  // namespace cpp_server
