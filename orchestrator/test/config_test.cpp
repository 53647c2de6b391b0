// The config file: what a valid file means, and how each kind of mistake is reported.
#include "config/config.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include "analysis/claims.hpp"
#include "core/errors.hpp"

namespace hellobench {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
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

// The smallest valid file around a [[server]] body, for error tests. With kServer it is 18
// lines: [[server]], the body (8), an empty line, [[scenario]] (3) and [profile.p] (5).
std::string with_server(const std::string& server_body, const std::string& rest = "") {
  return "[[server]]\n" + server_body +
         "\n[[scenario]]\nname = \"hello\"\npath = \"/\"\n"
         "[profile.p]\nrepetitions = 1\nwarmup_s = 1\nwindow_s = 1\nscenarios = [\"hello\"]\n" +
         rest;
}

// 8 lines.
const char* kServer =
    "name = \"a\"\nlanguage = \"C\"\nsource_dir = \"a\"\nbinary = \"b\"\nrun = [\"b\"]\n"
    "[server.edit]\nfile = \"f\"\nline = \"l\"\n";

// with_server(kServer) plus an open-loop loadgen scenario "open" that sweeps can use.
std::string with_open_scenario(const std::string& rest) {
  return with_server(kServer,
                     "[[scenario]]\nname = \"open\"\npath = \"/\"\ngenerator = \"loadgen\"\n"
                     "mode = \"open\"\nrate = 1000\n" +
                         rest);
}

// A [[sweep]] over "open" with the given extra lines and points.
std::string sweep(const std::string& body, const std::string& points) {
  return "[[sweep]]\nname = \"s\"\nscenario = \"open\"\n" + body + "points = [" + points + "]\n";
}

// --- the files in test/data ---------------------------------------------------------------------

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
  EXPECT_THAT(alpha.options, IsEmpty());
  EXPECT_THAT(alpha.env, IsEmpty());
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
  EXPECT_THAT(tiny->sweeps, IsEmpty());
  EXPECT_EQ(tiny->sweep_repetitions, 1);  // the default
  ASSERT_EQ(config.claims.size(), 1u);
  EXPECT_EQ(config.claims[0].figures.at("go"), 0.21);
  ASSERT_EQ(config.claims[0].parts.size(), 1u);
  const ClaimPart& part = config.claims[0].parts[0];
  EXPECT_EQ(part.role, "regime");      // the default role
  EXPECT_EQ(part.source, "trials");    // the default source
  EXPECT_EQ(part.estimator, "ratio");  // the default estimator
  EXPECT_EQ(part.a, "beta");
  EXPECT_EQ(part.threshold, 1.05);
  EXPECT_NO_THROW(validate_claims(config));
}

TEST(Config, ScenarioDefaultsForTheNewerFields) {
  // hello in config_minimal.toml sets none of them: a plain GET, the profile's windows.
  const ScenarioConfig& hello = load_config(kData / "config_minimal.toml").scenarios[0];
  EXPECT_EQ(hello.method, "GET");
  EXPECT_THAT(hello.headers, IsEmpty());
  EXPECT_TRUE(hello.body_file.empty());
  EXPECT_TRUE(hello.targets_file.empty());
  EXPECT_THAT(hello.draws, IsEmpty());
  EXPECT_THAT(hello.settings, IsEmpty());
  EXPECT_FALSE(hello.warmup_seconds.has_value());
  EXPECT_FALSE(hello.window_seconds.has_value());
  EXPECT_EQ(hello.timeout_seconds, 2.0);
}

TEST(Config, ReadsServerOptionsAndEnvironment) {
  const Config config = load_config(kData / "config_service.toml");
  const ServerConfig& go = *config.find_server("go");
  EXPECT_THAT(go.options, ElementsAre(Pair("db", ElementsAre("--db", "{value}", "--db-pool", "4")),
                                      Pair("live_mb", ElementsAre("--live-mb", "{value}"))));
  // Numbers in [server.env] are kept as text, as the environment holds them.
  EXPECT_THAT(go.env, ElementsAre(Pair("GODEBUG", "gctrace=1"), Pair("GOGC", "200")));
  EXPECT_THAT(config.find_server("rust")->options, IsEmpty());
}

