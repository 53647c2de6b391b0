// Several generator hosts, made of network namespaces: a responder in one namespace, two
// loadgen processes in two others, each joined to the responder's by a veth pair (routed,
// addresses from 198.18.0.0/15, the range set aside for benchmark testing). The generators run
// through an argv prefix (`ip netns exec NAME`), as the orchestrator runs them through `ssh
// HOST`, start together with --start-at at half the total rate each, and their reports merge
// into what one generator at the full rate reports.
//
//   ns srv: lo 198.18.0.1/32 (the responder), veth s1 198.18.1.1/24, veth s2 198.18.2.1/24
//   ns g1:  veth g 198.18.1.2/24, route to 198.18.0.1 via 198.18.1.1
//   ns g2:  veth g 198.18.2.2/24, route to 198.18.0.1 via 198.18.2.1
//
// Namespaces are named hb-lgtest-PID-*: removed in TearDown whatever the test's outcome, and
// those of an earlier run that crashed (its PID gone) are removed first. Skips with the reason
// where namespaces cannot be made (not root, no CAP_SYS_ADMIN, no `ip`).
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "loadgen/merge.hpp"

namespace loadgen {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr const char* kPrefix = "hb-lgtest-";
constexpr const char* kServerAddress = "198.18.0.1";

// A child process: argv, stdout to `out` (or a pipe when out is empty), stderr to `err`.
struct Child {
  pid_t pid = -1;
  int out_pipe = -1;
};

Child spawn(const std::vector<std::string>& args, const std::string& out, const std::string& err) {
  int fds[2] = {-1, -1};
  if (out.empty() && pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  std::vector<char*> argv;
  std::vector<std::string> copy = args;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    const int o = out.empty() ? fds[1] : open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int e = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(o, STDOUT_FILENO);
    dup2(e, STDERR_FILENO);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  if (out.empty()) close(fds[1]);
  return {pid, fds[0]};
}

int wait_exit(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class LoadgenSeveralHosts : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/loadgen-netns-XXXXXX";
    dir_ = mkdtemp(dir);
    if (geteuid() != 0) GTEST_SKIP() << "network namespaces need root (CAP_SYS_ADMIN)";
    remove_stale_namespaces();
    tag_ = fmt::format("{}{}-", kPrefix, getpid());
    // The first `ip netns add` decides: where it fails, namespaces cannot be made here.
    if (const auto [code, output] = ip({"netns", "add", ns("srv")}); code != 0)
      GTEST_SKIP() << "cannot make a network namespace: `ip netns add` exited " << code << ": "
                   << output;
    made_.push_back(ns("srv"));
    for (const char* name : {"g1", "g2"}) {
      must(ip({"netns", "add", ns(name)}));
      made_.push_back(ns(name));
    }
    must(ip({"-n", ns("srv"), "link", "set", "lo", "up"}));
    must(ip({"-n", ns("srv"), "addr", "add", std::string(kServerAddress) + "/32", "dev", "lo"}));
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
      must(ip({"-n", generator, "route", "add", std::string(kServerAddress) + "/32", "via",
               fmt::format("198.18.{}.1", i)}));
    }
  }

  void TearDown() override {
    if (responder_.pid > 0) {
      kill(responder_.pid, SIGTERM);
      wait_exit(responder_.pid);
    }
    for (const auto& name : made_) ip({"netns", "del", name});
    std::filesystem::remove_all(dir_);
  }

  std::string ns(const std::string& name) const { return tag_ + name; }

  // Runs `ip ARGS...`; returns its exit code and what it printed.
  std::pair<int, std::string> ip(std::vector<std::string> args) const {
    args.insert(args.begin(), "ip");
    const std::string out = (dir_ / "ip.out").string();
    const Child child = spawn(args, out, out);
    const int code = wait_exit(child.pid);
    return {code, slurp(out)};
  }
  static void must(const std::pair<int, std::string>& result) {
    if (result.first != 0) throw std::runtime_error("ip failed: " + result.second);
  }

  // Namespaces of a run whose process is gone (it crashed before its TearDown).
  void remove_stale_namespaces() const {
    std::istringstream list(ip({"netns", "list"}).second);
    for (std::string line; std::getline(list, line);) {
      const std::string name = line.substr(0, line.find(' '));
      if (!name.starts_with(kPrefix)) continue;
      const pid_t owner = std::atoi(name.c_str() + std::strlen(kPrefix));
      if (owner > 0 && owner != getpid() && kill(owner, 0) == 0) continue;  // a live run's
      ip({"netns", "del", name});
    }
  }

