// Generated services: the templates rendered, the services emitted at sizes 1 and 3 (the Go
// one built, tested, started and edited for real; Rust and C++ behind HELLOBENCH_SERVICE_TESTS,
// see `make test-services`), the least-squares slope and the crossing worked by hand, the
// [services] and profile config errors, and a failing generated build reported with the
// compiler's last lines while the other language is measured.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "builds/builds.hpp"
#include "builds/container.hpp"
#include "builds/curves.hpp"
#include "builds/generator.hpp"
#include "builds/services.hpp"
#include "config/config.hpp"
#include "core/errors.hpp"
#include "trial/environment.hpp"

namespace hellobench {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using nlohmann::json;

const fs::path kRepo = HELLOBENCH_SOURCE_DIR;

std::string read(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void write(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary) << text;
}

class TempDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("hb-services-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

// --- templates -------------------------------------------------------------------------------

TEST(RenderTemplate, RepeatsABlockOncePerModule) {
  EXPECT_EQ(render_template("n={{size}};{{#modules}}[{{module}}:{{index}}]{{/modules}}.", 3),
            "n=3;[m001:1][m002:2][m003:3].");
}

TEST(RenderTemplate, SetsTheModuleOfAPerModuleFile) {
  EXPECT_EQ(render_template("package {{module}} // {{index}} of {{size}}", 12, 7),
            "package m007 // 7 of 12");
}

TEST(RenderTemplate, LeavesBraceInitialisersAlone) {
  EXPECT_EQ(render_template("json::object{{\"id\", r.id}}", 1), "json::object{{\"id\", r.id}}");
}

TEST(RenderTemplate, RejectsAnUnknownPlaceholderAndAnUnclosedBlock) {
  EXPECT_THROW(render_template("{{modules_count}}", 1), std::invalid_argument);
  EXPECT_THROW(render_template("{{#modules}}x", 1), std::invalid_argument);
  EXPECT_THROW(render_template("{{module}}", 2), std::invalid_argument);  // outside a module
}

TEST(ModuleName, SortsInModuleOrder) {
  EXPECT_EQ(module_name(1), "m001");
  EXPECT_EQ(module_name(200), "m200");
  EXPECT_EQ(module_name(1234), "m1234");
}

class GenerateService : public TempDir {};

TEST_F(GenerateService, EmitsOneFilePerModuleForEveryLanguage) {
  for (const char* language : {"go", "rust", "cpp"}) {
    const fs::path one = dir_ / language / "1", three = dir_ / language / "3";
    const int files_one = generate_service(kRepo / "services/templates" / language, one, 1);
    const int files_three = generate_service(kRepo / "services/templates" / language, three, 3);
    // Go: a source and a test file per module; Rust: one file; C++: a header and a source.
    const int per_module = std::string(language) == "rust" ? 1 : 2;
    EXPECT_EQ(files_three - files_one, 2 * per_module) << language;
    for (fs::path p : fs::recursive_directory_iterator(three)) {
      EXPECT_EQ(p.string().find("__module__"), std::string::npos) << p;
      EXPECT_NE(p.extension(), ".tmpl") << p;
    }
  }
  EXPECT_TRUE(fs::exists(dir_ / "go/3/modules/m003/m003.go"));
  EXPECT_TRUE(fs::exists(dir_ / "rust/3/src/modules/m003.rs"));
  EXPECT_TRUE(fs::exists(dir_ / "cpp/3/src/modules/m003.cpp"));
  EXPECT_THAT(read(dir_ / "rust/3/src/modules/mod.rs"), HasSubstr("pub mod m003;"));
  EXPECT_THAT(read(dir_ / "go/3/main.go"), HasSubstr("m002.Register(mux, s, log)"));
}

TEST_F(GenerateService, TheConfiguredEditLandsInTheSharedRecordOfEachLanguage) {
  const Config config = load_config(kRepo / "hellobench.toml");
  ASSERT_EQ(config.services.languages.size(), 3u);
  for (const ServiceLanguage& language : config.services.languages) {
    const fs::path out = dir_ / language.name;
    generate_service(language.template_dir, out, 2);
    const std::string before = read(out / language.edit.file);
    apply_field_edit(out, language.edit);
    const std::string after = read(out / language.edit.file);
    EXPECT_THAT(after, HasSubstr(language.edit.line)) << language.name;
    EXPECT_EQ(after.size(), before.size() + language.edit.line.size() + 1) << language.name;
  }
}

// --- counting --------------------------------------------------------------------------------

TEST(CountDependencyLines, CountsEachMatchingLineOnceWithoutCargosRepeatMark) {
  const std::string tree = "hellosvc v0.1.0 (/src)\nanyhow v1.0.98\ntokio v1.45.0\n"
                           "tokio v1.45.0 (*)\nserde v1.0.219 (*)\n\n";
  EXPECT_EQ(count_dependency_lines(tree, "^(?!hellosvc )"), 3);
  const std::string go = "x: go1.26\n\tpath\thellosvc\n\tmod\thellosvc\t(devel)\n"
                         "\tdep\tgithub.com/google/uuid\tv1.6.0\th1:x\n"
                         "\tdep\tgolang.org/x/text\tv0.24.0\th1:y\n";
  EXPECT_EQ(count_dependency_lines(go, "^\\s+dep\\s"), 2);
}

TEST_F(TempDir, LastLinesKeepsTheEndOfTheCompilersOutput) {
  std::string err;
  for (int i = 1; i <= 40; ++i) err += "line " + std::to_string(i) + "\n";
  write(dir_ / "step.stderr", err);
  write(dir_ / "step.stdout", "");
  const std::string tail = last_lines(dir_ / "step.stdout", dir_ / "step.stderr", 3);
  EXPECT_EQ(tail, "line 38\nline 39\nline 40");
}

TEST_F(TempDir, AptMirrorReadsTheDeb822SourcesAndSkipsSecurity) {
  write(dir_ / "sources.list.d/debian.sources",
        "Types: deb\nURIs: http://security.example/debian-security\nSuites: x\n\n"
        "Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm\n");
  EXPECT_EQ(apt_mirror(dir_).value_or(""), "http://mirror.example/debian");
  fs::remove_all(dir_ / "sources.list.d");
  write(dir_ / "sources.list", "deb [arch=amd64] http://old.example/debian bookworm main\n");
  EXPECT_EQ(apt_mirror(dir_).value_or(""), "http://old.example/debian");
}

// --- the curve -------------------------------------------------------------------------------

TEST(FitLine, MatchesLeastSquaresWorkedByHand) {
  // x = 1, 2, 3; y = 2, 4, 6.5. mean x = 2, mean y = 12.5/3; Sxx = 2,
  // Sxy = (-1)(2 - 12.5/3) + (1)(6.5 - 12.5/3) = 4.5: slope 2.25, intercept 12.5/3 - 4.5.
  const LineFit fit = fit_line({1, 2, 3}, {2, 4, 6.5});
  ASSERT_TRUE(fit.slope);
  EXPECT_DOUBLE_EQ(*fit.slope, 2.25);
  EXPECT_NEAR(*fit.intercept, 12.5 / 3 - 4.5, 1e-12);
  // Syy = (2-25/6)^2 + (4-25/6)^2 + (6.5-25/6)^2 = 10.1667; r^2 = 4.5^2 / (2 * 10.1667).
  EXPECT_NEAR(*fit.r_squared, 20.25 / (2 * (169.0 / 36 + 1.0 / 36 + 196.0 / 36)), 1e-12);
}

TEST(FitLine, HasNoSlopeFromOneSize) {
  const LineFit fit = fit_line({10}, {3});
  EXPECT_FALSE(fit.slope);
  EXPECT_THAT(fit.why_not, HasSubstr("one size"));
}

TEST(SizeAtRatio, SolvesWhereTheFittedRatioReachesTheThreshold) {
  // rust 10 + 2n, go 5 + 0.05n: 22x where 10 + 2n = 22 (5 + 0.05n), n = 100 / 0.9.
  const LineFit rust = fit_line({0, 10}, {10, 30});
  const LineFit go = fit_line({0, 10}, {5, 5.5});
  const Crossing c = size_at_ratio(rust, go, 22);
  ASSERT_TRUE(c.size_modules);
  EXPECT_NEAR(*c.size_modules, 100 / 0.9, 1e-9);
  EXPECT_NEAR(*c.asymptotic_ratio, 40, 1e-9);
}

TEST(SizeAtRatio, SaysNeverWhenTheAsymptoteIsBelowTheThreshold) {
  // rust 1 + 0.5n, go 1 + 0.1n: the ratio tends to 5x, never 22x.
  const Crossing c = size_at_ratio(fit_line({1, 11}, {1.5, 6.5}), fit_line({1, 11}, {1.1, 2.1}), 22);
  EXPECT_FALSE(c.size_modules);
  EXPECT_NEAR(*c.asymptotic_ratio, 5, 1e-9);
  EXPECT_THAT(c.reason, HasSubstr("never"));
}

TEST(SizeAtRatio, RefusesToExtrapolateWhenTheDenominatorDoesNotGrow) {
  // rust 76 - 1.2n, go 31 - 0.78n (the first curve run's container-plain points, 1 and 10
  // modules): go's line reaches 0 s near 40 modules, where the ratio of the lines would pass
  // 22x; that is no crossing.
  const Crossing c =
      size_at_ratio(fit_line({1, 10}, {75.6, 64.6}), fit_line({1, 10}, {31.3, 24.3}), 22);
  EXPECT_FALSE(c.size_modules);
  EXPECT_FALSE(c.asymptotic_ratio);
  EXPECT_THAT(c.reason, HasSubstr("cannot be extrapolated"));
  // A flat denominator (slope exactly 0) is refused the same way.
  EXPECT_FALSE(size_at_ratio(fit_line({1, 10}, {10, 40}), fit_line({1, 10}, {5, 5}), 4).size_modules);
}

json row(const std::string& server, const std::string& loop, int size, double median,
         bool ok = true) {
  return {{"server", server},         {"service", "generated"},
          {"loop", loop},             {"kind", loop},
          {"size_modules", size},     {"ok", ok},
          {"median_s", median},       {"samples_s", {median}},
          {"skipped", nullptr},       {"error", ok ? json(nullptr) : json("broke")},
          {"lines_of_code", size * 100}};
}

TEST(MarkLargestSizes, PicksTheLargestSizeEveryLanguageMeasured) {
  json builds = json::array({row("go", "ci", 1, 2), row("go", "ci", 10, 3), row("rust", "ci", 1, 8),
                             row("rust", "ci", 10, 30, /*ok=*/false), row("go", "check", 10, 1),
                             json{{"server", "go"}, {"kind", "incremental"}}});
  mark_largest_sizes(builds);
  EXPECT_TRUE(builds[0]["largest_size"].get<bool>());   // rust failed at 10: 1 is common
  EXPECT_FALSE(builds[1]["largest_size"].get<bool>());
  EXPECT_TRUE(builds[2]["largest_size"].get<bool>());
  EXPECT_TRUE(builds[4]["largest_size"].get<bool>());
  EXPECT_FALSE(builds[5].contains("largest_size"));  // hello-server rows are left alone
}

TEST(BuildCurves, FitsEachLoopAndFindsTheClaimsCrossing) {
  json results = {{"builds", json::array({row("go", "container-plain", 1, 5),
                                          row("go", "container-plain", 11, 5.5),
                                          row("rust", "container-plain", 1, 12),
                                          row("rust", "container-plain", 11, 32)})},
                  {"claims_config",
                   json::array({{{"id", "build-dev-loop"},
                                 {"parts", json::array({{{"role", "regime"},
                                                         {"label", "plain"},
                                                         {"source", "builds"},
                                                         {"estimator", "ratio"},
                                                         {"a", "rust"},
                                                         {"b", "go"},
                                                         {"where", {{"loop", "container-plain"}}},
                                                         {"threshold", 22}}})}}})},
                  {"claims", json::array({{{"id", "build-dev-loop"}, {"regime", json::object()}}})}};
  mark_largest_sizes(results["builds"]);
  results["build_curves"] = build_curves(results);
  const json& curves = results["build_curves"];
  ASSERT_EQ(curves["loops"].size(), 1u);
  const json& rust = curves["loops"][0]["languages"][1];
  EXPECT_EQ(rust["server"], "rust");
  EXPECT_DOUBLE_EQ(rust["fit"]["slope_s_per_module"].get<double>(), 2.0);
  ASSERT_EQ(curves["crossings"].size(), 1u);
  // rust 10 + 2n, go 4.95 + 0.05n: n = (22 * 4.95 - 10) / (2 - 1.1).
  EXPECT_NEAR(curves["crossings"][0]["size_modules_at_threshold"].get<double>(),
              (22 * 4.95 - 10) / 0.9, 1e-9);
  annotate_build_claims(results);
  EXPECT_EQ(results["claims"][0]["regime"]["parameters"]["size_modules"], 11);
  EXPECT_THAT(render_build_curves(results), HasSubstr("container-plain"));
}

// --- config ----------------------------------------------------------------------------------

const std::string kConfig = R"(bind = "127.0.0.1"
[[server]]
name = "go"
language = "Go"
source_dir = "."
binary = "x"
run = ["{binary}"]
[server.edit]
file = "a"
line = "b"
[[scenario]]
name = "hello"
path = "/"
[profile.quick]
repetitions = 1
warmup_s = 1
window_s = 1
scenarios = ["hello"]
)";

std::string config_error(const std::string& extra) {
  try {
    parse_config(kConfig + extra, "/cfg/hellobench.toml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(ServicesConfig, ASizeOfZeroNamesTheFieldAndLine) {
  // kConfig has 18 lines: the table is on line 19, the sizes on line 20.
  EXPECT_THAT(config_error("[services]\nsizes = [0, 10]\n"),
              HasSubstr("/cfg/hellobench.toml:20:"));
  EXPECT_THAT(config_error("[services]\nsizes = [0, 10]\n"), HasSubstr("services.sizes[0]"));
}

TEST(ServicesConfig, ASizeListThatIsNotIncreasingNamesTheFieldAndLine) {
  const std::string message = config_error("service_sizes = [1, 50, 10]\nservice_loops = [\"ci\"]\n");
  EXPECT_THAT(message, HasSubstr("/cfg/hellobench.toml:19:"));
  EXPECT_THAT(message, HasSubstr("profile.quick.service_sizes[2]"));
  EXPECT_THAT(message, HasSubstr("strictly increasing"));
}

TEST(ServicesConfig, AnUnknownLoopKindIsRefused) {
  EXPECT_THAT(config_error("service_sizes = [1]\nservice_loops = [\"docker\"]\n"),
              HasSubstr("unknown loop kind 'docker'"));
}

TEST(ServicesConfig, TheRepositoryConfigDefinesEveryLanguageAndLoop) {
  const Config config = load_config(kRepo / "hellobench.toml");
  EXPECT_EQ(config.services.loops, service_loop_kinds());
  // quick (the default, make bench) and the builds profile run every loop kind once at the
  // smallest size, so make bench shows every loop kind.
  const ProfileConfig* quick = config.find_profile("quick");
  ASSERT_TRUE(quick);
  EXPECT_EQ(quick->service_sizes, std::vector<int>{1});
  EXPECT_EQ(quick->service_loops, service_loop_kinds());
  const ProfileConfig* builds = config.find_profile("builds");
  ASSERT_TRUE(builds);
  EXPECT_EQ(builds->service_sizes, std::vector<int>{1});
  EXPECT_EQ(builds->service_loops, service_loop_kinds());
  for (const ServiceLanguage& l : config.services.languages) {
    for (const std::string& loop : service_loop_kinds()) {
      if (!loop.starts_with("container-")) continue;
      EXPECT_TRUE(fs::exists(l.containerfiles / (container_variant(loop) + ".Containerfile")))
          << l.name << " " << loop;
    }
  }
}

// --- a failing generated build ---------------------------------------------------------------

class FailingBuild : public TempDir {};

TEST_F(FailingBuild, IsReportedWithTheCompilersLastLinesWhileTheOtherLanguageIsMeasured) {
  write(dir_ / "templates/bad/main.txt.tmpl", "{{size}} modules\n");
  write(dir_ / "templates/good/main.txt.tmpl", "{{size}} modules\n");
  ServicesConfig services;
  ServiceLanguage bad, good;
  bad.name = "bad";
  bad.template_dir = dir_ / "templates/bad";
  bad.build = {{"sh", "-c", "echo compiling; echo 'main.txt:1: error: no field extra_field' >&2; "
                            "echo 'aborting due to 1 previous error' >&2; exit 101"}};
  bad.release_build = bad.build;
  bad.cloc_languages = {"Text"};
  good = bad;
  good.name = "good";
  good.template_dir = dir_ / "templates/good";
  good.build = {{"sh", "-c", "mkdir -p {build_dir}/bin && cp main.txt {out}"}};
  good.release_build = good.build;
  services.languages = {bad, good};
  ServiceBuildOptions options;
  options.sizes = {1};
  options.loops = {"native-clean", "native-noop"};
  options.scratch_root = dir_ / "scratch";
  options.log_dir = dir_ / "logs";
  const ServiceBuildOutcome outcome =
      time_service_builds(services, {&services.languages[0], &services.languages[1]}, options);
  ASSERT_EQ(outcome.rows.size(), 4u);
  const json& failed = outcome.rows[0];
  EXPECT_EQ(failed["server"], "bad");
  EXPECT_FALSE(failed["ok"].get<bool>());
  EXPECT_THAT(failed["error"].get<std::string>(), HasSubstr("error: no field extra_field"));
  EXPECT_THAT(failed["error"].get<std::string>(), HasSubstr("aborting due to 1 previous error"));
  EXPECT_EQ(outcome.rows[1]["skipped"], "the clean build failed");
  const json& measured = outcome.rows[2];
  EXPECT_EQ(measured["server"], "good");
  EXPECT_TRUE(measured["ok"].get<bool>());
  EXPECT_EQ(measured["samples_s"].size(), 1u);
  EXPECT_EQ(outcome.rows[3]["samples_s"].size(), 1u);
  ASSERT_EQ(outcome.failures.size(), 1u);
  EXPECT_THAT(outcome.failures[0], HasSubstr("bad native-clean at 1 modules"));
}

// --- rounds ---------------------------------------------------------------------------------

class Rounds : public TempDir {};

// The claims pair round i's values (MEASUREMENT.md 12), so the samples must run A B A B ...,
// not A A B B: each build appends its language's name to one log, in the order they ran.
TEST_F(Rounds, SamplesRunInRoundsEveryLanguageOncePerRound) {
  const fs::path order = dir_ / "order.txt";
  ServicesConfig services;
  for (const std::string name : {"a", "b"}) {
    write(dir_ / "templates" / name / "main.txt.tmpl", "{{size}} modules\n");
    ServiceLanguage l;
    l.name = name;
    l.template_dir = dir_ / "templates" / name;
    l.release_build = {{"sh", "-c", "mkdir -p {build_dir}/bin && cp main.txt {out} && echo " +
                                        name + " >> " + order.string()}};
    l.cloc_languages = {"Text"};
    services.languages.push_back(l);
  }
  ServiceBuildOptions options;
  options.sizes = {1, 2};
  options.loops = {"ci"};
  options.repetitions = 3;
  options.scratch_root = dir_ / "scratch";
  options.log_dir = dir_ / "logs";
  const ServiceBuildOutcome outcome =
      time_service_builds(services, {&services.languages[0], &services.languages[1]}, options);
  std::ifstream in(order);
  std::string ran((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(ran, "a\nb\na\nb\na\nb\na\nb\na\nb\na\nb\n");
  ASSERT_EQ(outcome.rows.size(), 4u);
  for (const json& row : outcome.rows) EXPECT_EQ(row["samples_s"].size(), 3u) << row.dump();
  EXPECT_EQ(outcome.rows[0]["server"], "a");
  EXPECT_EQ(outcome.rows[0]["size_modules"], 1);
  EXPECT_EQ(outcome.rows[1]["server"], "b");
  EXPECT_EQ(outcome.rows[3]["size_modules"], 2);
}

// --- real generated services -----------------------------------------------------------------

// Builds, tests, starts and edits one language's generated service at 1 and 3 modules.
void build_test_and_edit(const std::string& name, const fs::path& dir) {
  extend_path_with_toolchains();
  const Config config = load_config(kRepo / "hellobench.toml");
  const ServiceLanguage* language = nullptr;
  for (const ServiceLanguage& l : config.services.languages) {
    if (l.name == name) language = &l;
  }
  ASSERT_TRUE(language);
  for (const int size : {1, 3}) {
    SCOPED_TRACE(fmt::format("{} at {} modules", name, size));
    ServiceBuildOptions options;
    options.sizes = {size};
    options.loops = {"native-clean", "native-incremental", "ci"};
    options.jobs = 2;
    options.scratch_root = dir / "scratch";
    options.log_dir = dir / "logs";
    ServiceLanguage shared = *language;
    // Warm caches (the tests check behaviour, not clean timings): Go's own build cache, and one
    // Rust target folder for both sizes.
    // Rust's target folder is kept between runs (temp/hellobench-services-test-cargo), and its
    // tests run in the dev profile, so a run of `make test-services` stays in ctest's timeout.
    std::erase_if(shared.env, [](const auto& kv) { return kv.first == "GOCACHE"; });
    for (auto& [key, value] : shared.env) {
      if (key == "CARGO_TARGET_DIR") {
        value = (fs::temp_directory_path() / "hellobench-services-test-cargo").string();
      }
    }
    if (name == "rust") {
      shared.release_build = shared.build;
      shared.release_binary = shared.binary;
      shared.test = {{"cargo", "test", "--locked", "-j", "{jobs}"}};
    }
    const ServiceBuildOutcome outcome = time_service_builds(config.services, {&shared}, options);
    ASSERT_EQ(outcome.services.size(), 1u);
    const json& s = outcome.services[0];
    EXPECT_TRUE(s.value("builds", false)) << outcome.rows.dump(2);
    EXPECT_TRUE(s.value("tests_pass", false)) << s.dump(2);
    EXPECT_TRUE(s.value("answers_health", false)) << s.dump(2);
    EXPECT_TRUE(s.value("edit_visible", false)) << s.dump(2);  // every module's sample
    EXPECT_GT(s.value("lines_of_code", 0L), 100);
    EXPECT_TRUE(outcome.failures.empty()) << outcome.failures.front();
  }
}

class GeneratedService : public TempDir {};

TEST_F(GeneratedService, GoBuildsPassesItsTestsAnswersHealthAndCarriesTheEdit) {
  if (!find_program("go") && !fs::exists("/usr/local/go/bin/go")) GTEST_SKIP() << "no go";
  build_test_and_edit("go", dir_);
}

TEST_F(GeneratedService, RustBuildsPassesItsTestsAnswersHealthAndCarriesTheEdit) {
  if (!std::getenv("HELLOBENCH_SERVICE_TESTS")) {
    GTEST_SKIP() << "minutes of compiling: `make test-services` runs it";
  }
  build_test_and_edit("rust", dir_);
}

TEST_F(GeneratedService, CppBuildsPassesItsTestsAnswersHealthAndCarriesTheEdit) {
  if (!std::getenv("HELLOBENCH_SERVICE_TESTS")) {
    GTEST_SKIP() << "a minute of compiling on 2 cores: `make test-services` runs it";
  }
  build_test_and_edit("cpp", dir_);
}

}  // namespace
}  // namespace hellobench
