// The config file: what a valid file means, and how each kind of mistake is reported.
#include "config/config.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "core/errors.hpp"

namespace hellobench {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

const fs::path kData = HELLOBENCH_TEST_DATA_DIR;

// The message of the ConfigError that parsing text throws ("" if none).
std::string config_error(const std::string& text, const std::string& name = "/cfg/test.toml") {
  try {
    parse_config(text, name);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

// The smallest valid file around a [[server]] body, for error tests.
std::string with_server(const std::string& server_body, const std::string& rest = "") {
  return "[[server]]\n" + server_body +
         "\n[[scenario]]\nname = \"hello\"\npath = \"/\"\n"
         "[profile.p]\nrepetitions = 1\nwarmup_s = 1\nwindow_s = 1\nscenarios = [\"hello\"]\n" +
         rest;
}

const char* kServer =
    "name = \"a\"\nlanguage = \"C\"\nsource_dir = \"a\"\nbinary = \"b\"\nrun = [\"b\"]\n"
    "[server.edit]\nfile = \"f\"\nline = \"l\"\n";

TEST(Config, ReadsServersWithPathsResolvedAgainstTheFilesFolder) {
  const Config config = load_config(kData / "config_minimal.toml");
  ASSERT_EQ(config.servers.size(), 2u);
  const ServerConfig& alpha = config.servers[0];
  EXPECT_EQ(alpha.name, "alpha");
  EXPECT_EQ(alpha.label, "alpha");  // label defaults to the name
  EXPECT_EQ(alpha.language, "C++");
  EXPECT_EQ(alpha.source_dir, kData / "config_fake_server");
  EXPECT_THAT(alpha.run, ElementsAre("{binary}", "--port", "{port}", "--threads", "{threads}"));
  EXPECT_EQ(alpha.edit.marker, "hellobench:add-field");  // the default marker
  EXPECT_EQ(alpha.edit.line, "  extra_field int");
  EXPECT_THAT(alpha.build.env, ElementsAre(Pair("CACHE", "{build_dir}/cache")));
  ASSERT_TRUE(alpha.build.debug.has_value());
  EXPECT_FALSE(alpha.build.release.has_value());
  EXPECT_EQ(alpha.build.debug->binary, "{out}");  // the default binary of a recipe
  EXPECT_EQ(config.servers[1].label, "Beta server");
  EXPECT_EQ(config.servers[1].edit.marker, "add-field");
  EXPECT_EQ(config.jobs, 3);
  EXPECT_EQ(config.bind, "127.0.0.1");
}

TEST(Config, ReadsScenariosProfilesAndClaims) {
  const Config config = load_config(kData / "config_minimal.toml");
  ASSERT_EQ(config.scenarios.size(), 3u);
  EXPECT_EQ(config.scenarios[0].generator, "wrk");  // default generator
  EXPECT_EQ(config.scenarios[0].mode, LoadMode::closed);
  EXPECT_EQ(config.scenarios[0].connections, 8);
  EXPECT_EQ(config.scenarios[1].mode, LoadMode::open);
  EXPECT_EQ(config.scenarios[1].rate, 500.0);
  EXPECT_EQ(config.scenarios[2].connections, 64);  // default connections
  const ProfileConfig* tiny = config.find_profile("tiny");
  ASSERT_NE(tiny, nullptr);
  EXPECT_EQ(tiny->repetitions, 2);
  EXPECT_EQ(tiny->window_seconds, 2.0);
  EXPECT_THAT(tiny->scenarios, ElementsAre("hello", "rated"));
  EXPECT_THAT(tiny->builds, ElementsAre("dev"));
  ASSERT_EQ(config.claims.size(), 1u);
  EXPECT_EQ(config.claims[0].figures.at("go"), 0.21);
}

TEST(Config, BrokenTomlNamesFileAndLine) {
  try {
    load_config(kData / "config_broken.toml");
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    // The unterminated string starts on line 4.
    EXPECT_THAT(e.what(), HasSubstr((kData / "config_broken.toml").string() + ":4:"));
    EXPECT_THAT(e.what(), HasSubstr("invalid TOML"));
  }
}

TEST(Config, UnknownKeyNamesKeyAndLine) {
  try {
    load_config(kData / "config_unknown_key.toml");
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("config_unknown_key.toml:7:"));
    EXPECT_THAT(e.what(), HasSubstr("unknown key 'bianry_path'"));
    EXPECT_THAT(e.what(), HasSubstr("server 'alpha'"));
  }
}

TEST(Config, MissingFileIsAConfigErrorNamingIt) {
  EXPECT_THROW(load_config(kData / "config_does_not_exist.toml"), ConfigError);
  try {
    load_config("/nonexistent/hb.toml");
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("/nonexistent/hb.toml"));
  }
}

TEST(Config, MissingFieldIsNamed) {
  EXPECT_THAT(
      config_error(with_server("name = \"a\"\nlanguage = \"C\"\nbinary = \"b\"\nrun = [\"b\"]\n"
                               "[server.edit]\nfile = \"f\"\nline = \"l\"\n")),
      HasSubstr("server 'a': missing field 'source_dir'"));
}

TEST(Config, WrongTypeIsNamedWithItsLine) {
  // connections is on line 22 of this text (18 lines of with_server, then 4).
  const std::string text =
      with_server(kServer) + "[[scenario]]\nname = \"x\"\npath = \"/\"\nconnections = \"many\"\n";
  const std::string error = config_error(text);
  EXPECT_THAT(error, HasSubstr("scenario 'x'.connections: expected an integer"));
  EXPECT_THAT(error, HasSubstr("/cfg/test.toml:22:"));
}

TEST(Config, CommandMustBeAnArgvListNotAShellLine) {
  std::string server = kServer;
  server.replace(server.find("run = [\"b\"]"), 11, "run = \"b --port 1\"");
  EXPECT_THAT(config_error(with_server(server)),
              HasSubstr("server 'a'.run: expected an array of strings"));
}

TEST(Config, OpenScenarioNeedsARateAndLoadgen) {
  const std::string base = with_server(kServer);
  EXPECT_THAT(
      config_error(
          base +
          "[[scenario]]\nname = \"o\"\npath = \"/\"\ngenerator = \"loadgen\"\nmode = \"open\"\n"),
      HasSubstr("mode 'open' needs a 'rate'"));
  EXPECT_THAT(
      config_error(base + "[[scenario]]\nname = \"o\"\npath = \"/\"\nmode = \"open\"\nrate = 10\n"),
      HasSubstr("wrk cannot hold a fixed rate"));
}

TEST(Config, ProfileWithUnknownScenarioIsNamed) {
  const std::string text = with_server(
      kServer,
      "[profile.q]\nrepetitions = 1\nwarmup_s = 1\nwindow_s = 1\nscenarios = [\"nope\"]\n");
  EXPECT_THAT(config_error(text), HasSubstr("profile.q.scenarios: unknown scenario 'nope'"));
}

TEST(Config, WrkProfileNeedsWholeSeconds) {
  const std::string text = with_server(
      kServer,
      "[profile.q]\nrepetitions = 1\nwarmup_s = 1\nwindow_s = 1.5\nscenarios = [\"hello\"]\n");
  EXPECT_THAT(config_error(text),
              HasSubstr("profile.q.window_s: 1.5 s is not a whole number of seconds"));
}

TEST(Config, DuplicateServerNameIsAnError) {
  const std::string text = with_server(std::string(kServer) + "[[server]]\n" + kServer);
  EXPECT_THAT(config_error(text), HasSubstr("duplicate server 'a'"));
}

TEST(Config, UnknownServerInTheListIsNamedWithTheFlag) {
  const Config config = load_config(kData / "config_minimal.toml");
  try {
    select_servers(config, "alpha,gamma");
    FAIL() << "expected a UsageError";
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "--servers: unknown server 'gamma' (known: alpha, beta)");
  }
}

