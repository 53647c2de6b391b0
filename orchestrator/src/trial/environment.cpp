#include "trial/environment.hpp"

#include <fmt/format.h>
#include <sched.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <boost/version.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "trial/process.hpp"

namespace hellobench {

namespace fs = std::filesystem;

std::vector<int> available_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
      if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
    }
  }
  if (cpus.empty()) {
    for (unsigned cpu = 0; cpu < std::max(1u, std::thread::hardware_concurrency()); ++cpu) {
      cpus.push_back(static_cast<int>(cpu));
    }
  }
  return cpus;
}

CpuPlan plan_cpus(const std::vector<int>& cpus) {
  CpuPlan plan;
  if (cpus.size() >= 3) {
    // Orchestrator on the first CPU; the rest split in halves, the server taking the larger.
    plan.orchestrator = {cpus[0]};
    const std::size_t rest = cpus.size() - 1;
    const std::size_t server_count = (rest + 1) / 2;
    plan.server.assign(cpus.begin() + 1, cpus.begin() + 1 + static_cast<long>(server_count));
    plan.generator.assign(cpus.begin() + 1 + static_cast<long>(server_count), cpus.end());
  } else if (cpus.size() == 2) {
    plan.server = {cpus[1]};
    plan.generator = {cpus[0]};
    plan.orchestrator = {cpus[0]};
    plan.rules_bent.push_back(
        {15,
         "2 CPUs: the orchestrator and its sampler share the load generator's CPU (their "
         "own CPU time is recorded per trial)"});
  } else {
    plan.server = cpus;
    plan.generator = cpus;
    plan.orchestrator = cpus;
    plan.rules_bent.push_back({4, "1 CPU: server and load generator share it"});
    plan.rules_bent.push_back({15, "1 CPU: the orchestrator shares it with server and generator"});
  }
  return plan;
}

std::optional<fs::path> find_program(const std::string& name) {
  if (name.empty()) return std::nullopt;
  if (name.find('/') != std::string::npos) {
    if (::access(name.c_str(), X_OK) == 0) return fs::path(name);
    return std::nullopt;
  }
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) continue;
    const fs::path candidate = fs::path(dir) / name;
    std::error_code ec;
    if (fs::is_regular_file(candidate, ec) && ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return std::nullopt;
}

void extend_path_with_toolchains() {
  std::string path = std::getenv("PATH") ? std::getenv("PATH") : "/usr/local/bin:/usr/bin:/bin";
  std::vector<std::string> extra = {"/usr/local/go/bin"};
  if (const char* home = std::getenv("HOME")) {
    extra.push_back(std::string(home) + "/go/bin");
    extra.push_back(std::string(home) + "/.cargo/bin");
  }
  for (const std::string& dir : extra) {
    if (fmt::format(":{}:", path).find(fmt::format(":{}:", dir)) == std::string::npos) {
      path += ":" + dir;
    }
  }
  ::setenv("PATH", path.c_str(), 1);
}

std::optional<std::string> capture_output(const Argv& argv, std::chrono::milliseconds timeout,
                                          const fs::path& working_dir) {
  if (argv.empty() || !find_program(argv.front())) return std::nullopt;
  try {
    ProcessSpec spec;
    spec.argv = argv;
    spec.working_dir = working_dir;
    Process process = Process::spawn(spec);
    if (!process.wait_exit(timeout)) {
      process.terminate(std::chrono::milliseconds(500));
      return std::nullopt;
    }
    std::string text = process.stdout_text();
    const std::string err = process.stderr_text();
    if (!err.empty()) text += (text.empty() ? "" : "\n") + err;
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return text;
  } catch (const ProcessError&) {
    return std::nullopt;
  }
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

namespace {

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(" \t", colon + 1));
    }
  }
  return "unknown";
}

std::string os_release() {
  std::ifstream in("/etc/os-release");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("PRETTY_NAME=", 0) == 0) {
      std::string value = line.substr(12);
      if (value.size() >= 2 && value.front() == '"') value = value.substr(1, value.size() - 2);
      return value;
    }
  }
  return "unknown";
}

std::int64_t memory_total_kib() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  std::int64_t value = 0;
  while (in >> key >> value) {
    if (key == "MemTotal:") return value;
    in.ignore(1 << 10, '\n');
  }
  return 0;
}

}  // namespace

int build_jobs(const Config& config) {
  return config.jobs > 0 ? config.jobs : static_cast<int>(available_cpus().size());
}

nlohmann::json collect_environment(const Config& config, const CpuPlan& plan,
                                   const std::string& profile, int jobs) {
  nlohmann::json env;
  struct utsname uts {};
  ::uname(&uts);
  env["cpu_model"] = cpu_model();
  env["cores"] = std::thread::hardware_concurrency();
  env["cpus_available"] = available_cpus();
  env["memory_kib"] = memory_total_kib();
  env["kernel"] = fmt::format("{} {} {}", uts.sysname, uts.release, uts.machine);
  env["os"] = os_release();
  env["hostname"] = uts.nodename;

  nlohmann::json toolchains = nlohmann::json::object();
  for (const auto& [name, argv] : config.toolchains) {
    const auto text = capture_output(argv);
    toolchains[name] = text ? nlohmann::json(first_line(*text)) : nlohmann::json(nullptr);
  }
  // Boost is header-only for the servers: the version is that of the headers hellobench and
  // cpp-server were compiled against.
  toolchains["boost"] = fmt::format("{}.{}.{}", BOOST_VERSION / 100000, BOOST_VERSION / 100 % 1000,
                                    BOOST_VERSION % 100);
  env["toolchains"] = toolchains;

  const std::string repo = config.base_dir.string();
  const auto commit = capture_output({"git", "-C", repo, "rev-parse", "HEAD"});
  env["git_commit"] = commit && commit->size() == 40 ? nlohmann::json(*commit) : nullptr;
  // --no-optional-locks: reading the status must not rewrite the repository's index.
  const auto status =
      capture_output({"git", "--no-optional-locks", "-C", repo, "status", "--porcelain"});
  env["git_dirty"] = status ? nlohmann::json(!status->empty()) : nullptr;

  env["cpu_sets"] = {
      {"server", plan.server}, {"generator", plan.generator}, {"orchestrator", plan.orchestrator}};
  env["server_threads"] = plan.server.size();
  env["build_jobs"] = jobs;
  env["profile"] = profile;
  env["hellobench_version"] = HELLOBENCH_VERSION;
  env["config_file"] = config.file.string();
  return env;
}

}  // namespace hellobench