TEST(Config, ReadsRequestsAsDataWithPathsResolvedAgainstTheFilesFolder) {
  const Config config = load_config(kData / "config_service.toml");
  const ScenarioConfig& orders = *config.find_scenario("orders");
  EXPECT_EQ(orders.method, "POST");
  EXPECT_THAT(orders.headers, ElementsAre("Content-Type: application/json", "X-Trace: 1"));
  EXPECT_EQ(orders.body_file, kData / "payloads" / "order-10.json");
  const ScenarioConfig& service = *config.find_scenario("service");
  EXPECT_EQ(service.targets_file, kData / "targets" / "mix.json");
  EXPECT_THAT(service.draws, ElementsAre(Pair("id", "uniform:0:{last_id}"),
                                         Pair("wait", "lognormal:median=25ms,p95=50ms")));
  EXPECT_THAT(service.settings, ElementsAre(Pair("live_mb", "100")));  // a number, kept as text
}

TEST(Config, ReadsPerScenarioWindowsAndTimeout) {
  const ScenarioConfig& service =
      *load_config(kData / "config_service.toml").find_scenario("service");
  EXPECT_EQ(service.warmup_seconds, 2.0);
  EXPECT_EQ(service.window_seconds, 3.5);
  EXPECT_EQ(service.timeout_seconds, 5.0);
  EXPECT_EQ(service.connections, 512);
}

TEST(Config, ReadsASweepWithItsCapacitySearchAndPoints) {
  const Config config = load_config(kData / "config_service.toml");
  const SweepConfig* regime = config.find_sweep("regime");
  ASSERT_NE(regime, nullptr);
  EXPECT_EQ(regime->scenario, "service");
  EXPECT_EQ(regime->vary, "rate");  // the default
  EXPECT_EQ(regime->description, "up to capacity");
  ASSERT_TRUE(regime->capacity.has_value());
  EXPECT_EQ(regime->capacity->p99_bound_ms, 250);
  EXPECT_EQ(regime->capacity->start_rate, 500);
  EXPECT_EQ(regime->capacity->growth, 2);
  EXPECT_EQ(regime->capacity->refinements, 1);
  EXPECT_EQ(regime->capacity->probe_seconds, 1);
  EXPECT_EQ(regime->capacity->max_probes, 8);
  ASSERT_EQ(regime->points.size(), 4u);
  const SweepPoint& headline = regime->points[0];
  EXPECT_EQ(headline.label, "rust-20pct-cpu");
  EXPECT_EQ(headline.cpu_share, 0.2);
  EXPECT_EQ(headline.of, "rust");
  EXPECT_TRUE(headline.headline);
  EXPECT_FALSE(headline.rate || headline.fraction || headline.value);
  EXPECT_EQ(regime->points[1].fraction, 0.29);
  EXPECT_FALSE(regime->points[1].headline);  // the default
  EXPECT_EQ(regime->points[3].rate, 2500.0);
}

TEST(Config, UnlabelledSweepPointsAreNamedByWhatTheyAreWithRoundPercentages) {
  // fraction 0.29 (0.29 * 100 = 28.999999999999996 in binary), cpu_share 0.07
  // (7.000000000000001), rate 2500, live_mb 1.
  const Config config = load_config(kData / "config_service.toml");
  const SweepConfig& regime = *config.find_sweep("regime");
  EXPECT_EQ(regime.points[1].label, "29% of rust");
  EXPECT_EQ(regime.points[2].label, "go at 7% CPU");
  EXPECT_EQ(regime.points[3].label, "2500/s");
  const SweepConfig& live = *config.find_sweep("live-data");
  EXPECT_EQ(live.vary, "live_mb");
  EXPECT_FALSE(live.capacity.has_value());
  EXPECT_EQ(live.points[0].label, "1");
  EXPECT_EQ(live.points[0].value, "1");  // a number, kept as text
  EXPECT_EQ(live.points[1].label, "100 MB");
}

TEST(Config, ProfilesListSweepsAndTheirRepetitions) {
  const Config config = load_config(kData / "config_service.toml");
  const ProfileConfig& quick = *config.find_profile("quick");
  EXPECT_THAT(quick.sweeps, ElementsAre("regime", "live-data"));
  EXPECT_EQ(quick.sweep_repetitions, 2);
  EXPECT_THAT(config.find_profile("smoke")->sweeps, IsEmpty());
}

