// Several hosts (trial/hosts.hpp): the config's [[host]] tables, the check before any load,
// and a whole `hellobench run` with generator hosts made of network namespaces.
//
// The namespace test makes three namespaces joined by veth pairs, addresses from
// 198.18.0.0/15 (the range set aside for benchmark testing), as loadgen/test/netns_test.cpp
// does:
//
//   ns srv: lo 198.18.0.1/32 (the server; the orchestrator runs here too), veth s1
//           198.18.1.1/24, veth s2 198.18.2.1/24
//   ns g1:  veth g 198.18.1.2/24, route to 198.18.0.1 via 198.18.1.1
//   ns g2:  veth g 198.18.2.2/24, route to 198.18.0.1 via 198.18.2.1
//
// and runs `ip netns exec srv hellobench run` with test/data/hosts_netns.toml, whose generator
// hosts are `ip netns exec g1` and `ip netns exec g2`. Namespaces are named hb-hbtest-PID-*:
// removed in TearDown whatever the outcome, and those of an earlier run that crashed (its PID
// gone) first. Skips with the reason where namespaces cannot be made.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli.hpp"
#include "config/config.hpp"
#include "core/errors.hpp"
#include "trial/hosts.hpp"
#include "trial/process.hpp"

namespace hellobench {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;

const fs::path kBin = HELLOBENCH_BIN_DIR;
const fs::path kData = HELLOBENCH_TEST_DATA_DIR;
constexpr const char* kPrefix = "hb-hbtest-";

std::string slurp(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

fs::path temp_dir(const std::string& name) {
  std::string pattern = (fs::temp_directory_path() / (name + "-XXXXXX")).string();
  return mkdtemp(pattern.data());
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at)) {
    text.replace(at, from.size(), to);
    at += to.size();
  }
  return text;
}

// ---- config -------------------------------------------------------------------------------

constexpr const char* kHostsConfig = R"(
[[host]]
name = "gen1"
prefix = ["ssh", "gen1"]

[[host]]
name = "gen2"
prefix = ["ip", "netns", "exec", "gen2"]
threads = 2

[[server]]
name = "s"
language = "C++"
tier = "minimal"
source_dir = "."
binary = "/bin/sh"
run = ["{binary}"]

[[scenario]]
name = "split"
path = "/"
generator = "loadgen"
mode = "open"
rate = 1000
connections = 64
generator_hosts = ["gen1", "gen2"]

[profile.p]
repetitions = 1
warmup_s = 0
window_s = 1
scenarios = ["split"]
)";

TEST(HostsConfig, HostsAreReadWithTheirPrefixes) {
  const Config config = parse_config(kHostsConfig, "/x/hosts.toml");
  ASSERT_EQ(config.hosts.size(), 2u);
  const HostConfig& gen1 = *config.find_host("gen1");
  EXPECT_EQ(gen1.prefix, (Argv{"ssh", "gen1"}));
  EXPECT_TRUE(gen1.remote);  // ssh: a remote shell, a machine of its own
  EXPECT_FALSE(config.find_host("gen2")->remote);
  EXPECT_EQ(config.find_host("gen2")->threads, 2);
  EXPECT_EQ(config.find_scenario("split")->generator_hosts, (std::vector<std::string>{"gen1", "gen2"}));
  const auto hosts = generator_hosts_for(config, config.profiles.at("p"),
                                         *config.find_scenario("split"));
  ASSERT_EQ(hosts.size(), 2u);
  EXPECT_EQ(hosts[1]->name, "gen2");
}

