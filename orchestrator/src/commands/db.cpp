// `hellobench db load`: the users table of the database routes, in a database the user runs.
#include <fmt/format.h>

#include <filesystem>

#include "cli.hpp"
#include "commands/common.hpp"
#include "core/errors.hpp"
#include "trial/database.hpp"

namespace hellobench {

namespace fs = std::filesystem;

int command_db_load(const Options& options, std::FILE* out) {
  const Config config = load(options);
  if (options.db.empty()) throw UsageError("db load: --db CONNINFO is required");
  if (options.live_mb < 1 || options.live_mb > 4096) {
    throw UsageError(fmt::format("--live-mb: {} is not an integer 1..4096", options.live_mb));
  }
  const long records = static_cast<long>(options.live_mb) * 1024;
  const fs::path log =
      fs::temp_directory_path() / fmt::format("hellobench-db-load-{}.log", ::getpid());
  load_users_table(options.db, records, users_sql_path(config.base_dir), log);
  fmt::print(out, "loaded {} records into table users of {}\n", records, options.db);
  return kExitOk;
}

}  // namespace hellobench