  // Starts the responder in the server's namespace; returns its URL.
  std::string start_responder(const std::vector<std::string>& flags) {
    std::vector<std::string> args = {"ip",           "netns",           "exec",
                                     ns("srv"),      LOADGEN_RESPONDER, "--bind",
                                     kServerAddress, "--lifetime",      "60s"};
    args.insert(args.end(), flags.begin(), flags.end());
    responder_ = spawn(args, "", (dir_ / "responder.err").string());
    std::string line;
    pollfd p{responder_.out_pipe, POLLIN, 0};
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (line.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      if (poll(&p, 1, 100) <= 0) continue;
      char buffer[256];
      const ssize_t n = read(responder_.out_pipe, buffer, sizeof buffer);
      if (n <= 0) break;
      line.append(buffer, static_cast<std::size_t>(n));
    }
    const std::string prefix = "listening on ";
    if (!line.starts_with(prefix))
      throw std::runtime_error("the responder did not start: " + line +
                               slurp((dir_ / "responder.err").string()));
    return "http://" + line.substr(prefix.size(), line.find('\n') - prefix.size()) + "/";
  }

  // Starts loadgen through the argv prefix of the generator host `host`.
  Child start_loadgen(const std::string& host, const std::vector<std::string>& flags) const {
    std::vector<std::string> args = {"ip", "netns", "exec", ns(host), LOADGEN_PROGRAM};
    args.insert(args.end(), flags.begin(), flags.end());
    return spawn(args, (dir_ / (host + ".json")).string(), (dir_ / (host + ".err")).string());
  }
  std::string report_of(const std::string& host) const {
    return slurp((dir_ / (host + ".json")).string());
  }
  std::string errors_of(const std::string& host) const {
    return slurp((dir_ / (host + ".err")).string());
  }

  std::filesystem::path dir_;
  std::string tag_;
  std::vector<std::string> made_;
  Child responder_;
};

double wall_clock_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

double us(const json& report, const char* percentile) {
  return report["latency_us"][percentile].get<double>();
}