TEST(HostsConfig, AnUnknownHostFailsAtLoadWithFileAndLine) {
  std::string text = kHostsConfig;
  text = replace_all(text, R"(generator_hosts = ["gen1", "gen2"])",
                     R"(generator_hosts = ["gen1", "gen3"])");
  try {
    parse_config(text, "/x/hosts.toml");
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    // Line 26 holds generator_hosts (the text starts with a newline).
    EXPECT_NE(std::string(e.what()).find("/x/hosts.toml:26:"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("unknown host 'gen3' (known: gen1, gen2)"),
              std::string::npos)
        << e.what();
  }
  // In a profile, and as the server's host.
  text = std::string(kHostsConfig) + "generator_hosts = [\"nowhere\"]\n";
  EXPECT_THROW(parse_config(text, "/x/hosts.toml"), ConfigError);
  text = "server_host = \"gen1\"\n" + std::string(kHostsConfig);
  try {
    parse_config(text, "/x/hosts.toml");
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("host 'gen1' has no 'address'"), std::string::npos)
        << e.what();
  }
}

TEST(HostsConfig, ConnectionsMustSplitEvenlyAndWrkStaysHere) {
  std::string text = replace_all(kHostsConfig, "connections = 64", "connections = 63");
  try {
    parse_config(text, "/x/hosts.toml");
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("63 connections, which do not split into 2"),
              std::string::npos)
        << e.what();
  }
  text = replace_all(kHostsConfig, "generator = \"loadgen\"\nmode = \"open\"\nrate = 1000",
                     "generator = \"wrk\"");
  EXPECT_THROW(parse_config(text, "/x/hosts.toml"), ConfigError);
  text = replace_all(kHostsConfig, "name = \"gen2\"", "name = \"local\"");
  EXPECT_THROW(parse_config(text, "/x/hosts.toml"), ConfigError);
}

TEST(HostsConfig, PartsSplitConnectionsAndRate) {
  LoadSpec whole;
  whole.url = "http://198.18.0.1:8080/";
  whole.connections = 64;
  whole.rate = 2000;
  const LoadSpec part = part_spec(whole, 1, 2, 3);
  EXPECT_EQ(part.connections, 32);
  EXPECT_EQ(part.threads, 3);
  ASSERT_TRUE(part.rate);
  EXPECT_DOUBLE_EQ(*part.rate, 1000);  // loadgen's --rate is the part's own share
  EXPECT_THROW(part_spec(whole, 0, 3, 1), GeneratorError);  // 64 connections in 3 parts
  whole.connections = 2;
  EXPECT_EQ(part_spec(whole, 0, 2, 4).threads, 1);  // never more threads than connections
}

TEST(HostsConfig, RemoteCommandsAreQuotedForTheShell) {
  HostConfig ssh;
  ssh.name = "gen1";
  ssh.prefix = {"ssh", "gen1"};
  ssh.remote = true;
  EXPECT_EQ(host_command(ssh, {"/opt/loadgen", "http://h:1/io?ms={wait}", "it's"}),
            (Argv{"ssh", "gen1", "/opt/loadgen", "'http://h:1/io?ms={wait}'", "'it'\\''s'"}));
  HostConfig ns = ssh;
  ns.prefix = {"ip", "netns", "exec", "gen1"};
  ns.remote = false;
  EXPECT_EQ(host_command(ns, {"loadgen", "a b"}),
            (Argv{"ip", "netns", "exec", "gen1", "loadgen", "a b"}));
}

TEST(HostsSample, SampleLinesParse) {
  const auto samples = parse_sample_lines(
      "{\"t\":100.5,\"pid\":7,\"vm_rss_kib\":10,\"vm_hwm_kib\":12,\"rss_anon_kib\":4,"
      "\"rss_file_kib\":6,\"threads\":3,\"cpu_s\":1.5,\"cpu_source\":\"task-clock\","
      "\"cpu_proc_stat_s\":1.5}\nnot json\n");
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_DOUBLE_EQ(samples[0].t, 100.5);
  EXPECT_EQ(samples[0].vm_hwm_kib, 12);
  EXPECT_TRUE(samples[0].task_clock);
}

