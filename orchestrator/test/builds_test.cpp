// Build timing: steps timed with real processes, the one-field edit applied to a scratch copy
// only, and a whole dev-loop timing run on a fake server whose "build" is a file copy.
#include "builds/builds.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/errors.hpp"

namespace hellobench {
namespace {

namespace fs = std::filesystem;
using ::testing::Contains;
using ::testing::HasSubstr;

const fs::path kData = HELLOBENCH_TEST_DATA_DIR;

std::string read(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class ScratchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("hb-builds-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  // Timing options for one build kind, with scratch and logs in this test's folder.
  BuildTimingOptions options_for(const std::string& kind) const {
    BuildTimingOptions options;
    options.kinds = {kind};
    options.scratch_root = dir_ / "scratch";
    options.log_dir = dir_ / "logs";
    return options;
  }
  fs::path dir_;
};

TEST(RunStep, TimesACommandOfKnownDuration) {
  const StepResult step = run_step({"sleep", "0.3"}, {});
  EXPECT_TRUE(step.ok());
  EXPECT_NEAR(step.seconds, 0.3, 0.1);
}

TEST(RunStep, ReportsTheExitStatusOfAFailingCommand) {
  const StepResult step = run_step({"false"}, {});
  EXPECT_FALSE(step.ok());
  EXPECT_EQ(step.exit_status, 1);
}

TEST(RunStep, MissingProgramIsAMissingTool) {
  try {
    run_step({"hellobench-no-such-compiler", "--version"}, {});
    FAIL() << "expected MissingToolError";
  } catch (const MissingToolError& e) {
    EXPECT_THAT(e.what(), HasSubstr("'hellobench-no-such-compiler' not found"));
  }
}

TEST_F(ScratchTest, RunStepUsesTheWorkingDirEnvironmentAndLogs) {
  StepOptions options;
  options.working_dir = dir_;
  options.env = {{"HB_STEP_VALUE", "from-env"}};
  options.log_prefix = dir_ / "step";
  const StepResult step = run_step({"printenv", "HB_STEP_VALUE"}, options);
  ASSERT_TRUE(step.ok());
  EXPECT_EQ(read(dir_ / "step.stdout"), "from-env\n");
  EXPECT_TRUE(run_step({"test", "-d", dir_.string()}, options).ok());
}

TEST_F(ScratchTest, FieldEditInsertsTheLineAfterTheMarkerInTheCopyOnly) {
  const fs::path original = kData / "config_fake_server" / "user.txt";
  const std::string before = read(original);
  copy_source_tree(kData / "config_fake_server", dir_ / "src");
  apply_field_edit(dir_ / "src", {"user.txt", "hellobench:add-field", "  extra_field int"});
  EXPECT_EQ(read(dir_ / "src" / "user.txt"),
            "struct User {\n  id int\n  // hellobench:add-field\n  extra_field int\n}\n");
  EXPECT_EQ(read(original), before);  // the repository's file is untouched
}

TEST_F(ScratchTest, FieldEditWithoutItsMarkerIsAConfigError) {
  copy_source_tree(kData / "config_fake_server", dir_ / "src");
  try {
    apply_field_edit(dir_ / "src", {"user.txt", "no-such-marker", "x"});
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("'no-such-marker' found 0 times in user.txt"));
  }
  EXPECT_THROW(apply_field_edit(dir_ / "src", {"missing.txt", "m", "x"}), ConfigError);
}

TEST_F(ScratchTest, SourceCopyLeavesBuildOutputBehind) {
  fs::create_directories(dir_ / "from" / "target" / "debug");
  fs::create_directories(dir_ / "from" / "src");
  std::ofstream(dir_ / "from" / "src" / "main.rs") << "fn main() {}\n";
  std::ofstream(dir_ / "from" / "target" / "debug" / "big") << "artifact";
  copy_source_tree(dir_ / "from", dir_ / "to");
  EXPECT_TRUE(fs::exists(dir_ / "to" / "src" / "main.rs"));
  EXPECT_FALSE(fs::exists(dir_ / "to" / "target"));
}

TEST_F(ScratchTest, InspectBinaryMeasuresSizeStrippedSizeAndSharedLibraries) {
  const fs::path binary = "/bin/true";
  const BinaryInfo info = inspect_binary(binary, dir_);
  EXPECT_EQ(info.bytes, fs::file_size(binary));
  ASSERT_TRUE(info.stripped_bytes.has_value());
  EXPECT_LE(*info.stripped_bytes, info.bytes);
  EXPECT_THAT(info.shared_libraries, Contains("libc.so.6"));
  EXPECT_FALSE(info.is_static);
  // The stripped copy is a temporary: nothing is left in the scratch folder.
  EXPECT_TRUE(fs::is_empty(dir_));
}

// A fake server from the data folder: configure makes {build_dir}/bin, build copies user.txt
// to {out}. Its "binary" therefore has the size of user.txt, edit included.
ServerConfig fake_server() {
  ServerConfig server;
  server.name = "fake";
  server.source_dir = kData / "config_fake_server";
  server.edit = {"user.txt", "hellobench:add-field", "  extra_field int"};
  server.build.env = {{"HB_FAKE_CACHE", "{build_dir}/cache"}};
  BuildRecipe debug;
  debug.configure = {{"mkdir", "-p", "{build_dir}/bin"}};
  debug.build = {{"cp", "{src}/user.txt", "{out}"}};
  debug.binary = "{out}";
  server.build.debug = debug;
  return server;
}

TEST_F(ScratchTest, DevTimingGivesCleanNoopAndIncrementalRows) {
  BuildTimingOptions options;
  options.kinds = {"dev"};
  options.repetitions = 2;
  options.jobs = 2;
  options.scratch_root = dir_ / "scratch";
  options.log_dir = dir_ / "logs";
  const std::string before = read(kData / "config_fake_server" / "user.txt");
  const nlohmann::json rows = time_server_builds(fake_server(), options);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0]["kind"], "clean");
  EXPECT_EQ(rows[1]["kind"], "noop");
  EXPECT_EQ(rows[2]["kind"], "incremental");
  for (const auto& row : rows) {
    EXPECT_EQ(row["server"], "fake");
    EXPECT_EQ(row["build_profile"], "debug");
    EXPECT_EQ(row["jobs"], 2);
    EXPECT_TRUE(row["ok"].get<bool>()) << row.dump();
    EXPECT_EQ(row["samples_s"].size(), 2u);
    EXPECT_GT(row["median_s"].get<double>(), 0);
    EXPECT_LT(row["median_s"].get<double>(), 5);
  }
  // Clean ran two steps (mkdir, cp); no-op and incremental one (cp).
  EXPECT_EQ(rows[0]["steps"].size(), 2u);
  EXPECT_EQ(rows[2]["steps"].size(), 1u);
  EXPECT_EQ(rows[0]["binary_bytes"].get<std::uintmax_t>(), before.size());
  EXPECT_EQ(read(kData / "config_fake_server" / "user.txt"), before);
  EXPECT_FALSE(fs::exists(options.scratch_root / "fake-dev-1"));  // scratch removed
}

