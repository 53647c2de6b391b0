// The run folder and results file: never overwrite a run, write atomically, check the schema.
#include "output/results.hpp"

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
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string read(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class ResultsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("hb-results-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

// 2026-11-27 10:46:24 UTC = 1795776384 s since the epoch (worked out with `date -d @...`).
const auto kWhen = std::chrono::system_clock::from_time_t(1795776384);

TEST(ResultsNames, TimestampsAreUtcAndFolderSafe) {
  EXPECT_EQ(utc_folder_name(kWhen), "2026-11-27T10-46-24Z");
  EXPECT_EQ(utc_iso8601(kWhen), "2026-11-27T10:46:24Z");
}

TEST_F(ResultsTest, RunFolderIsNamedAfterTheUtcTimeUnderTheRoot) {
  const fs::path run = create_run_dir(dir_ / "runs", kWhen);
  EXPECT_EQ(run, dir_ / "runs" / "2026-11-27T10-46-24Z");
  EXPECT_TRUE(fs::is_directory(run));
}

TEST_F(ResultsTest, ASecondRunInTheSameSecondGetsASuffixAndTheFirstIsUntouched) {
  const fs::path first = create_run_dir(dir_, kWhen);
  std::ofstream(first / "results.json") << "first";
  const fs::path second = create_run_dir(dir_, kWhen);
  const fs::path third = create_run_dir(dir_, kWhen);
  EXPECT_EQ(second, dir_ / "2026-11-27T10-46-24Z-2");
  EXPECT_EQ(third, dir_ / "2026-11-27T10-46-24Z-3");
  EXPECT_EQ(read(first / "results.json"), "first");
}

TEST_F(ResultsTest, AtomicWriteReplacesTheWholeFileAndLeavesNoTemporary) {
  fs::create_directories(dir_);
  write_file_atomic(dir_ / "results.json", "{\"a\": 1}\n");
  write_file_atomic(dir_ / "results.json", "{}\n");
  EXPECT_EQ(read(dir_ / "results.json"), "{}\n");
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir_)) names.push_back(entry.path().filename());
  EXPECT_THAT(names, ElementsAre("results.json"));
}

TEST_F(ResultsTest, AtomicWriteIntoAMissingFolderThrowsAndCreatesNothing) {
  EXPECT_THROW(write_file_atomic(dir_ / "missing" / "results.json", "x"), std::runtime_error);
  EXPECT_FALSE(fs::exists(dir_ / "missing"));
}

TEST(ResultsSchema, NamesTheMissingTopLevelFields) {
  nlohmann::json doc = {{"schema", kResultsSchema},
                        {"environment", {}},
                        {"builds", {}},
                        {"verify", {}},
                        {"trials", {}},
                        {"summary", {}}};
  EXPECT_THAT(missing_result_fields(doc), ElementsAre("claims", "rules_bent"));
  doc["claims"] = nlohmann::json::array();
  doc["rules_bent"] = nlohmann::json::array();
  EXPECT_TRUE(missing_result_fields(doc).empty());
}

TEST_F(ResultsTest, ReadingAResultsFileChecksItsSchema) {
  fs::create_directories(dir_);
  write_file_atomic(dir_ / "ok.json", R"({"schema": "hellobench/1", "trials": []})");
  EXPECT_EQ(read_results(dir_ / "ok.json")["trials"].size(), 0u);

  write_file_atomic(dir_ / "other.json", R"({"schema": "something/2"})");
  try {
    read_results(dir_ / "other.json");
    FAIL() << "expected UsageError";
  } catch (const UsageError& e) {
    EXPECT_THAT(e.what(), HasSubstr("other.json: field 'schema' is not \"hellobench/1\""));
  }
  write_file_atomic(dir_ / "bad.json", "{not json");
  EXPECT_THROW(read_results(dir_ / "bad.json"), UsageError);
  EXPECT_THROW(read_results(dir_ / "absent.json"), UsageError);
}

}  // namespace
}  // namespace hellobench