TEST(Config, ReadsClaimsAsPartsWithTheirRoles) {
  const Config config = load_config(kData / "config_service.toml");
  ASSERT_EQ(config.claims.size(), 1u);
  const ClaimConfig& memory = config.claims[0];
  EXPECT_EQ(memory.id, "memory");
  EXPECT_EQ(memory.unit, "ratio");
  EXPECT_EQ(memory.regime, "100 MB live");
  EXPECT_THAT(memory.figures, ElementsAre(Pair("go", 115), Pair("rust", 100)));
  EXPECT_EQ(memory.where, (kData / "config_service.toml").string() + ":90:1");
  ASSERT_EQ(memory.parts.size(), 2u);
  const ClaimPart& regime = memory.parts[0];
  EXPECT_EQ(regime.role, "regime");
  EXPECT_EQ(regime.label, "the regime point");
  EXPECT_EQ(regime.sweep, "regime");
  EXPECT_EQ(regime.point, "rust-20pct-cpu");
  EXPECT_EQ(regime.metric, "rss_mean_kib");
  EXPECT_EQ(regime.side, "at_most");
  EXPECT_EQ(regime.threshold, 1.15);
  EXPECT_EQ(regime.where, (kData / "config_service.toml").string() + ":96:1");
  const ClaimPart& context = memory.parts[1];
  EXPECT_EQ(context.role, "context");
  EXPECT_EQ(context.source, "microbenchmarks");
  EXPECT_EQ(context.estimator, "value");
  EXPECT_THAT(context.where_fields,
              ElementsAre(Pair("operation", "parse"), Pair("payload", "order-10")));
  EXPECT_TRUE(context.side.empty());
  EXPECT_FALSE(context.threshold.has_value());
  EXPECT_EQ(context.where, (kData / "config_service.toml").string() + ":105:1");
  EXPECT_NO_THROW(validate_claims(config));
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
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("/nonexistent/hb.toml"));
  }
}

// --- mistakes in text ---------------------------------------------------------------------------

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

TEST(Config, AServerOptionMustBeANonEmptyArgvFragment) {
  EXPECT_THAT(config_error(with_server(std::string(kServer) +
                                       "[server.options]\nlive_mb = \"--live-mb {value}\"\n")),
              HasSubstr("server 'a'.options.live_mb: expected an array of strings"));
  EXPECT_THAT(config_error(with_server(std::string(kServer) + "[server.options]\nlive_mb = []\n")),
              HasSubstr("server 'a'.options.live_mb: expected at least one argument"));
}

