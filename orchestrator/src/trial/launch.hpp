// Starting a server for a trial (MEASUREMENT.md rule 3): a fresh process pinned to its CPU
// set, --threads set explicitly, ready once the `listening on` line is out AND a GET / has been
// answered 200; startup time runs from exec to that first answer.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "trial/process.hpp"
#include "trial/sampler.hpp"

namespace hellobench {

// The status of one GET on a fresh connection; nullopt when there was no complete answer
// within timeout (refused, reset, silent).
std::optional<int> probe_status(const std::string& host, std::uint16_t port,
                                const std::string& target, std::chrono::milliseconds timeout);

struct LaunchOptions {
  std::filesystem::path bin_dir;  // {bin_dir} in the server's binary path
  std::string bind = "127.0.0.1";
  std::vector<int> cpus;          // server CPU set; --threads = its size
  std::filesystem::path log_dir;  // server.stdout / server.stderr go here
  std::chrono::milliseconds ready_timeout{10000};
  // Server settings by name (live_mb -> "100"), appended through the server's `options`.
  std::map<std::string, std::string> settings;
};

// The server's binary path and its run argv (port 0: the server picks a free port and says
// which in its ready line, so parallel runs never race for a port).
std::filesystem::path server_binary(const ServerConfig& server,
                                    const std::filesystem::path& bin_dir);
// Settings the server has no `options` entry for are a std::invalid_argument naming them.
Argv server_argv(const ServerConfig& server, const std::filesystem::path& bin_dir,
                 const std::string& bind, int threads, int port = 0,
                 const std::map<std::string, std::string>& settings = {});
// The settings of `wanted` that the server cannot take (empty: it can run with them).
std::vector<std::string> unsupported_settings(const ServerConfig& server,
                                              const std::map<std::string, std::string>& wanted);

struct RunningServer {
  Process process;
  std::string host;
  std::uint16_t port = 0;
  double startup_ms = 0;  // exec to the first 200 answer to GET /
  ProcStatus idle;        // /proc/PID/status right after ready
};

// Throws std::runtime_error (with the server's stderr) when it exits, never prints the ready
// line, or never answers within ready_timeout; MissingToolError when the binary is missing.
RunningServer launch_server(const ServerConfig& server, const LaunchOptions& options);

// Where a server's output goes (LOG_DIR/server.stdout and .stderr; nothing when LOG_DIR is
// empty), and the error for a server that did not come up: it is stopped, and the last 400
// bytes of its stderr are part of the message. Shared by local and remote (hosts) launches.
void log_server_output(ProcessSpec& spec, const std::filesystem::path& log_dir);
std::runtime_error server_start_failure(Process& process, const std::string& who,
                                        const std::string& why);

// "listening on 127.0.0.1:8080" -> 8080 (also "[::1]:8080"); nullopt when malformed.
std::optional<std::uint16_t> parse_listening_port(const std::string& line);

}  // namespace hellobench
