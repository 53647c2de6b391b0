// Load generators behind one interface (generator.hpp): each runs as its own pinned process
// whose stdout and stderr land in the trial's log folder.
#include "trial/generator.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <numeric>
#include <system_error>

#include "trial/loadgen_driver.hpp"
#include "trial/process.hpp"
#include "trial/wrk.hpp"

namespace hellobench {
namespace {

using Parser = std::function<LoadResult(const std::string&)>;

// Keeps an error message readable when a tool prints pages of output.
std::string tail(const std::string& text, std::size_t max_chars = 2000) {
  std::string trimmed = text;
  while (!trimmed.empty() && (trimmed.back() == '\n' || trimmed.back() == ' ')) trimmed.pop_back();
  if (trimmed.empty()) return "(empty)";
  if (trimmed.size() <= max_chars) return trimmed;
  return "..." + trimmed.substr(trimmed.size() - max_chars);
}

std::filesystem::path prepare_log_dir(const std::filesystem::path& log_dir,
                                      const std::string& name) {
  std::error_code ec;
  std::filesystem::create_directories(log_dir, ec);
  if (ec) {
    throw GeneratorError(
        fmt::format("{}: cannot create log folder '{}': {}", name, log_dir.string(), ec.message()));
  }
  return log_dir;
}

Process spawn_generator(const std::string& name, std::vector<std::string> argv,
                        const LoadSpec& spec, const std::filesystem::path& log_dir) {
  ProcessSpec process;
  process.argv = std::move(argv);
  process.cpus = spec.cpus;
  process.stdout_path = log_dir / (name + ".stdout");
  process.stderr_path = log_dir / (name + ".stderr");
  try {
    return Process::spawn(process);
  } catch (const ProcessError& e) {
    const char* hint = name == "wrk" ? " (install it with: apt-get install wrk)"
                                     : " (build it with: make, which puts it in build/bin)";
    throw GeneratorError(fmt::format("{}: {}{}", name, e.what(), hint));
  }
}

class ProcessLoad final : public RunningLoad {
 public:
  ProcessLoad(std::string name, Process process, std::chrono::milliseconds deadline, Parser parse,
              bool accept_nonzero_exit)
      : name_(std::move(name)),
        process_(std::move(process)),
        deadline_(deadline),
        parse_(std::move(parse)),
        accept_nonzero_exit_(accept_nonzero_exit) {}

  pid_t pid() const override { return process_.pid(); }

  LoadResult wait() override {
    const auto status = process_.wait_exit(deadline_);
    if (!status) {
      process_.terminate(std::chrono::milliseconds(1000));
      throw GeneratorError(fmt::format("{} did not finish within {} ms and was stopped; stderr: {}",
                                       name_, deadline_.count(), tail(process_.stderr_text())));
    }
    const std::string out = process_.stdout_text();
    if (*status != 0 && !accept_nonzero_exit_) {
      throw GeneratorError(fmt::format("{} failed with exit status {}; stderr: {}", name_, *status,
                                       tail(process_.stderr_text())));
    }
    try {
      return parse_(out);
    } catch (const GeneratorError& e) {
      throw GeneratorError(fmt::format("{} (exit status {}; stderr: {})", e.what(), *status,
                                       tail(process_.stderr_text())));
    }
  }

 private:
  std::string name_;
  Process process_;
  std::chrono::milliseconds deadline_;
  Parser parse_;
  bool accept_nonzero_exit_;
};

// The generator should end at duration (+ timeout for requests in flight); the rest is slack for
// start-up on a busy machine before wait() gives up on it.
std::chrono::milliseconds wait_deadline(const LoadSpec& spec) {
  return spec.duration + spec.timeout + std::chrono::milliseconds(10000);
}

// First line of `program args...` (stdout, else stderr), whatever its exit status; nullopt
// when it cannot be run or prints nothing.
std::optional<std::string> first_output_line(const std::filesystem::path& program,
                                             const std::vector<std::string>& args) {
  ProcessSpec spec;
  spec.argv.push_back(program.string());
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  try {
    Process process = Process::spawn(spec);
    if (!process.wait_exit(std::chrono::milliseconds(5000))) {
      process.terminate(std::chrono::milliseconds(500));
      return std::nullopt;
    }
    for (const std::string& text : {process.stdout_text(), process.stderr_text()}) {
      const std::string line = text.substr(0, text.find('\n'));
      if (!line.empty()) return line;
    }
  } catch (const ProcessError&) {
  }
  return std::nullopt;
}

class WrkGenerator final : public Generator {
 public:
  explicit WrkGenerator(std::filesystem::path program) : program_(std::move(program)) {}
  std::string name() const override { return "wrk"; }
  bool supports_open_loop() const override { return false; }

  std::string version() const override {
    // `wrk -v` prints "wrk 4.1.0 [epoll] Copyright (C) 2012 Will Glozer", then its usage, and
    // exits 1; the version is what comes before " Copyright".
    const auto line = first_output_line(program_, {"-v"});
    if (!line) return "unknown";
    return line->substr(0, line->find(" Copyright"));
  }

  std::unique_ptr<RunningLoad> start(const LoadSpec& spec,
                                     const std::filesystem::path& log_dir) override {
    prepare_log_dir(log_dir, "wrk");
    const auto script = log_dir / "wrk-report.lua";
    auto argv = wrk::command_line(spec, program_, script);  // validates before writing anything
    {
      std::ofstream out(script, std::ios::trunc);
      out << wrk::report_script();
      if (!out.flush()) {
        throw GeneratorError(fmt::format("wrk: cannot write '{}'", script.string()));
      }
    }
    Process process = spawn_generator("wrk", std::move(argv), spec, log_dir);
    // wrk exits 0 even when every request failed; its errors are in the report.
    return std::make_unique<ProcessLoad>("wrk", std::move(process), wait_deadline(spec),
                                         wrk::parse_output, false);
  }

 private:
  std::filesystem::path program_;
};

class LoadgenGenerator final : public Generator {
 public:
  explicit LoadgenGenerator(std::filesystem::path program) : program_(std::move(program)) {}
  std::string name() const override { return "loadgen"; }
  bool supports_open_loop() const override { return true; }

  std::string version() const override {
    return first_output_line(program_, {"--version"}).value_or("unknown");
  }

  std::unique_ptr<RunningLoad> start(const LoadSpec& spec,
                                     const std::filesystem::path& log_dir) override {
    prepare_log_dir(log_dir, "loadgen");
    auto argv = loadgen::command_line(spec, program_);
    Process process = spawn_generator("loadgen", std::move(argv), spec, log_dir);
    // loadgen exits 1 when too many requests failed but still prints its full report, which
    // carries the errors by kind: parse it rather than lose the figures.
    return std::make_unique<ProcessLoad>("loadgen", std::move(process), wait_deadline(spec),
                                         loadgen::parse_output, true);
  }

 private:
  std::filesystem::path program_;
};

}  // namespace

std::uint64_t LoadResult::total_errors() const {
  return std::accumulate(errors.begin(), errors.end(), std::uint64_t{0},
                         [](std::uint64_t sum, const auto& kind) { return sum + kind.second; });
}

std::unique_ptr<Generator> make_generator(const std::string& name,
                                          const std::filesystem::path& program) {
  if (program.empty()) throw GeneratorError(fmt::format("generator '{}': program is empty", name));
  if (name == "wrk") return std::make_unique<WrkGenerator>(program);
  if (name == "loadgen") return std::make_unique<LoadgenGenerator>(program);
  throw GeneratorError(fmt::format("unknown load generator '{}' (known: wrk, loadgen)", name));
}

}  // namespace hellobench
