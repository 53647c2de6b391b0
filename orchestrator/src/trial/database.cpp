#include "trial/database.hpp"

#include <fmt/format.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <thread>

#include "core/errors.hpp"
#include "trial/environment.hpp"
#include "trial/process.hpp"

namespace hellobench {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// The newest PostgreSQL server installed (Debian: /usr/lib/postgresql/<major>/bin).
std::optional<fs::path> postgres_bin_dir() {
  std::error_code ec;
  std::optional<fs::path> best;
  int best_major = -1;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    const fs::path bin = entry.path() / "bin";
    if (!fs::exists(bin / "postgres", ec) || !fs::exists(bin / "initdb", ec)) continue;
    const int major = std::atoi(entry.path().filename().c_str());
    if (major > best_major) {
      best_major = major;
      best = bin;
    }
  }
  return best;
}

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

std::string tail_of(const fs::path& file, std::size_t bytes = 600) {
  std::ifstream in(file, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return text.size() > bytes ? text.substr(text.size() - bytes) : text;
}

// Runs argv to completion (bounded), its output to log; the exit status, or -1 on timeout.
int run_logged(const Argv& argv, const fs::path& log, std::chrono::seconds timeout) {
  ProcessSpec spec;
  spec.argv = argv;
  spec.stdout_path = log;
  spec.stderr_path = log.string() + ".err";
  Process p = Process::spawn(spec);
  const auto status = p.wait_exit(timeout);
  if (!status) {
    p.terminate(std::chrono::milliseconds(500));
    return -1;
  }
  return *status;
}

// The guard: starts postgres as its own user in the background, forwards a stop, and on
// SIGTERM (told to stop, or the orchestrator died: its parent-death signal) shuts postgres
// down at once and removes the cluster's folder. When postgres dies by itself the guard
// exits and leaves the folder, so the cluster can be restarted.
constexpr const char* kGuardScript = R"(
dir="$1"; shift
"$@" &
pg=$!
stop() { kill -QUIT "$pg" 2>/dev/null; wait "$pg" 2>/dev/null; rm -rf "$dir"; exit 0; }
trap stop TERM INT HUP
wait "$pg"
exit $?
)";

bool running_as_root() { return ::geteuid() == 0; }

