// The same-job gate on a real server, end to end: a clone of this repository at HEAD is the
// baseline (--baseline-ref HEAD, built from a git worktree) and the clone's working tree the
// candidate; both are built with the release recipe and measured interleaved in one run. A
// candidate whose go-server spins 40 us per request (a test fixture added to the clone) must
// fail on the hard CPU-per-request rule, three times in a row; the unchanged candidate must
// pass, three times in a row.
//
// Each gate builds go-server twice (incrementally after the first) and runs 2 scenarios x 6
// rounds x 2 binaries: about a minute per gate on 2 CPUs, three when go-server builds afresh. So
// these tests only run with HELLOBENCH_SAME_JOB_GATE=1 (`make test-gate-same-job`); elsewhere they
// skip, saying so.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli.hpp"

namespace hellobench {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const fs::path kSource = HELLOBENCH_SOURCE_DIR;
const fs::path kBinDir = HELLOBENCH_BIN_DIR;

bool enabled() {
  const char* flag = std::getenv("HELLOBENCH_SAME_JOB_GATE");
  return flag && std::string(flag) == "1";
}

int shell(const std::string& command) { return std::system(command.c_str()); }

// One clone for every test of this file; its work folder (worktree and builds) is kept between
// the gates so that only the first builds from scratch.
struct Fixture {
  fs::path root;
  fs::path repo;
  fs::path work;
  fs::path runs;
};

const Fixture& fixture() {
  static const Fixture f = [] {
    Fixture x;
    const char* keep = std::getenv("HELLOBENCH_SAME_JOB_DIR");
    x.root = keep ? fs::path(keep) : fs::temp_directory_path() / "hellobench-same-job-gate-test";
    x.repo = x.root / "repo";
    x.work = x.root / "work";
    x.runs = x.root / "runs";
    if (!fs::exists(x.repo / ".git")) {
      fs::create_directories(x.root);
      EXPECT_EQ(shell("git clone --quiet '" + kSource.string() + "' '" + x.repo.string() + "'"), 0);
    }
    // A kept clone follows the source's HEAD (the committed tree: what CI tests).
    EXPECT_EQ(shell("git -C '" + x.repo.string() + "' fetch --quiet '" + kSource.string() +
                    "' HEAD && git -C '" + x.repo.string() + "' reset --quiet --hard FETCH_HEAD"),
              0);
    return x;
  }();
  return f;
}

void restore_candidate() {
  const Fixture& f = fixture();
  ASSERT_EQ(shell("git -C '" + f.repo.string() + "' checkout --quiet -- . && git -C '" +
                  f.repo.string() + "' clean --quiet -fd -- go-server"),
            0);
}

// The slowed candidate: go-server's handler spins 40 us before every answer.
void slow_candidate_down() {
  restore_candidate();
  const fs::path handlers = fixture().repo / "go-server" / "handlers.go";
  std::ifstream in(handlers);
  std::stringstream text;
  text << in.rdbuf();
  std::string source = text.str();
  const std::string anchor =
      "func (s *service) ServeHTTP(w http.ResponseWriter, r *http.Request) {\n";
  const std::size_t pos = source.find(anchor);
  ASSERT_NE(pos, std::string::npos)
      << "go-server/handlers.go no longer has `" << anchor
      << "`: point the fixture at the handler every request goes through";
  source.insert(pos + anchor.size(), "\tgateFixtureBurn()\n");
  std::ofstream(handlers) << source;
  std::ofstream(fixture().repo / "go-server" / "gate_fixture_burn.go")
      << "package main\n\nimport \"time\"\n\n"
         "// gateFixtureBurn spins for 40 us: the deliberately slowed candidate of the gate test.\n"
         "func gateFixtureBurn() {\n\tend := time.Now().Add(40 * time.Microsecond)\n"
         "\tfor time.Now().Before(end) {\n\t}\n}\n";
}

struct Outcome {
  int code = -1;
  std::string out;
  std::string err;
};

std::string slurp(std::FILE* file) {
  std::fflush(file);
  std::rewind(file);
  std::string text;
  char buffer[4096];
  std::size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, file)) > 0) text.append(buffer, n);
  std::fclose(file);
  return text;
}

Outcome gate() {
  const Fixture& f = fixture();
  std::FILE* out = std::tmpfile();
  std::FILE* err = std::tmpfile();
  Outcome o;
  o.code = run_cli({"gate", "--config", (f.repo / "hellobench.toml").string(), "--baseline-ref",
                    "HEAD", "--servers", "go", "--bin-dir", kBinDir.string(), "--work-dir",
                    f.work.string(), "--out", f.runs.string()},
                   out, err);
  o.out = slurp(out);
  o.err = slurp(err);
  std::printf("%s", o.out.c_str());  // the verdict table, for the test log
  return o;
}

class SameJobGate : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    if (!enabled()) {
      GTEST_SKIP() << "the same-job gate on real servers takes minutes: run it with "
                      "HELLOBENCH_SAME_JOB_GATE=1 (make test-gate-same-job)";
    }
    if (!fs::exists(kBinDir / "loadgen")) GTEST_SKIP() << "loadgen is not built in " << kBinDir;
  }
};

TEST_P(SameJobGate, ASlowedCandidateFailsOnCpuPerRequest) {
  slow_candidate_down();
  const Outcome o = gate();
  restore_candidate();
  EXPECT_EQ(o.code, kExitFailure) << o.err;
  EXPECT_THAT(o.out, HasSubstr("FAILED: rule 'cpu-per-request' (hard), go hello"));
  EXPECT_THAT(o.out, HasSubstr("gate: FAIL"));
}

TEST_P(SameJobGate, AnUnchangedCandidatePasses) {
  restore_candidate();
  const Outcome o = gate();
  EXPECT_EQ(o.code, kExitOk) << o.err;
  EXPECT_THAT(o.out, HasSubstr("gate: PASS"));
}

// Three times in a row each: 1, 2, 3.
INSTANTIATE_TEST_SUITE_P(ThreeTimes, SameJobGate, ::testing::Values(1, 2, 3));

}  // namespace
}  // namespace hellobench
