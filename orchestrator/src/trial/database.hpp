// The private PostgreSQL of a run (CONTRACT.md 1, "A real database behind the I/O routes"):
// initdb in a temporary folder, the server on loopback pinned to the CPU set the results name,
// the users table loaded with the same records as --live-mb (contract/db/users.sql), stopped
// and removed at the end, on Ctrl-C, and after a kill -9 of the orchestrator too.
//
// PostgreSQL refuses to run as root, and a process that changes its user loses its parent-death
// signal, so the server runs under a small guard (bash, our child, dying with us by SIGTERM
// rather than SIGKILL): the guard starts postgres as the postgres user, and when it is told to
// stop, or the orchestrator dies, it shuts postgres down (immediate mode) and removes the folder.
#pragma once

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace hellobench {

struct DatabaseOptions {
  std::filesystem::path parent_dir;  // the cluster goes in a new folder under it
  std::vector<int> cpus;             // CPU set for the server (and its backends)
  long records = 1024;               // rows of the users table
  int max_connections = 400;         // the servers' pools for waits of 80-150 ms are large
  std::filesystem::path users_sql;   // contract/db/users.sql
  std::filesystem::path log_dir;     // initdb, server and load logs
};

class PrivateDatabase {
 public:
  // Throws MissingToolError (exit 3) when PostgreSQL is not installed, std::runtime_error when
  // it cannot start (the message carries the log's last lines).
  static std::unique_ptr<PrivateDatabase> start(const DatabaseOptions& options);
  ~PrivateDatabase();  // stops the server and removes its folder
  PrivateDatabase(const PrivateDatabase&) = delete;
  PrivateDatabase& operator=(const PrivateDatabase&) = delete;

  const std::string& uri() const;  // postgresql://postgres@127.0.0.1:PORT/postgres
  // Answers SELECT 1 within the timeout.
  bool alive() const;
  // Starts the server again on the same folder and port after it died (a fault mid-run).
  void restart();
  // Version and the settings that move numbers (for results.json).
  nlohmann::json describe() const;

 private:
  PrivateDatabase() = default;
  struct State;
  std::unique_ptr<State> state_;
};

// Creates and loads the users table with `records` rows in the database at `uri` (hellobench db
// load). Throws UsageError naming the URI when psql cannot connect.
void load_users_table(const std::string& uri, long records, const std::filesystem::path& users_sql,
                      const std::filesystem::path& log_file);

// Where contract/db/users.sql is, from the config's folder.
std::filesystem::path users_sql_path(const std::filesystem::path& config_dir);

}  // namespace hellobench