// argv prefix that runs a command as the postgres user when we are root (initdb and postgres
// refuse root); setpriv execs in place, so the command stays the guard's direct child.
Argv as_postgres(Argv argv) {
  if (!running_as_root()) return argv;
  Argv out = {"setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

void chown_to_postgres(const fs::path& path) {
  if (!running_as_root()) return;
  const passwd* pw = ::getpwnam("postgres");
  if (!pw)
    throw MissingToolError("PostgreSQL's 'postgres' user is missing (apt-get install postgresql)");
  if (::chown(path.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
    throw std::runtime_error(fmt::format("cannot hand {} to the postgres user", path.string()));
  }
}

}  // namespace

struct PrivateDatabase::State {
  DatabaseOptions options;
  fs::path bin;
  fs::path dir;  // the cluster: dir/data, the Unix socket in dir
  int port = 0;
  std::string uri;
  std::optional<Process> guard;
  int starts = 0;

  void launch() {
    ProcessSpec spec;
    spec.argv = {"bash", "-c", kGuardScript, "hellobench-pg-guard", dir.string()};
    const Argv postgres =
        as_postgres({(bin / "postgres").string(), "-D", (dir / "data").string(), "-c",
                     "listen_addresses=127.0.0.1", "-p", std::to_string(port), "-k", dir.string(),
                     "-c", fmt::format("max_connections={}", options.max_connections), "-c",
                     "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"});
    spec.argv.insert(spec.argv.end(), postgres.begin(), postgres.end());
    spec.cpus = options.cpus;
    spec.stop_signal = SIGTERM;
    spec.stdout_path = options.log_dir / fmt::format("postgres-{}.log", ++starts);
    spec.stderr_path = spec.stdout_path;
    guard.emplace(Process::spawn(spec));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      if (!guard->running()) break;
      if (ready()) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    const std::string log = tail_of(spec.stdout_path);
    throw std::runtime_error(
        fmt::format("the private PostgreSQL did not start on 127.0.0.1:{}: {}", port, log));
  }

  bool ready() const {
    const auto answer =
        capture_output({"psql", "-Atq", "-h", "127.0.0.1", "-p", std::to_string(port), "-U",
                        "postgres", "-d", "postgres", "-c", "SELECT 1"},
                       std::chrono::seconds(3));
    return answer && *answer == "1";
  }
};

std::unique_ptr<PrivateDatabase> PrivateDatabase::start(const DatabaseOptions& options) {
  const auto bin = postgres_bin_dir();
  if (!bin) {
    throw MissingToolError(
        "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/postgres): the database "
        "scenarios need it; install it with: apt-get install postgresql (or run with --db)");
  }
  if (!find_program("psql")) {
    throw MissingToolError("psql not found: apt-get install postgresql-client");
  }
  if (running_as_root() && !find_program("setpriv")) {
    throw MissingToolError("setpriv not found (util-linux): needed to run PostgreSQL as its user");
  }
  std::unique_ptr<PrivateDatabase> db(new PrivateDatabase());
  db->state_ = std::make_unique<State>();
  State& s = *db->state_;
  s.options = options;
  s.bin = *bin;
  fs::create_directories(options.log_dir);
  s.dir = options.parent_dir / fmt::format("hellobench-pg-{}", ::getpid());
  fs::remove_all(s.dir);
  fs::create_directories(s.dir);
  chown_to_postgres(s.dir);
  const fs::path initdb_log = options.log_dir / "initdb.log";
  const int status =
      run_logged(as_postgres({(s.bin / "initdb").string(), "-D", (s.dir / "data").string(), "-A",
                              "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"}),
                 initdb_log, std::chrono::seconds(120));
  if (status != 0) {
    const std::string why = tail_of(initdb_log.string() + ".err") + tail_of(initdb_log);
    fs::remove_all(s.dir);
    throw std::runtime_error(fmt::format("initdb failed (status {}): {}", status, why));
  }
  s.port = free_port();
  s.uri = fmt::format("postgresql://postgres@127.0.0.1:{}/postgres", s.port);
  s.launch();
  load_users_table(s.uri, options.records, options.users_sql, options.log_dir / "load.log");
  return db;
}

PrivateDatabase::~PrivateDatabase() {
  if (!state_) return;
  if (state_->guard && state_->guard->running()) {
    state_->guard->terminate(std::chrono::milliseconds(10000));  // the guard cleans up
  }
  std::error_code ec;
  fs::remove_all(state_->dir, ec);
}

const std::string& PrivateDatabase::uri() const { return state_->uri; }

bool PrivateDatabase::alive() const { return state_->ready(); }

void PrivateDatabase::restart() {
  if (state_->guard && state_->guard->running()) state_->guard->terminate(std::chrono::seconds(5));
  std::error_code ec;
  if (!fs::exists(state_->dir / "data", ec)) {
    throw std::runtime_error("the private PostgreSQL's folder is gone: it cannot be restarted");
  }
  fs::remove(state_->dir / "data" / "postmaster.pid", ec);  // left by an immediate stop
  state_->launch();
}

json PrivateDatabase::describe() const {
  json out = {{"uri", state_->uri},
              {"private", true},
              {"cpus", state_->options.cpus},
              {"records", state_->options.records}};
  const auto query = [&](const std::string& sql) -> json {
    const auto answer =
        capture_output({"psql", "-Atq", state_->uri, "-c", sql}, std::chrono::seconds(5));
    return answer ? json(*answer) : json(nullptr);
  };
  out["version"] = query("SHOW server_version");
  json settings = json::object();
  for (const char* name : {"max_connections", "shared_buffers", "work_mem", "fsync",
                           "synchronous_commit", "full_page_writes", "max_worker_processes"}) {
    settings[name] = query(fmt::format("SHOW {}", name));
  }
  out["settings"] = settings;
  return out;
}

void load_users_table(const std::string& uri, long records, const fs::path& users_sql,
                      const fs::path& log_file) {
  std::error_code ec;
  if (!fs::exists(users_sql, ec)) {
    throw UsageError(fmt::format("the users table's SQL is missing: {}", users_sql.string()));
  }
  if (!find_program("psql")) {
    throw MissingToolError("psql not found: apt-get install postgresql-client");
  }
  fs::create_directories(log_file.parent_path(), ec);
  const int status =
      run_logged({"psql", "-q", "-v", "ON_ERROR_STOP=1", "-v", fmt::format("records={}", records),
                  "-d", uri, "-f", users_sql.string()},
                 log_file, std::chrono::seconds(600));
  if (status != 0) {
    throw UsageError(fmt::format("--db {}: loading the users table failed: {}", uri,
                                 tail_of(log_file.string() + ".err", 400)));
  }
}

fs::path users_sql_path(const fs::path& config_dir) {
  return config_dir / "contract" / "db" / "users.sql";
}

}  // namespace hellobench