// `hellobench sample` on this process: JSON lines with the figures the orchestrator reads.
TEST(HostsSample, TheSampleCommandPrintsJsonLines) {
  const fs::path dir = temp_dir("hb-sample");
  std::FILE* out = std::fopen((dir / "out").c_str(), "w+");
  std::FILE* err = std::fopen((dir / "err").c_str(), "w+");
  const int code = run_cli({"sample", std::to_string(getpid()), "--interval-ms", "20",
                            "--duration-s", "0.1"},
                           out, err);
  std::fclose(out);
  std::fclose(err);
  EXPECT_EQ(code, 0) << slurp(dir / "err");
  const auto samples = parse_sample_lines(slurp(dir / "out"));
  EXPECT_GE(samples.size(), 3u);
  EXPECT_LE(samples.size(), 7u);
  for (const HostSample& s : samples) {
    EXPECT_GT(s.vm_rss_kib, 0);
    EXPECT_GE(s.vm_hwm_kib, s.vm_rss_kib);
    EXPECT_GT(s.threads, 0);
    EXPECT_GT(s.cpu_seconds, 0);
  }
  out = std::fopen((dir / "out").c_str(), "w+");
  err = std::fopen((dir / "err").c_str(), "w+");
  EXPECT_EQ(run_cli({"sample", "999999999", "--duration-s", "0"}, out, err), 1);
  std::fclose(out);
  std::fclose(err);
  fs::remove_all(dir);
}

// ---- a host whose prefix fails --------------------------------------------------------------

TEST(HostsRun, AHostWhosePrefixFailsIsNamedAndTheRunExitsTwoBeforeAnyLoad) {
  const fs::path dir = temp_dir("hb-hosts-down");
  std::string text = kHostsConfig;
  text = replace_all(text, R"(prefix = ["ssh", "gen1"])",
                     R"(prefix = ["sh", "-c", "echo 'ssh: connect to host gen1 port 22: Connection refused' >&2; exit 255", "sh"])");
  text = replace_all(text, R"(prefix = ["ip", "netns", "exec", "gen2"])", R"(prefix = ["env"])");
  {
    std::ofstream(dir / "hosts.toml") << text;
  }
  std::FILE* out = std::fopen((dir / "out").c_str(), "w+");
  std::FILE* err = std::fopen((dir / "err").c_str(), "w+");
  const int code = run_cli({"run", "--config", (dir / "hosts.toml").string(), "--profile", "p",
                            "--servers", "s", "--out", (dir / "runs").string(), "--bin-dir",
                            kBin.string()},
                           out, err);
  std::fclose(out);
  std::fclose(err);
  const std::string message = slurp(dir / "err");
  EXPECT_EQ(code, kExitUsage) << message;
  EXPECT_NE(message.find("host 'gen1' (generator)"), std::string::npos) << message;
  EXPECT_NE(message.find("Connection refused"), std::string::npos) << message;
  EXPECT_EQ(message.find("host 'gen2'"), std::string::npos) << message;  // gen2 answered
  EXPECT_FALSE(fs::exists(dir / "runs")) << "a run folder was made: the run went on";
  fs::remove_all(dir);
}

// ---- three namespaces and a whole run -------------------------------------------------------

struct Ran {
  int code = -1;
  std::string output;
};

Ran run_argv(const Argv& argv, const fs::path& log, std::chrono::milliseconds timeout = 60s) {
  ProcessSpec spec;
  spec.argv = argv;
  spec.stdout_path = log;
  spec.stderr_path = log;
  Process p = Process::spawn(spec);
  const auto status = p.wait_exit(timeout);
  Ran ran;
  if (!status) {
    p.terminate(1000ms);
    ran.code = -1;
  } else {
    ran.code = *status;
  }
  ran.output = slurp(log);
  return ran;
}

