// Exit codes and error messages of the command line (CONTRACT.md section 2): 0 done, 1 done
// with failures, 2 bad usage or configuration naming the flag/file/line, 3 missing tool.
#include "cli.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "output/results.hpp"

namespace hellobench {
namespace {

using nlohmann::json;

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::StartsWith;

const fs::path kData = HELLOBENCH_TEST_DATA_DIR;

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

Outcome cli(const std::vector<std::string>& args) {
  std::FILE* out = std::tmpfile();
  std::FILE* err = std::tmpfile();
  Outcome outcome;
  outcome.code = run_cli(args, out, err);
  outcome.out = slurp(out);
  outcome.err = slurp(err);
  return outcome;
}

TEST(Cli, HelpExitsZeroAndListsTheSubcommands) {
  const Outcome o = cli({"--help"});
  EXPECT_EQ(o.code, kExitOk);
  for (const char* sub : {"build", "verify", "run", "report"}) EXPECT_THAT(o.out, HasSubstr(sub));
}

TEST(Cli, EachSubcommandHasItsOwnHelp) {
  const Outcome o = cli({"run", "--help"});
  EXPECT_EQ(o.code, kExitOk);
  EXPECT_THAT(o.out, HasSubstr("--profile"));
  EXPECT_THAT(o.out, HasSubstr("--scenarios"));
  EXPECT_THAT(cli({"build", "--help"}).out, HasSubstr("--kinds"));
}

TEST(Cli, NoSubcommandIsBadUsage) {
  const Outcome o = cli({});
  EXPECT_EQ(o.code, kExitUsage);
  EXPECT_THAT(o.err, StartsWith("hellobench: error: "));
}

TEST(Cli, UnknownFlagIsBadUsageNamingIt) {
  const Outcome o = cli({"run", "--profiel", "smoke"});
  EXPECT_EQ(o.code, kExitUsage);
  EXPECT_THAT(o.err, HasSubstr("--profiel"));
}

TEST(Cli, BrokenConfigExitsTwoNamingFileAndLine) {
  const fs::path file = kData / "config_broken.toml";
  const Outcome o = cli({"run", "--config", file.string(), "--profile", "smoke"});
  EXPECT_EQ(o.code, kExitUsage);
  EXPECT_THAT(o.err, HasSubstr(file.string() + ":4:"));
}

TEST(Cli, UnknownServerExitsTwoNamingIt) {
  const Outcome o = cli({"run", "--config", (kData / "config_minimal.toml").string(), "--profile",
                         "tiny", "--servers", "alpha,zeta"});
  EXPECT_EQ(o.code, kExitUsage);
  EXPECT_THAT(o.err, HasSubstr("--servers: unknown server 'zeta'"));
}

TEST(Cli, UnknownProfileExitsTwoListingTheKnownOnes) {
  const Outcome o =
      cli({"run", "--config", (kData / "config_minimal.toml").string(), "--profile", "huge"});
  EXPECT_EQ(o.code, kExitUsage);
  EXPECT_THAT(o.err, HasSubstr("--profile: unknown profile 'huge' (known: tiny)"));
}

TEST(Cli, OutOfRangeRepetitionsIsBadUsage) {
  const Outcome o = cli({"run", "--repetitions", "0"});
  EXPECT_EQ(o.code, kExitUsage);
  EXPECT_THAT(o.err, HasSubstr("--repetitions"));
}

TEST(Cli, MissingServerBinaryExitsThreeSayingWhichAndHow) {
  const fs::path empty = fs::temp_directory_path() / ("hb-cli-empty-" + std::to_string(::getpid()));
  fs::create_directories(empty);
  const Outcome o = cli({"run", "--config", (kData / "config_minimal.toml").string(), "--profile",
                         "tiny", "--bin-dir", empty.string(), "--out", (empty / "runs").string()});
  fs::remove_all(empty);
  EXPECT_EQ(o.code, kExitMissingTool);
  EXPECT_THAT(o.err,
              HasSubstr("server 'alpha': binary " + (empty / "alpha").string() + " not found"));
  EXPECT_THAT(o.err, HasSubstr("make servers"));
}

TEST(Cli, MissingBuildToolExitsThree) {
  // A config whose only server builds with a program that does not exist.
  const fs::path dir = fs::temp_directory_path() / ("hb-cli-tool-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  fs::copy(kData / "config_fake_server", dir / "config_fake_server");
  std::ofstream(dir / "hb.toml") << R"([[server]]
name = "alpha"
language = "C"
source_dir = "config_fake_server"
binary = "/bin/true"
run = ["{binary}"]
[server.edit]
file = "user.txt"
line = "x"
[server.build.debug]
build = [["hellobench-no-such-compiler", "{src}"]]
[[scenario]]
name = "hello"
path = "/"
[profile.p]
repetitions = 1
warmup_s = 1
window_s = 1
scenarios = ["hello"]
)";
  const Outcome o =
      cli({"build", "--config", (dir / "hb.toml").string(), "--out", (dir / "runs").string()});
  fs::remove_all(dir);
  EXPECT_EQ(o.code, kExitMissingTool);
  EXPECT_THAT(o.err, HasSubstr("hellobench-no-such-compiler"));
}

// Build samples run in rounds, every server once per round (A B A B, MEASUREMENT.md 10), and a
// server's row gathers its rounds: each build step appends its server's name to one log.
TEST(Cli, BuildSamplesRunInRoundsAndEachRowGathersItsRounds) {
  const fs::path dir = fs::temp_directory_path() / ("hb-cli-rounds-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  fs::copy(kData / "config_fake_server", dir / "config_fake_server");
  const std::string log = (dir / "order.txt").string();
  std::string config;
  for (const std::string name : {"alpha", "beta"}) {
    config += fmt::format(R"([[server]]
name = "{0}"
language = "C"
source_dir = "config_fake_server"
binary = "/bin/true"
run = ["{{binary}}"]
[server.edit]
file = "user.txt"
marker = "hellobench:add-field"
line = "x"
[server.build]
test = [["sh", "-c", "echo {0} test >> {1}"]]
[server.build.release]
build = [["sh", "-c", "echo {0} >> {1}"]]
binary = "/bin/true"
)",
                          name, log);
  }
  config += "[[scenario]]\nname = \"hello\"\npath = \"/\"\n[profile.p]\nrepetitions = 1\n"
            "warmup_s = 1\nwindow_s = 1\nscenarios = [\"hello\"]\n";
  std::ofstream(dir / "hb.toml") << config;
  const Outcome o = cli({"build", "--config", (dir / "hb.toml").string(), "--out",
                         (dir / "runs").string(), "--kinds", "ci", "--repetitions", "2"});
  std::ifstream in(log);
  const std::string order((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::error_code ignored;
  json results;
  for (const auto& run : fs::directory_iterator(dir / "runs", fs::directory_options::none,
                                                 ignored)) {
    std::ifstream r(run.path() / "results.json");
    results = json::parse(r);
  }
  fs::remove_all(dir);
  ASSERT_EQ(o.code, kExitOk) << o.err << o.out << results.dump();
  // Per round and server: the CI build, then its tests.
  EXPECT_EQ(order, "alpha\nalpha test\nbeta\nbeta test\nalpha\nalpha test\nbeta\nbeta test\n");
  ASSERT_EQ(results["builds"].size(), 6u) << results["builds"].dump();
  for (const json& row : results["builds"]) {
    EXPECT_EQ(row["n"], 2) << row.dump();
    EXPECT_EQ(row["samples_s"].size(), 2u) << row.dump();
    EXPECT_TRUE(row["ok"].get<bool>()) << row.dump();
  }
  EXPECT_EQ(results["builds"][0]["server"], "alpha");
  EXPECT_EQ(results["builds"][3]["server"], "beta");
}

TEST(Cli, ReportOfAMissingFileIsBadUsage) {
  const Outcome o = cli({"report", "/nonexistent/results.json"});
  EXPECT_EQ(o.code, kExitUsage);
  EXPECT_THAT(o.err, HasSubstr("/nonexistent/results.json"));
}

TEST(Cli, ReportPrintsMarkdownOrWritesTheOutFile) {
  const fs::path dir = fs::temp_directory_path() / ("hb-cli-report-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  write_file_atomic(
      dir / "results.json",
      R"({"schema": "hellobench/1", "environment": {"profile": "smoke"}, "trials": []})");
  const Outcome printed = cli({"report", (dir / "results.json").string()});
  EXPECT_EQ(printed.code, kExitOk);
  EXPECT_THAT(printed.out, StartsWith("# hellobench run: smoke profile"));
  const Outcome written =
      cli({"report", (dir / "results.json").string(), "--out", (dir / "r.md").string()});
  EXPECT_EQ(written.code, kExitOk);
  EXPECT_TRUE(written.out.empty());
  EXPECT_TRUE(fs::exists(dir / "r.md"));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace hellobench
