// `hellobench microbench`: reading each language's hellobench-microbench/1 file (schema, rows,
// the optional samples_ns_per_op), merging the three into one, and the table it prints. Every
// file is written here by hand.
#include "output/microbench.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/errors.hpp"

namespace hellobench {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class MicrobenchFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("hb-microbench-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const json& doc) const {
    const fs::path file = dir_ / name;
    std::ofstream(file, std::ios::binary) << doc.dump(1);
    return file.string();
  }

  // The UsageError message of reading `doc` as a harness file ("" when it reads).
  std::string error_of(const json& doc) const {
    const std::string file = write("bad.json", doc);
    try {
      read_microbench_file(file);
    } catch (const UsageError& e) {
      return e.what();
    }
    return "";
  }

  fs::path dir_;
};

json harness_file(const std::string& language, const std::string& harness, const json& rows) {
  return {{"schema", "hellobench-microbench/1"},
          {"language", language},
          {"harness", harness},
          {"toolchain", language + " 1.0"},
          {"json_library", language + "-json"},
          {"rows", rows}};
}

json row(const std::string& payload, const std::string& operation, double ns_per_op) {
  return {{"payload", payload},   {"operation", operation}, {"ns_per_op", ns_per_op},
          {"bytes_per_op", 1000}, {"allocs_per_op", 20},    {"iterations", 100000}};
}

// go's order-10 parse: sorted 2100 2120 2140 2160 2160 2180 2200 2240 2300 2400, so (type 7)
// the median is (2160 + 2180) / 2 = 2170, p25 = 2140 + 0.25 * 20 = 2145, p75 = 2200 + 0.75 * 40
// = 2230.
const json kGoSamples = {2160, 2100, 2400, 2140, 2200, 2180, 2300, 2120, 2240, 2160};
// rust's: sorted 1000 1008 1020 1036 1040 1060 1072 1080 1096 1100: median (1040 + 1060) / 2 =
// 1050, p25 = 1020 + 0.25 * 16 = 1024, p75 = 1072 + 0.75 * 8 = 1078.
const json kRustSamples = {1040, 1100, 1000, 1072, 1020, 1096, 1008, 1060, 1080, 1036};

// --- merging -----------------------------------------------------------------------------------

TEST_F(MicrobenchFiles, MergesTheLanguagesFilesInOrderAndKeepsEachRowsSamples) {
  json go_row = row("order-10", "parse", 2170);
  go_row["samples_ns_per_op"] = kGoSamples;
  json rust_row = row("order-10", "parse", 1050);
  rust_row["samples_ns_per_op"] = kRustSamples;
  json cpp_row = row("order-10", "parse", 1900);  // no samples: an older harness file
  cpp_row.erase("iterations");
  const std::string cpp =
      write("cpp.json", harness_file("cpp", "google-benchmark", json::array({cpp_row})));
  const std::string go = write("go.json", harness_file("go", "testing.B", json::array({go_row})));
  const std::string rust =
      write("rust.json", harness_file("rust", "criterion", json::array({rust_row})));

  const json merged = merge_microbench_files({cpp, go, rust});
  EXPECT_EQ(merged["schema"], "hellobench-microbench/1");
  ASSERT_EQ(merged["languages"].size(), 3u);
  EXPECT_EQ(merged["languages"][0], json({{"language", "cpp"},
                                          {"harness", "google-benchmark"},
                                          {"toolchain", "cpp 1.0"},
                                          {"json_library", "cpp-json"}}));
  EXPECT_EQ(merged["languages"][1]["language"], "go");
  EXPECT_EQ(merged["languages"][2]["harness"], "criterion");

  ASSERT_EQ(merged["rows"].size(), 3u);
  const json& c = merged["rows"][0];
  const json& g = merged["rows"][1];
  const json& r = merged["rows"][2];
  // Each row carries its language (the file's); a missing figure becomes null.
  EXPECT_EQ(c["language"], "cpp");
  EXPECT_TRUE(c["iterations"].is_null());
  EXPECT_FALSE(c.contains("samples_ns_per_op"));
  EXPECT_EQ(g["language"], "go");
  EXPECT_EQ(g["ns_per_op"], 2170);
  EXPECT_EQ(g["samples_ns_per_op"], kGoSamples);
  EXPECT_EQ(r["language"], "rust");
  EXPECT_EQ(r["samples_ns_per_op"], kRustSamples);
  EXPECT_EQ(r["allocs_per_op"], 20);

  // The merged file reads back as it is (languages and rows already there).
  const json again = read_microbench_file(write("json.json", merged));
  EXPECT_EQ(again["languages"], merged["languages"]);
  EXPECT_EQ(again["rows"], merged["rows"]);
}

TEST_F(MicrobenchFiles, ALanguageInTwoFilesIsRefused) {
  const std::string a =
      write("a.json", harness_file("go", "testing.B", json::array({row("message", "parse", 90)})));
  const std::string b =
      write("b.json", harness_file("go", "testing.B", json::array({row("message", "parse", 95)})));
  try {
    merge_microbench_files({a, b});
    FAIL() << "merged go twice";
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()), b + ": language 'go' appears in two files");
  }
}

// --- validation --------------------------------------------------------------------------------