class HostsNetns : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = temp_dir("hb-hosts-netns");
    if (geteuid() != 0) GTEST_SKIP() << "network namespaces need root (CAP_SYS_ADMIN)";
    for (const char* program : {"hellobench", "loadgen", "cpp-server"}) {
      if (!fs::exists(kBin / program)) GTEST_SKIP() << (kBin / program) << " is not built";
    }
    remove_stale_namespaces();
    tag_ = fmt::format("{}{}-", kPrefix, getpid());
    if (const Ran r = ip({"netns", "add", ns("srv")}); r.code != 0) {
      GTEST_SKIP() << "cannot make a network namespace: `ip netns add` exited " << r.code << ": "
                   << r.output;
    }
    made_.push_back(ns("srv"));
    for (const char* name : {"g1", "g2"}) {
      must(ip({"netns", "add", ns(name)}));
      made_.push_back(ns(name));
    }
    must(ip({"-n", ns("srv"), "link", "set", "lo", "up"}));
    must(ip({"-n", ns("srv"), "addr", "add", "198.18.0.1/32", "dev", "lo"}));
    for (const int i : {1, 2}) {
      const std::string generator = ns(fmt::format("g{}", i));
      const std::string srv_end = fmt::format("s{}", i);
      must(ip({"-n", ns("srv"), "link", "add", srv_end, "type", "veth", "peer", "name", "g",
               "netns", generator}));
      must(ip({"-n", ns("srv"), "addr", "add", fmt::format("198.18.{}.1/24", i), "dev", srv_end}));
      must(ip({"-n", ns("srv"), "link", "set", srv_end, "up"}));
      must(ip({"-n", generator, "addr", "add", fmt::format("198.18.{}.2/24", i), "dev", "g"}));
      must(ip({"-n", generator, "link", "set", "g", "up"}));
      must(ip({"-n", generator, "link", "set", "lo", "up"}));
      must(ip({"-n", generator, "route", "add", "198.18.0.1/32", "via",
               fmt::format("198.18.{}.1", i)}));
    }
    std::string config = slurp(kData / "hosts_netns.toml");
    for (const char* name : {"srv", "g1", "g2"}) {
      config = replace_all(config, fmt::format("@{}@", name == std::string("srv") ? "SRV"
                                                       : name == std::string("g1") ? "G1"
                                                                                   : "G2"),
                           ns(name));
    }
    std::ofstream(dir_ / "hosts.toml") << config;
  }

  void TearDown() override {
    for (const auto& name : made_) ip({"netns", "del", name});
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::string ns(const std::string& name) const { return tag_ + name; }

  Ran ip(std::vector<std::string> args) const {
    args.insert(args.begin(), "ip");
    return run_argv(args, dir_ / "ip.out", 20s);
  }
  static void must(const Ran& r) {
    if (r.code != 0) throw std::runtime_error("ip failed: " + r.output);
  }

  void remove_stale_namespaces() const {
    std::istringstream list(ip({"netns", "list"}).output);
    for (std::string line; std::getline(list, line);) {
      const std::string name = line.substr(0, line.find(' '));
      if (!name.starts_with(kPrefix)) continue;
      const pid_t owner = std::atoi(name.c_str() + std::strlen(kPrefix));
      if (owner > 0 && owner != getpid() && kill(owner, 0) == 0) continue;  // a live run's
      ip({"netns", "del", name});
    }
  }

  // `hellobench run` inside the server's namespace; returns its exit code and results.json.
  std::pair<Ran, json> run(const std::string& profile) const {
    const Ran ran = run_argv({"ip", "netns", "exec", ns("srv"), (kBin / "hellobench").string(),
                              "run", "--config", (dir_ / "hosts.toml").string(), "--profile",
                              profile, "--servers", "cpp", "--out", (dir_ / "runs").string(),
                              "--bin-dir", kBin.string()},
                             dir_ / (profile + ".log"), 300s);
    json results;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir_ / "runs", ec)) {
      if (fs::exists(entry.path() / "results.json")) {
        results = json::parse(slurp(entry.path() / "results.json"));
      }
    }
    return {ran, results};
  }

  fs::path dir_;
  std::string tag_;
  std::vector<std::string> made_;
};

const json* trial_of(const json& results, const std::string& scenario) {
  for (const json& t : results.at("trials")) {
    if (t.at("scenario") == scenario) return &t;
  }
  return nullptr;
}

double p(const json& row, const char* percentile) {
  return row.at("latency_us").at(percentile).get<double>();
}