TEST_F(ScratchTest, AFailingBuildStepIsRecordedNotThrown) {
  ServerConfig server = fake_server();
  server.build.debug->build = {{"false"}};
  const BuildTimingOptions options = options_for("dev");
  const nlohmann::json rows = time_server_builds(server, options);
  ASSERT_FALSE(rows.empty());
  EXPECT_FALSE(rows[0]["ok"].get<bool>());
  EXPECT_THAT(rows[0]["error"].get<std::string>(), HasSubstr("`false` exited with status 1"));
  EXPECT_TRUE(rows[0]["samples_s"].empty());
}

TEST_F(ScratchTest, TheServersCopyHasTheSharedContractBesideIt) {
  // The servers' own tests read ../contract (the vectors and payloads), as in the repository:
  // without it every CI build's test step failed in the scratch copy. The fake server's folder
  // sits in this repository, so the contract found above it is copied beside the copy.
  ServerConfig server = fake_server();
  auto& steps = server.build.debug->build;
  steps.insert(steps.begin(), {"test", "-f", "{src}/../contract/vectors/service.json"});
  const BuildTimingOptions options = options_for("dev");
  const nlohmann::json rows = time_server_builds(server, options);
  ASSERT_FALSE(rows.empty());
  EXPECT_TRUE(rows[0]["ok"].get<bool>()) << rows[0].dump();
}

TEST_F(ScratchTest, ServerWithoutAReleaseRecipeGetsAnErrorRowForCi) {
  const BuildTimingOptions options = options_for("ci");
  const nlohmann::json rows = time_server_builds(fake_server(), options);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_FALSE(rows[0]["ok"].get<bool>());
  EXPECT_THAT(rows[0]["error"].get<std::string>(), HasSubstr("no build.release recipe"));
}

// A fake server that can run: the "build" copies the core_file_server helper to {out} and the
// edited source to {out}.body, which the helper then serves on every path, /user included.
ServerConfig runnable_fake_server(const std::string& edit_line) {
  ServerConfig server = fake_server();
  server.run = {"{binary}", "--port", "{port}", "--threads", "{threads}"};
  server.edit.line = edit_line;
  server.build.debug->build = {
      {"cp", std::string(HELLOBENCH_TEST_HELPER_DIR) + "/core_file_server", "{out}"},
      {"cp", "{src}/user.txt", "{out}.body"}};
  return server;
}

TEST_F(ScratchTest, IncrementalBuildIsCheckedByAskingTheEditedServerForTheNewField) {
  const BuildTimingOptions options = options_for("dev");
  const nlohmann::json rows =
      time_server_builds(runnable_fake_server("  \"extra_field\": 0"), options);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_TRUE(rows[2]["ok"].get<bool>()) << rows[2].dump();
  EXPECT_TRUE(fs::exists(options.log_dir / "fake-dev-1-edited-server" / "server.stdout"));
}

TEST_F(ScratchTest, IncrementalBuildWhoseOutputLacksTheFieldIsAFailure) {
  const BuildTimingOptions options = options_for("dev");
  // The inserted line never names extra_field: the rebuilt server cannot show it.
  const nlohmann::json rows = time_server_builds(runnable_fake_server("  other_field 0"), options);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_FALSE(rows[2]["ok"].get<bool>());
  EXPECT_THAT(rows[2]["error"].get<std::string>(), HasSubstr("/user has no \"extra_field\""));
}

TEST(MissingBuildTools, ListsProgramsNotOnPath) {
  ServerConfig server = fake_server();
  server.build.debug->build.push_back({"hellobench-no-such-tool", "x"});
  EXPECT_EQ(missing_build_tools(server, {"dev"}),
            std::vector<std::string>{"hellobench-no-such-tool"});
  EXPECT_TRUE(missing_build_tools(fake_server(), {"dev"}).empty());
}

}  // namespace
}  // namespace hellobench
