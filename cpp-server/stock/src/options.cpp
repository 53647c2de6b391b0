#include "cpp_stock/options.hpp"

#include <sched.h>

#include <CLI/CLI.hpp>
#include <boost/system/error_code.hpp>

#include "cpp_server/pg_pool.hpp"
#include "cpp_server/store.hpp"

namespace cpp_stock {

unsigned affinity_cpu_count() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return 1;
  const int count = CPU_COUNT(&set);
  return count > 0 ? static_cast<unsigned>(count) : 1;
}

namespace {

// --live-mb and --db-pool: decimal digits only (no sign, no exponent), min..max.
unsigned parse_count(const std::string& flag, const std::string& text, unsigned min, unsigned max) {
  const UsageError error(flag + ": \"" + text + "\" is not an integer " + std::to_string(min) +
                         ".." + std::to_string(max));
  if (text.empty() || text.size() > 9) throw error;
  unsigned value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') throw error;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value < min || value > max) throw error;
  return value;
}

}  // namespace

CommandLine parse_command_line(const std::vector<std::string>& args) {
  CommandLine result;
  Options& options = result.options;
  int port = options.port;
  std::string bind = options.bind_address.to_string();
  int threads = static_cast<int>(affinity_cpu_count());
  std::string live_mb = "0";
  std::string db;
  std::string db_pool;

  CLI::App app{"cpp-stock-server: the hellobench contract on Boost.Beast, as its examples write it",
               "cpp-stock-server"};
  app.add_option("--port", port, "TCP port; 0 picks a free one")->check(CLI::Range(0, 65535));
  app.add_option("--bind", bind, "IP address to listen on")->capture_default_str();
  app.add_option("--threads", threads, "threads running the io_context (default: CPUs usable)")
      ->check(CLI::Range(1, 1024));
  app.add_option("--live-mb", live_mb, "build N * 1024 user records before serving")
      ->type_name("N");
  app.add_option("--db", db, "PostgreSQL for /db/...: a libpq connection string or URI")
      ->type_name("CONNINFO");
  app.add_option("--db-pool", db_pool, "pooled database connections (default: 2 per thread)")
      ->type_name("N");
  try {
    app.parse(std::vector<std::string>(args.rbegin(), args.rend()));  // CLI11 wants it reversed
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
  options.live_mb = parse_count("--live-mb", live_mb, 0, cpp_server::max_live_mb);
  if (app.count("--db") > 0) {
    std::string reason;
    if (db.empty()) throw UsageError("--db: empty connection string");
    if (!cpp_server::pg::check_conninfo(db, reason)) {
      throw UsageError("--db: not a libpq connection string or URI: " + reason);
    }
    options.db_conninfo = db;
  }
  if (app.count("--db-pool") > 0) options.db_pool = parse_count("--db-pool", db_pool, 1, 1024);
  return result;
}

}  // namespace cpp_stock