TEST_F(HostsNetns, TwoGeneratorHostsMergeIntoWhatOneHostAtTheSameRateMeasures) {
  const auto [ran, results] = run("hosts");
  // The late and the lost host make their trials invalid: the run is done, with failures.
  ASSERT_EQ(ran.code, 1) << ran.output;
  ASSERT_TRUE(results.is_object()) << ran.output;
  EXPECT_EQ(results.at("hosts").at("checks").size(), 4u);

  const json* two = trial_of(results, "two-hosts");
  const json* one = trial_of(results, "one-host");
  ASSERT_TRUE(two && one) << ran.output;
  for (const json* row : {two, one, trial_of(results, "late-host"), trial_of(results, "lost-host")}) {
    ASSERT_TRUE(row);
    std::printf("%-10s valid %d requests %6.0f rps %7.1f p50 %7.1f p90 %7.1f p99 %7.1f max %8.1f us  "
                "hosts %s\n",
                row->at("scenario").get<std::string>().c_str(), row->at("valid").get<bool>(),
                row->value("requests", 0.0), row->value("rps", 0.0), p(*row, "p50"),
                p(*row, "p90"), p(*row, "p99"), p(*row, "max"),
                row->value("hosts", json::array()).dump().c_str());
  }
  EXPECT_TRUE(two->at("valid").get<bool>()) << two->at("invalid_reason");
  EXPECT_TRUE(one->at("valid").get<bool>()) << one->at("invalid_reason");
  EXPECT_EQ(two->at("generator_hosts"), json::parse(R"(["g1", "g2"])"));
  EXPECT_EQ(one->at("generator_hosts"), json::parse(R"(["g1"])"));
  EXPECT_EQ(two->at("server_host"), "local");

  // What ran where: each host's part, requests and start lateness.
  const json& hosts = two->at("hosts");
  ASSERT_EQ(hosts.size(), 2u);
  double host_requests = 0;
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(hosts[i].at("host"), i == 0 ? "g1" : "g2");
    EXPECT_EQ(hosts[i].at("part"), i == 0 ? "1/2" : "2/2");
    EXPECT_EQ(hosts[i].at("exit_status"), 0);
    EXPECT_EQ(hosts[i].at("connections"), 32);
    EXPECT_DOUBLE_EQ(hosts[i].at("offered_rate").get<double>(), 1000);
    EXPECT_LT(hosts[i].at("start_late_ms").get<double>(), 250);
    host_requests += hosts[i].at("requests").get<double>();
  }
  EXPECT_DOUBLE_EQ(host_requests, two->at("requests").get<double>());

  // The merged trial agrees with one generator at the same total rate: requests within 3% of
  // rate x window (both), every one of the offered rate; percentiles in order, and the medians
  // close (the tails are the shared machine's stalls, different in every run).
  const double expected = 2000 * 2.0;
  for (const json* row : {two, one}) {
    EXPECT_NEAR(row->at("requests").get<double>(), expected, 0.03 * expected);
    EXPECT_DOUBLE_EQ(row->at("offered_rate").get<double>(), 2000);
    EXPECT_DOUBLE_EQ(row->at("generator_extra").at("offered_rate").get<double>(), 2000);
    EXPECT_EQ(row->at("generator_extra").at("connections").get<double>(), 64);
    EXPECT_GT(p(*row, "p50"), 0);
    EXPECT_LE(p(*row, "p50"), p(*row, "p90"));
    EXPECT_LE(p(*row, "p90"), p(*row, "p99"));
    EXPECT_LE(p(*row, "p99"), p(*row, "max"));
    EXPECT_LT(p(*row, "p50"), 50'000);  // a hello answer on a veth: well under 50 ms
    EXPECT_GT(row->at("cpu_seconds").get<double>(), 0);
    // Which side was the bottleneck follows the shares the trial recorded (judge_saturation's
    // rule): the generators here are measured, and they idle at this rate, so on a quiet machine
    // it is "server"; when other tests keep the generators' CPU set over 90% busy (ctest -j2 in
    // CI), "loadgen" is the right verdict, and the trial says so with its share.
    const auto share = [&](const char* name) {
      const json& v = row->at(name);
      return v.is_number() ? v.get<double>() : 0.0;
    };
    const bool generator_side_saturated =
        share("loadgen_cpu_share") >= 0.9 || share("generator_side_busy_share") >= 0.9;
    EXPECT_EQ(row->at("bound"), generator_side_saturated ? "loadgen" : "server")
        << row->at("bound_reason");
  }
  EXPECT_NEAR(two->at("rps").get<double>(), one->at("rps").get<double>(), 0.05 * 2000);
  EXPECT_NEAR(p(*two, "p50"), p(*one, "p50"), std::max(2000.0, 0.5 * p(*one, "p50")));

  // A host started late: the trial is invalid, saying which host and why.
  const json& late = *trial_of(results, "late-host");
  EXPECT_FALSE(late.at("valid").get<bool>());
  const std::string late_reason = late.at("invalid_reason").get<std::string>();
  EXPECT_NE(late_reason.find("host 'g2-late' started"), std::string::npos) << late_reason;
  EXPECT_EQ(late.at("hosts").at(1).at("exit_status"), 4);

  // A host lost mid-run: invalid, named, and what the other host measured is kept.
  const json& lost = *trial_of(results, "lost-host");
  EXPECT_FALSE(lost.at("valid").get<bool>());
  const std::string lost_reason = lost.at("invalid_reason").get<std::string>();
  EXPECT_NE(lost_reason.find("host 'g-lost' lost: exit status 255"), std::string::npos)
      << lost_reason;
  EXPECT_NE(lost_reason.find("connection to g-lost closed"), std::string::npos) << lost_reason;
  EXPECT_TRUE(lost.at("hosts").at(1).at("lost").get<bool>());
  EXPECT_NEAR(lost.at("hosts").at(0).at("requests").get<double>(), expected / 2,
              0.03 * expected);
  EXPECT_NEAR(lost.at("requests").get<double>(), expected / 2, 0.03 * expected);
}