TEST_F(LoadgenSeveralHosts, TwoGeneratorsAtHalfTheRateMergeIntoOneAtTheFullRate) {
  // Every answer 20 ms after its request: latency percentiles sit at 20 ms and a little more,
  // whoever asks (long enough that a busy machine's scheduling delays, a few ms, stay small
  // beside it). 2000/s x 20 ms: 40 requests in flight, on 64 connections in all.
  const std::string url = start_responder({"--delay", "20ms"});
  constexpr int kRate = 2000;  // requests/s in total
  const std::vector<std::string> common = {url,         "-d", "2s",     "--json",
                                           "--timeout", "1s", "--seed", "7"};

  // Two hosts, each at half the rate, starting together 1 s from now; as parts 1/2 and 2/2 of
  // one load, their due times interleave as those of one generator with both their threads.
  const std::string start_at = fmt::format("{:.6f}", wall_clock_now() + 1.0);
  std::vector<Child> generators;
  for (const char* host : {"g1", "g2"}) {
    auto flags = common;
    flags.insert(flags.end(), {"-c", "32", "-t", "1", "--rate", std::to_string(kRate / 2), "--part",
                               host == std::string("g1") ? "1/2" : "2/2", "--start-at", start_at,
                               "--host-name", std::string("gen-") + host});
    generators.push_back(start_loadgen(host, flags));
  }
  for (std::size_t i = 0; i < generators.size(); ++i) {
    const std::string host = i == 0 ? "g1" : "g2";
    ASSERT_EQ(wait_exit(generators[i].pid), 0) << host << ": " << errors_of(host);
  }
  const json part1 = json::parse(report_of("g1")), part2 = json::parse(report_of("g2"));
  const json merged = json::parse(merge_reports({report_of("g1"), report_of("g2")}, {"g1", "g2"}));

  // Then one host alone at the full rate, as large as the two together, for the same window.
  auto flags = common;
  flags.insert(flags.end(),
               {"-c", "64", "-t", "2", "--rate", std::to_string(kRate), "--host-name", "gen-g1"});
  const Child single_run = start_loadgen("g1", flags);
  ASSERT_EQ(wait_exit(single_run.pid), 0) << errors_of("g1");
  const json single = json::parse(report_of("g1"));

  for (const auto& [name, report] : {std::pair{"part 1/2", &part1}, std::pair{"part 2/2", &part2},
                                     std::pair{"merged", &merged}, std::pair{"single", &single}})
    std::printf(
        "%-9s requests %5d unsent %3d rps %7.1f p50 %8.1f p90 %8.1f p99 %8.1f max %8.1f us%s\n",
        name, (*report)["requests"].get<int>(), (*report)["unsent"].get<int>(),
        (*report)["rps"].get<double>(), us(*report, "p50"), us(*report, "p90"), us(*report, "p99"),
        (*report)["latency_us"]["max"].get<double>(),
        (*report)["start_late_ms"].is_number()
            ? fmt::format(", started {:.3f} ms late", (*report)["start_late_ms"].get<double>())
                  .c_str()
            : "");

  // They started together: each within the default 100 ms bound of --start-at.
  for (const json* part : {&part1, &part2}) {
    EXPECT_EQ((*part)["started_late"], false);
    EXPECT_LT((*part)["start_late_ms"].get<double>(), 100);
  }
  EXPECT_EQ(merged["hosts"], json::parse(R"(["gen-g1", "gen-g2"])"));
  EXPECT_EQ(part1["part"], "1/2");
  EXPECT_EQ(part2["part"], "2/2");
  EXPECT_TRUE(merged["part"].is_null());
  EXPECT_EQ(merged["threads"], single["threads"]);
  EXPECT_EQ(merged["merged_reports"], 2);
  EXPECT_DOUBLE_EQ(merged["offered_rate"].get<double>(), kRate);
  EXPECT_EQ(merged["connections"], single["connections"]);

  // Requests: each generator has 1000/s x 2 s = 2000 due, every one answered or (on a stalled
  // machine) unsent; the merged run is within 3% of rate x duration, as is the single one.
  for (const json* part : {&part1, &part2})
    EXPECT_EQ((*part)["requests"].get<int>() + (*part)["unsent"].get<int>(), 2000);
  EXPECT_EQ(single["requests"].get<int>() + single["unsent"].get<int>(), 4000);
  const double expected = kRate * 2.0;
  EXPECT_NEAR(merged["requests"].get<double>(), expected, 0.03 * expected);
  EXPECT_NEAR(single["requests"].get<double>(), expected, 0.03 * expected);
  EXPECT_NEAR(merged["rps"].get<double>(), single["rps"].get<double>(), 0.05 * kRate);
  EXPECT_EQ(merged["errors"], single["errors"]);  // none in either

  // Percentiles from the merged histogram: between the parts' (a merged distribution's
  // quantile lies between its parts' quantiles), with the exact extremes and counts; and its
  // median is the single generator's, which faced the same 20 ms server. (Only the median: on
  // a shared 2-core machine the tails are the other jobs' stalls, different in every run.)
  EXPECT_EQ(merged["latency_histogram"]["count"], merged["requests"]);
  EXPECT_EQ(merged["latency_us"]["max"], std::max(part1["latency_us"]["max"].get<double>(),
                                                  part2["latency_us"]["max"].get<double>()));
  for (const char* p : {"p50", "p90", "p99", "p999"}) {
    EXPECT_GE(us(merged, p), std::min(us(part1, p), us(part2, p))) << p;
    EXPECT_LE(us(merged, p), std::max(us(part1, p), us(part2, p))) << p;
  }
  for (const json* report : {&merged, &single}) {
    EXPECT_GE(us(*report, "p50"), 20'000);  // never sooner than the responder's delay
    EXPECT_LE(us(*report, "p50"), 26'000);
  }
  EXPECT_NEAR(us(merged, "p50"), us(single, "p50"), 3000);
}

TEST_F(LoadgenSeveralHosts, AGeneratorThatStartsLateSaysSoAndExitsFour) {
  const std::string url = start_responder({});
  const Child late =
      start_loadgen("g2", {url, "-c", "2", "-d", "200ms", "--json", "--host-name", "gen-g2",
                           "--start-at", fmt::format("{:.6f}", wall_clock_now() - 2.0)});
  EXPECT_EQ(wait_exit(late.pid), 4) << errors_of("g2");
  const json report = json::parse(report_of("g2"));
  EXPECT_EQ(report["started_late"], true);
  EXPECT_GE(report["start_late_ms"].get<double>(), 2000);
  EXPECT_EQ(report["host"], "gen-g2");
}

}  // namespace
}  // namespace loadgen
