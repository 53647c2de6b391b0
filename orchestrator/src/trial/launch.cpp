#include "trial/launch.hpp"

#include <fmt/format.h>

#include <charconv>
#include <stdexcept>
#include <thread>

#include "core/errors.hpp"
#include "verify/http_client.hpp"

namespace hellobench {

namespace fs = std::filesystem;

std::optional<int> probe_status(const std::string& host, std::uint16_t port,
                                const std::string& target, std::chrono::milliseconds timeout) {
  try {
    return http_exchange(host, port, http_get(target, host, "Connection: close\r\n"), timeout)
        .status;
  } catch (const HttpClientError&) {
    return std::nullopt;
  }
}

fs::path server_binary(const ServerConfig& server, const fs::path& bin_dir) {
  return expand(server.binary, {{"bin_dir", bin_dir.string()}});
}

Argv server_argv(const ServerConfig& server, const fs::path& bin_dir, const std::string& bind,
                 int threads, int port, const std::map<std::string, std::string>& settings) {
  Argv argv = expand(server.run, {{"binary", server_binary(server, bin_dir).string()},
                                  {"port", std::to_string(port)},
                                  {"threads", std::to_string(threads)},
                                  {"bind", bind}});
  for (const auto& [name, value] : settings) {
    const auto option = server.options.find(name);
    if (option == server.options.end()) {
      throw std::invalid_argument(
          fmt::format("server '{}' has no option '{}' (add it under [server.options])",
                      server.name, name));
    }
    for (const std::string& arg : expand(option->second, {{"value", value}})) {
      argv.push_back(arg);
    }
  }
  return argv;
}

std::vector<std::string> unsupported_settings(const ServerConfig& server,
                                              const std::map<std::string, std::string>& wanted) {
  std::vector<std::string> missing;
  for (const auto& [name, value] : wanted) {
    if (!server.options.contains(name)) missing.push_back(name);
  }
  return missing;
}

void log_server_output(ProcessSpec& spec, const fs::path& log_dir) {
  if (log_dir.empty()) return;
  fs::create_directories(log_dir);
  spec.stdout_path = log_dir / "server.stdout";
  spec.stderr_path = log_dir / "server.stderr";
}

std::runtime_error server_start_failure(Process& process, const std::string& who,
                                        const std::string& why) {
  process.terminate(std::chrono::milliseconds(500));
  std::string err = process.stderr_text();
  if (err.size() > 400) err = err.substr(err.size() - 400);
  return std::runtime_error(
      fmt::format("{} {}{}", who, why, err.empty() ? "" : "; its stderr: " + err));
}

std::optional<std::uint16_t> parse_listening_port(const std::string& line) {
  const std::string prefix = "listening on ";
  if (line.rfind(prefix, 0) != 0) return std::nullopt;
  const auto colon = line.rfind(':');
  if (colon == std::string::npos || colon < prefix.size()) return std::nullopt;
  std::string digits = line.substr(colon + 1);
  while (!digits.empty() && (digits.back() == '\r' || digits.back() == ' ')) digits.pop_back();
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || end != digits.data() + digits.size() || value == 0 || value > 65535) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(value);
}

RunningServer launch_server(const ServerConfig& server, const LaunchOptions& options) {
  const fs::path binary = server_binary(server, options.bin_dir);
  std::error_code ec;
  if (!fs::exists(binary, ec)) {
    throw MissingToolError(fmt::format(
        "server '{}': binary {} not found; build it first (`make servers`, or --bin-dir)",
        server.name, binary.string()));
  }
  const int threads = static_cast<int>(std::max<std::size_t>(1, options.cpus.size()));
  ProcessSpec spec;
  spec.argv = server_argv(server, options.bin_dir, options.bind, threads, 0, options.settings);
  spec.cpus = options.cpus;
  spec.env = server.env;
  log_server_output(spec, options.log_dir);
  Process process = Process::spawn(spec);
  const auto deadline = process.started_at() + options.ready_timeout;
  auto fail = [&](const std::string& why) {
    return server_start_failure(process, fmt::format("server '{}'", server.name), why);
  };
  const auto line = process.wait_for_stdout_line("listening on", options.ready_timeout);
  if (!line) throw fail("printed no 'listening on ADDR:PORT' line");
  const auto port = parse_listening_port(*line);
  if (!port) throw fail(fmt::format("printed a malformed ready line: '{}'", *line));
  const std::string host = options.bind == "0.0.0.0" ? "127.0.0.1"
                           : options.bind == "::"    ? "::1"
                                                     : options.bind;
  // Poll GET / until it is answered 200: the ready line alone does not prove that requests
  // are served (rule 3), and startup time is defined up to the first answer.
  while (true) {
    const auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (remaining.count() <= 0) throw fail("did not answer GET / with 200 in time");
    if (!process.running()) throw fail("exited before answering GET /");
    const auto status =
        probe_status(host, *port, "/", std::min(remaining, std::chrono::milliseconds(1000)));
    if (status == 200) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  RunningServer running{std::move(process), host, *port, 0, {}};
  running.startup_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                                 running.process.started_at())
                           .count();
  running.idle = read_proc_status(running.process.pid()).value_or(ProcStatus{});
  return running;
}

}  // namespace hellobench