TEST_F(HostsNetns, TheServerOnItsOwnHostIsSampledThere) {
  const auto [ran, results] = run("server-host");
  ASSERT_EQ(ran.code, 0) << ran.output;
  const json* row = trial_of(results, "two-hosts");
  ASSERT_TRUE(row) << ran.output;
  std::printf("server on host srv: valid %d requests %.0f cpu %.3f s rss idle %.0f mean %.0f peak "
              "%.0f KiB, %d samples, bound %s\n",
              row->at("valid").get<bool>(), row->value("requests", 0.0),
              row->value("cpu_seconds", 0.0), row->value("rss_idle_kib", 0.0),
              row->value("rss_mean_kib", 0.0), row->value("rss_peak_kib", 0.0),
              row->value("memory_samples", 0), row->value("bound", "").c_str());
  EXPECT_TRUE(row->at("valid").get<bool>()) << row->at("invalid_reason");
  EXPECT_EQ(row->at("server_host"), "srv");
  EXPECT_EQ(results.at("hosts").at("server_host"), "srv");
  EXPECT_GT(row->at("rss_idle_kib").get<double>(), 0);
  EXPECT_GT(row->at("rss_mean_kib").get<double>(), 0);
  EXPECT_GE(row->at("rss_peak_kib").get<double>(), row->at("rss_mean_kib").get<double>());
  EXPECT_GE(row->at("memory_samples").get<int>(), 10);  // 20 Hz over a 2 s window
  EXPECT_GT(row->at("cpu_seconds").get<double>(), 0);
  EXPECT_EQ(row->at("cpu_source"), "task-clock");
  EXPECT_GT(row->at("cpu_us_per_request").get<double>(), 0);
  EXPECT_EQ(row->at("server_exit_status"), 0);  // stopped with SIGTERM over the prefix
}

}  // namespace
}  // namespace hellobench
