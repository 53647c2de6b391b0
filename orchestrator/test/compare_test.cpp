// `hellobench compare A B` on two hand-made results files whose changes are worked out by hand.
// Separate runs do not pair, so every change is the unpaired ratio of medians with the
// Bonferroni interval (stats::unpaired_ratio): each side's order-statistic interval at 97.5%
// (n = 6: the range, 96.875%), coverage 2 * 0.96875 - 1 = 0.9375.
#include "output/compare.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "cli.hpp"

namespace hellobench {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;

json trial(const std::string& server, const std::string& scenario, int repetition, double cpu,
           double rps) {
  return {{"server", server},
          {"scenario", scenario},
          {"repetition", repetition},
          {"valid", true},
          {"bound", "server"},
          {"cpu_us_per_request", cpu},
          {"rps", rps},
          {"latency_us", {{"p50", 100}, {"p99", 1000}}},
          {"rss_mean_kib", 10240},
          {"rss_peak_kib", 10240},
          {"startup_ms", 5}};
}

json run(const std::string& commit, const std::vector<double>& go_cpu,
         const std::vector<double>& go_rps, double rust_cpu, double go_stripped_bytes) {
  json doc = {
      {"schema", "hellobench/1"},
      {"started_at", "2026-12-01T10:00:00Z"},
      {"environment",
       {{"git_commit", commit},
        {"cpu_model", "Test CPU"},
        {"kernel", "Linux 6.1"},
        {"toolchains", {{"go", "go1.26"}}}}},
      {"profile", {{"name", "quick"}}},
      {"servers",
       {{{"name", "go"},
         {"binary", {{"bytes", 2 * go_stripped_bytes}, {"stripped_bytes", go_stripped_bytes}}}},
        {{"name", "rust"}, {"binary", {{"bytes", 2097152}, {"stripped_bytes", 1048576}}}}}},
      {"trials", json::array()},
      {"builds", json::array()},
      {"verify", json::object()},
      {"summary", json::object()},
      {"claims", json::array()},
      {"rules_bent", json::array()}};
  for (std::size_t i = 0; i < go_cpu.size(); ++i) {
    doc["trials"].push_back(
        trial("go", "hello-10k", static_cast<int>(i) + 1, go_cpu[i], go_rps[i]));
  }
  // rust: a single trial (n = 1), whose interval has no coverage at all.
  doc["trials"].push_back(trial("rust", "hello-10k", 1, rust_cpu, 1000));
  return doc;
}

// A: go CPU 10..15 us (median 12.5), rps 1000..1050 (median 1025), rust 10 us, go 1 MiB.
// B: go CPU 20..30 us (median 25), rps 1005..1055 (median 1030), rust 20 us, go 1.5 MiB.
json run_a() {
  return run("aaaa", {10, 11, 12, 13, 14, 15}, {1000, 1010, 1020, 1030, 1040, 1050}, 10, 1048576);
}
json run_b() {
  return run("bbbb", {20, 22, 24, 26, 28, 30}, {1005, 1015, 1025, 1035, 1045, 1055}, 20, 1572864);
}

const json& row(const json& comparison, const std::string& server, const std::string& metric) {
  for (const json& r : comparison["rows"]) {
    if (r["server"] == server && r["metric"] == metric) return r;
  }
  throw std::runtime_error("no row " + server + " " + metric);
}

TEST(Compare, DoubledCpuIsWorseWithTheBonferroniIntervalOfTheRanges) {
  const json c = compare_results(run_a(), run_b());
  const json& change = row(c, "go", "cpu_us_per_request")["change"];
  EXPECT_DOUBLE_EQ(change["ratio"].get<double>(), 25.0 / 12.5);  // 2
  // Each side's 97.5% interval at n = 6 falls short and is the range: [10, 15] and [20, 30];
  // the ratio's interval is [20 / 15, 30 / 10].
  EXPECT_DOUBLE_EQ(change["low"].get<double>(), 20.0 / 15.0);
  EXPECT_DOUBLE_EQ(change["high"].get<double>(), 3.0);
  EXPECT_DOUBLE_EQ(change["coverage"].get<double>(), 0.9375);
  EXPECT_EQ(change["method"], "order-statistic, Bonferroni");
  EXPECT_EQ(change["mark"], "worse");
}

TEST(Compare, ASmallChangeInsideTheIntervalIsMarkedTilde) {
  const json c = compare_results(run_a(), run_b());
  const json& change = row(c, "go", "rps")["change"];
  EXPECT_DOUBLE_EQ(change["ratio"].get<double>(), 1030.0 / 1025.0);
  EXPECT_DOUBLE_EQ(change["low"].get<double>(), 1005.0 / 1050.0);   // 0.957
  EXPECT_DOUBLE_EQ(change["high"].get<double>(), 1055.0 / 1000.0);  // 1.055
  EXPECT_EQ(change["mark"], "~");
}

TEST(Compare, OneTrialASideExcludesNoChangeButCannotCallIt) {
  const json c = compare_results(run_a(), run_b());
  const json& change = row(c, "rust", "cpu_us_per_request")["change"];
  EXPECT_DOUBLE_EQ(change["ratio"].get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(change["coverage"].get<double>(), 0.0);
  EXPECT_EQ(change["mark"], "?");
}

TEST(Compare, BinarySizesCompareExactly) {
  const json c = compare_results(run_a(), run_b());
  const json& change = row(c, "go", "stripped_bytes")["change"];
  EXPECT_DOUBLE_EQ(change["ratio"].get<double>(), 1.5);
  EXPECT_EQ(change["method"], "exact");
  EXPECT_EQ(change["mark"], "worse");
  EXPECT_EQ(row(c, "rust", "stripped_bytes")["change"]["mark"], "~");
}

TEST(Compare, AValueCellIsTheMedianWithItsInterval) {
  const json c = compare_results(run_a(), run_b());
  const json& a = row(c, "go", "cpu_us_per_request")["a"];
  EXPECT_DOUBLE_EQ(a["value"].get<double>(), 12.5);
  EXPECT_DOUBLE_EQ(a["interval"][0].get<double>(), 10);
  EXPECT_DOUBLE_EQ(a["interval"][1].get<double>(), 15);
  EXPECT_EQ(a["n"], 6);
}

TEST(Compare, EnvironmentDifferencesAreListed) {
  json b = run_b();
  b["environment"]["kernel"] = "Linux 6.18";
  const json c = compare_results(run_a(), b);
  ASSERT_EQ(c["environment_differences"].size(), 1u);
  EXPECT_EQ(c["environment_differences"][0]["field"], "kernel");
}

TEST(Compare, TextNamesTheChangeItsIntervalAndCoverage) {
  const std::string text = render_compare_text(compare_results(run_a(), run_b()));
  EXPECT_THAT(text, HasSubstr("cpu_us_per_request (us, lower is better)"));
  EXPECT_THAT(text, HasSubstr("+100%"));
  EXPECT_THAT(text, HasSubstr("[+33.3%, +200%]"));
  EXPECT_THAT(text, HasSubstr(">=93.8%"));
  EXPECT_THAT(text, HasSubstr("rounds do not pair"));
}

TEST(Compare, MarkdownIsATablePerMetric) {
  const std::string md = render_compare_markdown(compare_results(run_a(), run_b()));
  EXPECT_THAT(md, HasSubstr("### cpu_us_per_request"));
  EXPECT_THAT(md, HasSubstr("| go | hello-10k | 12.5 [10.0-15.0] n=6 | 25.0 [20.0-30.0] n=6 | "
                            "+100% | [+33.3%, +200%] | >=93.8% | **worse** |"));
}

TEST(Compare, AnUnknownMetricIsBadUsage) {
  CompareOptions options;
  options.metrics = {"cpu_per_req"};
  EXPECT_THROW(compare_results(run_a(), run_b(), options), std::runtime_error);
}

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

TEST(Compare, TheCommandReadsTwoFiles) {
  const fs::path dir =
      fs::temp_directory_path() / ("hb-compare-test-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "a.json") << run_a().dump();
  std::ofstream(dir / "b.json") << run_b().dump();
  std::FILE* out = std::tmpfile();
  std::FILE* err = std::tmpfile();
  const int code = run_cli({"compare", (dir / "a.json").string(), (dir / "b.json").string(),
                            "--markdown", "--metrics", "cpu_us_per_request"},
                           out, err);
  const std::string text = slurp(out);
  slurp(err);
  EXPECT_EQ(code, kExitOk);
  EXPECT_THAT(text, HasSubstr("**worse**"));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("### rps")));
  fs::remove_all(dir);
}

TEST(Compare, TheCommandNeedsTwoFiles) {
  std::FILE* out = std::tmpfile();
  std::FILE* err = std::tmpfile();
  EXPECT_EQ(run_cli({"compare", "only-one.json"}, out, err), kExitUsage);
  slurp(out);
  slurp(err);
}

}  // namespace
}  // namespace hellobench
