// The container loop with a real engine. The smoke test runs in `make test` and skips, with
// the engine's reason, where podman cannot run; the loop test (HELLOBENCH_CONTAINER_TESTS=1,
// `make test-container`) rebuilds the generated Go service's image after the one-field edit
// with each Containerfile, making the local stand-in images first when they are missing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "builds/builds.hpp"
#include "builds/container.hpp"
#include "builds/generator.hpp"
#include "builds/services.hpp"
#include "config/config.hpp"
#include "trial/environment.hpp"

namespace hellobench {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path kRepo = HELLOBENCH_SOURCE_DIR;

class ContainerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("hb-container-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(ContainerTest, SmokeTheEngineBuildsAnImageFromScratch) {
  const Config config = load_config(kRepo / "hellobench.toml");
  ServicesConfig services = config.services;
  services.images.clear();  // the smoke test makes no stand-ins: seconds, not minutes
  const ContainerEngine engine = prepare_container_engine(services, dir_ / "images", dir_ / "logs");
  if (!engine.usable) GTEST_SKIP() << "the container engine cannot run here: " << engine.why_not;
  std::ofstream(dir_ / "hello.txt") << "hello\n";
  std::ofstream(dir_ / "Containerfile") << "FROM scratch\nCOPY hello.txt /hello.txt\n";
  Argv build = engine.engine;
  build.push_back("build");
  build.insert(build.end(), engine.build_options.begin(), engine.build_options.end());
  const std::string tag = "localhost/hellobench-smoke-" + std::to_string(::getpid());
  build.insert(build.end(), {"-f", (dir_ / "Containerfile").string(), "-t", tag, dir_.string()});
  StepOptions options;
  options.log_prefix = dir_ / "build";
  const StepResult built = run_step(build, options);
  EXPECT_TRUE(built.ok()) << last_lines(built.stdout_path, built.stderr_path);
  Argv remove = engine.engine;
  remove.insert(remove.end(), {"rmi", "-f", tag});
  run_step(remove, {});
}

TEST_F(ContainerTest, GoImageIsRebuiltAfterTheEditInEveryContainerLoop) {
  if (!std::getenv("HELLOBENCH_CONTAINER_TESTS")) {
    GTEST_SKIP() << "real image builds (minutes): `make test-container` runs them";
  }
  extend_path_with_toolchains();
  const Config config = load_config(kRepo / "hellobench.toml");
  const ServiceLanguage* go = nullptr;
  for (const ServiceLanguage& l : config.services.languages) {
    if (l.name == "go") go = &l;
  }
  ASSERT_TRUE(go);
  ServiceBuildOptions options;
  options.sizes = {1};
  options.loops = {"container-plain", "container-deps-layer", "container-cache-mount"};
  options.jobs = 2;
  options.scratch_root = dir_ / "scratch";
  options.log_dir = dir_ / "logs";
  const ServiceBuildOutcome outcome = time_service_builds(config.services, {go}, options);
  ASSERT_TRUE(outcome.container.value("usable", false)) << outcome.container.dump(2);
  ASSERT_EQ(outcome.rows.size(), 3u);
  for (const json& row : outcome.rows) {
    SCOPED_TRACE(row.value("loop", ""));
    EXPECT_TRUE(row.value("ok", false)) << row.dump(2);
    EXPECT_EQ(row["samples_s"].size(), 1u);
    EXPECT_GT(row.value("image_bytes", 0.0), 1e6);  // the runtime base plus the binary
  }
}

TEST_F(ContainerTest, SmallestImageOfAStaticBinaryRuns) {
  if (!std::getenv("HELLOBENCH_CONTAINER_TESTS")) {
    GTEST_SKIP() << "a real image build and run: `make test-container` runs it";
  }
  extend_path_with_toolchains();
  // The generated Go service built statically: the image holds that one file.
  const Config config = load_config(kRepo / "hellobench.toml");
  generate_service(kRepo / "services/templates/go", dir_ / "src", 1);
  StepOptions options;
  options.working_dir = dir_ / "src";
  options.env = {{"CGO_ENABLED", "0"}};
  const StepResult built = run_step({"go", "build", "-o", (dir_ / "hellosvc").string(), "."}, options);
  ASSERT_TRUE(built.ok()) << last_lines(built.stdout_path, built.stderr_path);
  ContainerEngine engine;
  engine.engine = config.services.engine;
  engine.build_options = config.services.build_options;
  engine.usable = true;
  const json image = smallest_image(engine, "go", dir_ / "hellosvc", dir_ / "image", dir_ / "logs");
  EXPECT_TRUE(image.value("runs", false)) << image.dump(2);
  EXPECT_EQ(image["files"].size(), 1u);  // static: the binary alone
  EXPECT_GT(image.value("image_bytes", 0.0), 1e6);
}

}  // namespace
}  // namespace hellobench