TEST_F(MicrobenchFiles, SamplesAreOptionalButMustBePositiveNumbers) {
  const auto with_samples = [](const json& samples) {
    json r = row("order-10", "serialise", 900);
    r["samples_ns_per_op"] = samples;
    return harness_file("go", "testing.B", json::array({row("message", "parse", 90), r}));
  };
  EXPECT_EQ(error_of(with_samples({900, 910.5, 890})), "");
  EXPECT_EQ(error_of(with_samples(nullptr)), "");  // null: no samples
  const std::string at = (dir_ / "bad.json").string() + ": rows[1].samples_ns_per_op";
  EXPECT_EQ(error_of(with_samples(900)), at + ": expected a non-empty array of positive numbers");
  EXPECT_EQ(error_of(with_samples(json::array())),
            at + ": expected a non-empty array of positive numbers");
  EXPECT_EQ(error_of(with_samples({900, 910, 0})), at + "[2]: expected a positive number");
  EXPECT_EQ(error_of(with_samples(json::array({-1}))), at + "[0]: expected a positive number");
  EXPECT_EQ(error_of(with_samples({900, "910"})), at + "[1]: expected a positive number");
  EXPECT_EQ(error_of(with_samples({900, nullptr})), at + "[1]: expected a positive number");
}

TEST_F(MicrobenchFiles, TheSchemaAndEachRowsFieldsAreChecked) {
  const std::string file = (dir_ / "bad.json").string();
  json doc = harness_file("go", "testing.B", json::array({row("message", "parse", 90)}));
  doc["schema"] = "hellobench-microbench/0";
  EXPECT_EQ(error_of(doc), file + ": schema: expected \"hellobench-microbench/1\"");

  json no_ns = row("message", "parse", 90);
  no_ns.erase("ns_per_op");
  EXPECT_EQ(error_of(harness_file("go", "testing.B", json::array({no_ns}))),
            file + ": rows[0].ns_per_op: expected a positive number");
  EXPECT_EQ(error_of(harness_file("go", "testing.B", json::array({row("message", "parse", 0)}))),
            file + ": rows[0].ns_per_op: expected a positive number");
  json bad_allocs = row("message", "parse", 90);
  bad_allocs["allocs_per_op"] = "six";
  EXPECT_EQ(error_of(harness_file("go", "testing.B", json::array({bad_allocs}))),
            file + ": rows[0].allocs_per_op: expected a number or null");
  json no_payload = row("message", "parse", 90);
  no_payload.erase("payload");
  EXPECT_EQ(error_of(harness_file("go", "testing.B", json::array({no_payload}))),
            file + ": rows[0].payload: expected a string");
  json no_language = harness_file("go", "testing.B", json::array({row("message", "parse", 90)}));
  no_language.erase("language");
  EXPECT_EQ(error_of(no_language),
            file + ": rows[0]: no language (neither the row's nor the file's)");
}

// --- the table ---------------------------------------------------------------------------------

TEST_F(MicrobenchFiles, TheTableShowsEachMedianWithTheSamplesSpreadAndTheRatiosOfMedians) {
  json go_row = row("order-10", "parse", 2170);
  go_row["samples_ns_per_op"] = kGoSamples;
  go_row["allocs_per_op"] = 56;
  json rust_row = row("order-10", "parse", 1050);
  rust_row["samples_ns_per_op"] = kRustSamples;
  rust_row["allocs_per_op"] = 14;
  json cpp_row = row("order-10", "parse", 1900);
  cpp_row["allocs_per_op"] = 48;
  const json merged = merge_microbench_files(
      {write("cpp.json", harness_file("cpp", "google-benchmark", json::array({cpp_row}))),
       write("go.json", harness_file("go", "testing.B",
                                     json::array({go_row, row("message", "parse", 95.34)}))),
       write("rust.json", harness_file("rust", "criterion", json::array({rust_row})))});
  const std::string table = render_microbench_table(merged);

  std::vector<std::string> lines;
  std::istringstream in(table);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 4u) << table;
  EXPECT_THAT(lines[0], ::testing::StartsWith("payload / operation"));
  EXPECT_THAT(lines[0], HasSubstr("go/rust  cpp/rust"));
  // One cell per language: the median [p25..p75] x samples, allocations.
  EXPECT_THAT(lines[1], ::testing::StartsWith("order-10 parse"));
  EXPECT_THAT(lines[1], HasSubstr("1900 ns x1, 48 allocs"));
  EXPECT_THAT(lines[1], HasSubstr("2170 ns [2145..2230] x10, 56 allocs"));
  EXPECT_THAT(lines[1], HasSubstr("1050 ns [1024..1078] x10, 14 allocs"));
  // go/rust = 2170 / 1050 = 2.07, cpp/rust = 1900 / 1050 = 1.81.
  EXPECT_THAT(lines[1], ::testing::EndsWith("2.07x    1.81x"));
  // A language without the row: "-"; under 100 ns, a tenth of a nanosecond.
  EXPECT_THAT(lines[2], HasSubstr("95.3 ns x1, 20 allocs"));
  EXPECT_THAT(lines[2], ::testing::EndsWith("-        -"));
  EXPECT_THAT(lines[3], HasSubstr("interquartile range"));
}

}  // namespace
}  // namespace hellobench