TEST(Config, AServerEnvironmentValueMustBeAStringOrANumber) {
  EXPECT_THAT(config_error(with_server(std::string(kServer) + "[server.env]\nGODEBUG = [1]\n")),
              HasSubstr("server 'a'.env.GODEBUG: expected a string or a number"));
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

TEST(Config, AWrkScenarioCannotCarryABodyOrDraws) {
  // wrk runs plain GETs here; a body or per-request draws need loadgen. The scenario table
  // starts on line 19.
  const std::string base = with_server(kServer);
  EXPECT_EQ(config_error(base + "[[scenario]]\nname = \"w\"\npath = \"/orders\"\n"
                                "body_file = \"order.json\"\n"),
            "/cfg/test.toml:19:1: scenario 'w': method, headers, body_file, targets_file and "
            "draws need generator = 'loadgen' (wrk runs plain GETs here)");
  EXPECT_THAT(config_error(base + "[[scenario]]\nname = \"w\"\npath = \"/io?ms={wait}\"\n"
                                  "draws = { wait = \"uniform:80ms:150ms\" }\n"),
              HasSubstr("scenario 'w': method, headers, body_file, targets_file and draws need "
                        "generator = 'loadgen'"));
  EXPECT_THAT(config_error(base + "[[scenario]]\nname = \"w\"\npath = \"/\"\nmethod = \"POST\"\n"),
              HasSubstr("need generator = 'loadgen'"));
}

TEST(Config, AScenarioTimeoutAndWindowMustBePositive) {
  const std::string base = with_server(kServer);
  EXPECT_THAT(config_error(base + "[[scenario]]\nname = \"t\"\npath = \"/\"\ntimeout_s = 0\n"),
              HasSubstr("scenario 't'.timeout_s: must be > 0"));
  EXPECT_THAT(config_error(base + "[[scenario]]\nname = \"t\"\npath = \"/\"\nwindow_s = 0\n"),
              HasSubstr("scenario 't'.window_s: must be > 0"));
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

// --- sweeps
// ----------------------------------------------------------------------------------------

TEST(Config, AValidSweepIsRead) {
  // The baseline for the error tests below: the same text with nothing wrong.
  const std::string text =
      with_open_scenario(sweep("capacity = { p99_ms = 10 }\n",
                               "{ rate = 500 }, { fraction = 0.5, of = \"a\" }, "
                               "{ cpu_share = 0.2, of = \"a\", headline = true }"));
  EXPECT_EQ(config_error(text), "");
  EXPECT_EQ(parse_config(text, "/cfg/test.toml").sweeps.at(0).points.size(), 3u);
}

TEST(Config, ASweepOfAnUnknownScenarioIsNamedOnItsLine) {
  // The sweep starts on line 25 (18 lines of with_server, 6 of "open"); scenario is line 27.
  const std::string text = with_open_scenario(
      "[[sweep]]\nname = \"s\"\nscenario = \"nope\"\npoints = [{ rate = 500 }]\n");
  EXPECT_EQ(config_error(text),
            "/cfg/test.toml:27:12: sweep 's'.scenario: unknown scenario 'nope'");
}

TEST(Config, ASweepOfAClosedLoopScenarioIsRejected) {
  // "hello" is wrk, closed loop: it has no offered rate to sweep.
  const std::string text = with_open_scenario(
      "[[sweep]]\nname = \"s\"\nscenario = \"hello\"\npoints = [{ rate = 500 }]\n");
  EXPECT_THAT(config_error(text),
              HasSubstr("sweep 's': scenario 'hello' is closed-loop; a sweep offers fixed rates "
                        "(mode = 'open')"));
}

TEST(Config, ASweepPointGivesExactlyOneOfRateFractionCpuShareAndValue) {
  EXPECT_THAT(
      config_error(with_open_scenario(
          sweep("capacity = { p99_ms = 10 }\n", "{ rate = 500, fraction = 0.5, of = \"a\" }"))),
      HasSubstr("sweep 's'.points[0]: give exactly one of rate, fraction, cpu_share, value"));
  EXPECT_THAT(
      config_error(with_open_scenario(sweep("", "{ label = \"nothing\" }"))),
      HasSubstr("sweep 's'.points[0]: give exactly one of rate, fraction, cpu_share, value"));
}

TEST(Config, AFractionOrCpuSharePointNeedsTheCapacitySearch) {
  EXPECT_THAT(config_error(with_open_scenario(sweep("", "{ fraction = 0.5, of = \"a\" }"))),
              HasSubstr("sweep 's'.points[0]: fraction and cpu_share need the sweep's [capacity] "
                        "search"));
  EXPECT_THAT(config_error(with_open_scenario(sweep("", "{ cpu_share = 0.2, of = \"a\" }"))),
              HasSubstr("need the sweep's [capacity] search"));
}

TEST(Config, AFractionOrCpuSharePointNeedsAReferenceServer) {
  EXPECT_THAT(
      config_error(with_open_scenario(sweep("capacity = { p99_ms = 10 }\n", "{ fraction = 0.5 }"))),
      HasSubstr("sweep 's'.points[0]: fraction and cpu_share need 'of' (the reference "
                "server)"));
}

TEST(Config, ASweepPointsReferenceServerMustExist) {
  // The only server is "a". The sweep starts on line 25; its points on line 29, the point
  // itself at column 11 (after "points = [").
  EXPECT_EQ(config_error(with_open_scenario(
                sweep("capacity = { p99_ms = 10 }\n", "{ fraction = 0.5, of = \"b\" }"))),
            "/cfg/test.toml:29:11: sweep 's'.points[0].of: unknown server 'b' (known: a)");
}

TEST(Config, ACpuShareIsAShareOfOne) {
  EXPECT_THAT(config_error(with_open_scenario(
                  sweep("capacity = { p99_ms = 10 }\n", "{ cpu_share = 20, of = \"a\" }"))),
              HasSubstr("sweep 's'.points[0]: rate and fraction must be > 0, cpu_share in (0, 1)"));
}

TEST(Config, DuplicatePointLabelsAreRejected) {
  // The second point's default label is "500/s", the first one's given label.
  EXPECT_THAT(config_error(with_open_scenario(
                  sweep("", "{ label = \"500/s\", rate = 400 }, { rate = 500 }"))),
              HasSubstr("sweep 's'.points[1]: duplicate label '500/s'"));
}

TEST(Config, ASweepVaryingASettingNeedsAValueAtEveryPoint) {
  EXPECT_THAT(config_error(with_open_scenario(
                  sweep("vary = \"live_mb\"\n", "{ value = 1 }, { rate = 500 }"))),
              HasSubstr("sweep 's'.points[1]: this sweep varies 'live_mb': give 'value'"));
  EXPECT_THAT(config_error(with_open_scenario(sweep("", "{ value = 1 }"))),
              HasSubstr("sweep 's'.points[0]: 'value' needs vary = a server setting; this sweep "
                        "varies the rate"));
}

TEST(Config, ASweepNeedsPoints) {
  EXPECT_THAT(config_error(with_open_scenario(sweep("", ""))),
              HasSubstr("sweep 's'.points: expected a non-empty array of tables"));
}

TEST(Config, ACapacitySearchMustGrow) {
  EXPECT_THAT(config_error(with_open_scenario(
                  sweep("capacity = { growth = 1 }\n", "{ fraction = 0.5, of = \"a\" }"))),
              HasSubstr("sweep 's'.capacity: p99_ms, start_rate and probe_s must be > 0 and "
                        "growth > 1"));
}

TEST(Config, AProfileNamingAnUnknownSweepIsNamed) {
  const std::string text =
      with_open_scenario(sweep("", "{ rate = 500 }") +
                         "[profile.q]\nrepetitions = 1\nwarmup_s = 1\nwindow_s = 1\n"
                         "scenarios = [\"hello\"]\nsweeps = [\"s\", \"nope\"]\n");
  EXPECT_THAT(config_error(text), HasSubstr("profile.q.sweeps: unknown sweep 'nope'"));
}

// --- claims
// ----------------------------------------------------------------------------------------

TEST(Config, AClaimNeedsParts) {
  EXPECT_THAT(config_error(with_server(kServer, "[[claim]]\nid = \"c\"\ntext = \"t\"\n")),
              HasSubstr("claim 'c': no [[claim.part]] tables"));
}

TEST(Config, AClaimPartSideAndThresholdGoTogether) {
  EXPECT_THAT(config_error(with_server(kServer,
                                       "[[claim]]\nid = \"c\"\ntext = \"t\"\n"
                                       "[[claim.part]]\nmetric = \"rps\"\n"
                                       "side = \"at_most\"\n")),
              HasSubstr("claim 'c'.part[0]: side and threshold go together (both or neither)"));
}

TEST(Config, AClaimPartRoleAndSideAreFromClosedSets) {
  EXPECT_THAT(config_error(with_server(kServer,
                                       "[[claim]]\nid = \"c\"\ntext = \"t\"\n"
                                       "[[claim.part]]\nmetric = \"rps\"\n"
                                       "role = \"headline\"\n")),
              HasSubstr("claim 'c'.part[0].role: 'headline' is not regime, floor or context"));
  EXPECT_THAT(config_error(with_server(kServer,
                                       "[[claim]]\nid = \"c\"\ntext = \"t\"\n"
                                       "[[claim.part]]\nmetric = \"rps\"\n"
                                       "side = \"below\"\nthreshold = 1\n")),
              HasSubstr("claim 'c'.part[0].side: 'below' is not 'at_most' or 'at_least'"));
}

TEST(Config, TheOldClaimShapeIsAnUnknownKey) {
  // Claims used to carry scenarios/direction/threshold themselves; now each part does.
  EXPECT_THAT(config_error(with_server(kServer,
                                       "[[claim]]\nid = \"c\"\ntext = \"t\"\n"
                                       "direction = \"at_most\"\n")),
              HasSubstr("claim 'c': unknown key 'direction'"));
}

// --- selecting and expanding
// -----------------------------------------------------------------------

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

// --- the shipped config
// ------------------------------------------------------------------------------

TEST(Config, TheShippedDefaultConfigIsValidAndDescribesTheThreeServers) {
  const Config config = load_config(fs::path(HELLOBENCH_SOURCE_DIR) / "hellobench.toml");
  // Three stock servers (the default run), and a tuned and a minimal tier of each.
  std::vector<std::string> stock, names;
  for (const ServerConfig& s : config.servers) {
    names.push_back(s.name);
    if (s.tier == "stock") stock.push_back(s.name);
  }
  EXPECT_EQ(stock, (std::vector<std::string>{"cpp", "go", "rust"}));
  EXPECT_EQ(names, (std::vector<std::string>{"cpp", "cpp-tuned", "cpp-minimal", "go", "go-tuned",
                                             "go-minimal", "rust", "rust-tuned", "rust-minimal"}));
  for (const char* profile : {"smoke", "quick", "full"}) {
    EXPECT_NE(config.find_profile(profile), nullptr) << profile;
  }
  EXPECT_EQ(config.find_profile("smoke")->repetitions, 1);
  EXPECT_TRUE(config.find_profile("smoke")->builds.empty());
  // Claims decide only with 6 paired rounds (96.9% coverage): quick runs 6, full 10.
  EXPECT_EQ(config.find_profile("quick")->repetitions, 6);
  EXPECT_EQ(config.find_profile("full")->repetitions, 10);
  for (const ServerConfig& server : config.servers) {
    EXPECT_TRUE(fs::exists(server.source_dir / server.edit.file)) << server.name;
    // Every stock and tuned server can build the live-data store the service scenarios ask for;
    // the minimal tier is the docs' hello world and has only GET /.
    EXPECT_EQ(server.options.count("live_mb"), server.tier == "minimal" ? 0u : 1u) << server.name;
  }
  // Request bodies and target mixes the scenarios name exist.
  for (const ScenarioConfig& scenario : config.scenarios) {
    if (!scenario.body_file.empty()) {
      EXPECT_TRUE(fs::exists(scenario.body_file)) << scenario.name;
    }
    if (!scenario.targets_file.empty()) {
      EXPECT_TRUE(fs::exists(scenario.targets_file)) << scenario.name;
    }
  }
  // The article's regime: the headline point of the regime sweep, where rust uses 20% of its core.
  const SweepConfig* regime = config.find_sweep("regime");
  ASSERT_NE(regime, nullptr);
  ASSERT_FALSE(regime->points.empty());
  EXPECT_EQ(regime->points[0].cpu_share, 0.20);
  EXPECT_EQ(regime->points[0].of, "rust");
  EXPECT_TRUE(regime->points[0].headline);
  // Every claim's names (metrics, servers, scenarios, sweeps, points) resolve.
  EXPECT_NO_THROW(validate_claims(config));
  for (const char* id : {"build-dev-loop", "build-ci", "memory", "cpu", "p95", "go-10k", "io-bound",
                         "json", "binary", "startup"}) {
    EXPECT_TRUE(std::any_of(config.claims.begin(), config.claims.end(), [&](const ClaimConfig& c) {
      return c.id == id;
    })) << id;
  }
}

TEST(Config, TomlDebugAssertionInput) {
  // Found by orchestrator/fuzz (config_fuzz): toml++ 3.3 asserts on these (parse_key, parse_value)
  // in a debug build of its parser; the release build hellobench links rejects them as the errors
  // they are.
  EXPECT_EQ(config_error("[="),
            "/cfg/test.toml:1:2: invalid TOML: Error while parsing key: "
            "expected bare key starting character or string delimiter, saw "
            "'='");
  EXPECT_THAT(config_error("[}"), ::testing::StartsWith("/cfg/test.toml:1:2: invalid TOML: "));
}

TEST(Config, CharactersBeyondAsciiAreRefusedWithTheirPosition) {
  // toml++ 3.3 reaches __builtin_unreachable on many such characters, in more places than a
  // check could tell apart; every input here is one the fuzzer found, or one of the same kind.
  for (const auto& [text, where] : std::vector<std::pair<std::string, std::string>>{
           {"[s\xcc\x8c", "1:3"},
           {"jobs = 2\nbind = \"x\" \xc3\xa9\n", "2:12"},
           {"path = 11label\"\xc8\x97rn\"\n", "1:16"},
           {"bind = \"\"\"a\\\n  \xef\xbb\x9f\"\"\"\n", "2:3"},
           {"bi=0.\".\"17\xef\xbb\xaf"
            "d\n",
            "1:11"},
           // Inside strings and comments too: a config is ASCII.
           {"# caf\xc3\xa9\n", "1:6"},
           {"bind = \"caf\xc3\xa9\"\n", "1:12"},
           {"bind = 'caf\xc3\xa9'\n", "1:12"},
       }) {
    EXPECT_EQ(config_error(text),
              "/cfg/test.toml:" + where +
                  ": a character beyond ASCII: hellobench reads configs in ASCII only (toml++ "
                  "3.3 has undefined behaviour on some such characters); write it as an escape "
                  "in a basic string, \"caf\\u00e9\"")
        << text;
  }
  // The escape carries the character, and toml++ reads it: the loader goes on to its own checks.
  EXPECT_EQ(config_error("bind = \"caf\\u00e9\"\n"), "/cfg/test.toml:1:1: no [[server]] entries");
}

}  // namespace
}  // namespace hellobench
