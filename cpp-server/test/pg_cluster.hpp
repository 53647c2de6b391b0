// The PostgreSQL servers the database tests run against:
// - the suite's database, from scripts/pg-scratch.sh with 1024 users (contract/vectors/db.json's
//   table), started once for the test program and stopped at its end;
// - a cluster of the tests' own (initdb and pg_ctl), to kill and restart on the same port.
// A watchdog process removes both if the test program dies without cleaning up.
#pragma once

#include <gtest/gtest.h>

#include <string>

namespace cpp_server::testing {

// The suite's database: its URI, or why there is none (PostgreSQL not installed).
struct ScratchDatabase {
  std::string uri;
  std::string skip_reason;
};
const ScratchDatabase& scratch_database();

// Skips the calling test, with the reason, when PostgreSQL is not installed.
#define SKIP_WITHOUT_POSTGRESQL()                                            \
  do {                                                                       \
    if (!::cpp_server::testing::scratch_database().skip_reason.empty()) {    \
      GTEST_SKIP() << ::cpp_server::testing::scratch_database().skip_reason; \
    }                                                                        \
    ASSERT_FALSE(::cpp_server::testing::scratch_database().uri.empty())      \
        << "scripts/pg-scratch.sh did not start";                            \
  } while (false)

// A cluster the test stops and starts itself, on a port fixed at construction. initdb runs on
// construction; the cluster is stopped and removed on destruction. Methods return false (and
// `error()` says why) when a command fails.
class OwnCluster {
 public:
  OwnCluster();
  ~OwnCluster();
  OwnCluster(const OwnCluster&) = delete;
  OwnCluster& operator=(const OwnCluster&) = delete;

  bool start();                  // pg_ctl start -w (nothing when it runs already)
  bool kill();                   // pg_ctl stop -m immediate: every backend gone at once
  bool load_users(int records);  // contract/db/users.sql
  std::string uri() const;
  unsigned short port() const { return port_; }
  const std::string& error() const { return error_; }

 private:
  bool run(const std::string& command);
  std::string directory_;
  unsigned short port_ = 0;
  bool running_ = false;
  std::string error_;
};

// The one OwnCluster of the test program (initdb takes a second or two): made on first use with
// 16 users loaded and left running, removed after the last test. Tests that kill it start it
// again before they end.
OwnCluster& own_cluster();

// A free TCP port on 127.0.0.1 (nothing listens on it once this returns).
unsigned short free_port();

}  // namespace cpp_server::testing
