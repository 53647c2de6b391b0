#include "pg_cluster.hpp"

#include <pwd.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>

namespace cpp_server::testing {

namespace {

// A command's exit code and its stdout (stderr goes to the test's output).
std::pair<int, std::string> capture(const std::string& command) {
  std::string output;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return {-1, ""};
  std::array<char, 512> chunk{};
  while (std::fgets(chunk.data(), chunk.size(), pipe) != nullptr) output += chunk.data();
  const int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

std::string shell_quoted(const std::string& text) {
  std::string out = "'";
  for (const char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out.push_back(c);
    }
  }
  return out + "'";
}

// PostgreSQL refuses to run as root: as root, commands run as the postgres user.
std::string as_postgres(const std::string& command) {
  return ::geteuid() == 0 ? "runuser -u postgres -- " + command : command;
}

// Debian's newest /usr/lib/postgresql/<version>/bin, or empty.
std::string postgresql_bin() {
  std::string best;
  int best_version = -1;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
    const std::string version = entry.path().filename().string();
    const int number = std::atoi(version.c_str());
    if (number > best_version && std::filesystem::exists(entry.path() / "bin" / "initdb")) {
      best_version = number;
      best = (entry.path() / "bin").string();
    }
  }
  return best;
}

// Runs `cleanup` (a shell command) once this process has gone, however it went: a background
// shell polling our pid, detached from our stdio so that it never holds a pipe open.
void clean_up_after_exit(const std::string& cleanup) {
  const std::string watchdog = "while kill -0 " + std::to_string(::getpid()) +
                               " 2>/dev/null; do sleep 0.5; done; " + cleanup;
  const std::string command =
      "setsid sh -c " + shell_quoted(watchdog) + " </dev/null >/dev/null 2>&1 &";
  if (std::system(command.c_str()) != 0) std::fprintf(stderr, "watchdog did not start\n");
}

std::string make_directory(const char* prefix) {
  std::string pattern = std::string("/tmp/") + prefix + "-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  if (::geteuid() == 0) {
    if (const passwd* postgres = ::getpwnam("postgres")) {
      if (::chown(pattern.c_str(), postgres->pw_uid, postgres->pw_gid) != 0) {
        throw std::runtime_error("chown " + pattern + " failed");
      }
    }
  }
  return pattern;
}

ScratchDatabase scratch;
std::string scratch_directory;
std::unique_ptr<OwnCluster> own;

// Starts scripts/pg-scratch.sh's database before the first test, stops it after the last.
class ScratchEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    scratch_directory = make_directory("cpp-server-db-test");
    const std::string script = std::string(CPP_SERVER_SCRIPTS_DIR) + "/pg-scratch.sh";
    clean_up_after_exit(shell_quoted(script) + " stop " + shell_quoted(scratch_directory));
    const auto [code, output] =
        capture(shell_quoted(script) + " start " + shell_quoted(scratch_directory) + " 1024");
    if (code == 3) {
      scratch.skip_reason = "PostgreSQL is not installed (scripts/pg-scratch.sh exit 3)";
      return;
    }
    if (code != 0) {
      std::fprintf(stderr, "pg-scratch.sh start failed (exit %d)\n", code);
      return;
    }
    scratch.uri = output.substr(0, output.find('\n'));
  }
  void TearDown() override {
    own.reset();
    const std::string script = std::string(CPP_SERVER_SCRIPTS_DIR) + "/pg-scratch.sh";
    capture(shell_quoted(script) + " stop " + shell_quoted(scratch_directory));
  }
};

::testing::Environment* const environment =
    ::testing::AddGlobalTestEnvironment(new ScratchEnvironment);

}  // namespace

const ScratchDatabase& scratch_database() { return scratch; }

OwnCluster& own_cluster() {
  if (!own) {
    own = std::make_unique<OwnCluster>();
    if (own->start()) own->load_users(16);
  }
  return *own;
}

unsigned short free_port() {
  boost::asio::io_context context;
  boost::asio::ip::tcp::acceptor acceptor(context, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return acceptor.local_endpoint().port();
}

OwnCluster::OwnCluster() : directory_(make_directory("cpp-server-own-pg")), port_(free_port()) {
  const std::string bin = postgresql_bin();
  clean_up_after_exit(as_postgres(shell_quoted(bin + "/pg_ctl") + " -D " +
                                  shell_quoted(directory_ + "/data") + " -m immediate stop") +
                      "; rm -rf " + shell_quoted(directory_));
  if (bin.empty()) {
    error_ = "PostgreSQL not found";
    return;
  }
  run(as_postgres(shell_quoted(bin + "/initdb") + " -D " + shell_quoted(directory_ + "/data") +
                  " -A trust -U postgres --no-sync >" + shell_quoted(directory_ + "/initdb.log") +
                  " 2>&1"));
}

OwnCluster::~OwnCluster() {
  kill();
  std::error_code ec;
  std::filesystem::remove_all(directory_, ec);
}

bool OwnCluster::run(const std::string& command) {
  const auto [code, output] = capture(command);
  if (code == 0) return true;
  error_ = "exit " + std::to_string(code) + ": " + command;
  return false;
}

bool OwnCluster::start() {
  if (running_) return true;
  const std::string bin = postgresql_bin();
  // The settings of scripts/pg-scratch.sh: loopback only, a socket in the cluster's folder.
  const std::string settings = "-c listen_addresses=127.0.0.1 -p " + std::to_string(port_) +
                               " -k " + directory_ + " -c fsync=off -c max_connections=100";
  running_ =
      run(as_postgres(shell_quoted(bin + "/pg_ctl") + " -D " + shell_quoted(directory_ + "/data") +
                      " -l " + shell_quoted(directory_ + "/server.log") + " -w -t 30 -o " +
                      shell_quoted(settings) + " start >/dev/null"));
  return running_;
}

bool OwnCluster::kill() {
  const std::string bin = postgresql_bin();
  running_ = false;
  return run(as_postgres(shell_quoted(bin + "/pg_ctl") + " -D " +
                         shell_quoted(directory_ + "/data") +
                         " -m immediate -w stop >/dev/null 2>&1"));
}

bool OwnCluster::load_users(int records) {
  const std::string bin = postgresql_bin();
  return run(shell_quoted(bin + "/psql") + " -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p " +
             std::to_string(port_) +
             " -U postgres -d postgres -v records=" + std::to_string(records) + " -f " +
             shell_quoted(std::string(CPP_SERVER_CONTRACT_DIR) + "/db/users.sql") + " >/dev/null");
}

std::string OwnCluster::uri() const {
  return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/postgres";
}

}  // namespace cpp_server::testing