TEST(Config, ServerListKeepsTheGivenOrderAndAnEmptyListMeansAll) {
  const Config config = load_config(kData / "config_minimal.toml");
  const auto two = select_servers(config, "beta, alpha");
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0]->name, "beta");
  EXPECT_EQ(two[1]->name, "alpha");
  EXPECT_EQ(select_servers(config, "").size(), 2u);
}

TEST(Config, ScenarioListDefaultsToTheProfilesAndRejectsUnknownNames) {
  const Config config = load_config(kData / "config_minimal.toml");
  const auto chosen = select_scenarios(config, *config.find_profile("tiny"), "");
  ASSERT_EQ(chosen.size(), 2u);
  EXPECT_EQ(chosen[1]->name, "rated");
  EXPECT_THROW(select_scenarios(config, *config.find_profile("tiny"), "hello,bogus"), UsageError);
}

TEST(Config, ExpandReplacesPlaceholdersAndRejectsUnknownOnes) {
  EXPECT_EQ(expand("{build_dir}/bin/{name}", {{"build_dir", "/b"}, {"name", "go"}}), "/b/bin/go");
  EXPECT_EQ(expand("no placeholders", {}), "no placeholders");
  try {
    expand("{bogus}/x", {{"src", "/s"}});
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("unknown placeholder '{bogus}'"));
    EXPECT_THAT(e.what(), HasSubstr("{src}"));
  }
}

TEST(Config, TheShippedDefaultConfigIsValidAndDescribesTheThreeServers) {
  const Config config = load_config(fs::path(HELLOBENCH_SOURCE_DIR) / "hellobench.toml");
  ASSERT_EQ(config.servers.size(), 3u);
  EXPECT_EQ(config.servers[0].name, "cpp");
  EXPECT_EQ(config.servers[1].name, "go");
  EXPECT_EQ(config.servers[2].name, "rust");
  for (const char* profile : {"smoke", "quick", "full"}) {
    EXPECT_NE(config.find_profile(profile), nullptr) << profile;
  }
  EXPECT_EQ(config.find_profile("smoke")->repetitions, 1);
  EXPECT_TRUE(config.find_profile("smoke")->builds.empty());
  EXPECT_EQ(config.find_profile("quick")->repetitions, 3);
  EXPECT_EQ(config.find_profile("full")->repetitions, 10);
  for (const ServerConfig& server : config.servers) {
    EXPECT_TRUE(fs::exists(server.source_dir / server.edit.file)) << server.name;
  }
  EXPECT_GE(config.claims.size(), 11u);
}

}  // namespace
}  // namespace hellobench
