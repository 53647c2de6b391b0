#include "loadgen/options.hpp"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>

#include "loadgen/units.hpp"

#ifndef LOADGEN_VERSION
#define LOADGEN_VERSION "0"
#endif

namespace loadgen {
namespace {

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  });
}

// Runs parse(text) and turns its std::invalid_argument into a UsageError naming the flag.
template <typename F>
auto parse_flag(const std::string& flag, const std::string& text, F parse) {
  try {
    return parse(text);
  } catch (const std::invalid_argument& e) {
    throw UsageError(fmt::format("{}: {}", flag, e.what()));
  }
}

}  // namespace

Command parse_command_line(int argc, const char* const* argv) {
  CLI::App app{
      "loadgen: an HTTP/1.1 load generator with closed and open loop (fixed rate) modes and "
      "latency measured from when each request was due.",
      "loadgen"};
  app.set_version_flag("--version", "loadgen " LOADGEN_VERSION);
  std::string url_text, duration_text = "10s", warmup_text = "0s", timeout_text = "2s";
  std::string rate_text, max_error_rate_text;
  Options o;
  app.add_option("url", url_text, "Target, e.g. http://127.0.0.1:8080/user")->required();
  app.add_option("-c,--connections", o.connections, "Open connections in total (default 10)");
  app.add_option("-t,--threads", o.threads,
                 "Threads, one event loop each (default: CPUs available, at most one per "
                 "connection)");
  app.add_option("-d,--duration", duration_text, "Measured time, e.g. 10s, 500ms (default 10s)");
  app.add_option("--rate", rate_text,
                 "Open loop: total requests/s, e.g. 10k (default: closed loop)");
  app.add_option("--timeout", timeout_text,
                 "A request unanswered this long is a timeout (default 2s)");
  app.add_option("--warmup", warmup_text, "Unmeasured load before the measured time (default 0)");
  app.add_option("-H,--header", o.headers, "Extra request header 'Name: value' (repeatable)")
      ->allow_extra_args(false);  // one value per -H, so a URL after it stays the URL
  app.add_option("-m,--method", o.method, "Request method (default GET)");
  app.add_option("--pipeline", o.pipeline, "Requests in flight per connection (default 1)");
  app.add_flag("--json", o.json, "Print one JSON object instead of the readable report");
  app.add_option("--max-error-rate", max_error_rate_text,
                 "Exit 1 when errors exceed this share of attempts, e.g. 0.01 or 1% (default: "
                 "only when every connection is refused)");
  bool no_progress = false;
  app.add_flag("--no-progress", no_progress, "No progress line, even on a terminal");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    return Command{{}, app.help()};
  } catch (const CLI::CallForVersion&) {
    return Command{{}, std::string("loadgen " LOADGEN_VERSION "\n")};
  } catch (const CLI::ParseError& e) {
    throw UsageError(e.what());
  }

  o.url_text = url_text;
  o.url = parse_flag("URL", url_text, parse_url);
  if (o.connections < 1) throw UsageError("-c,--connections: must be at least 1");
  if (app.count("--threads") > 0 && o.threads < 1)
    throw UsageError("-t,--threads: must be at least 1");
  if (o.pipeline < 1 || o.pipeline > 1024) throw UsageError("--pipeline: must be in 1..1024");
  o.duration = parse_flag("-d,--duration", duration_text, parse_duration);
  if (o.duration.count() == 0) throw UsageError("-d,--duration: must be greater than 0");
  o.warmup = parse_flag("--warmup", warmup_text, parse_duration);
  o.timeout = parse_flag("--timeout", timeout_text, parse_duration);
  if (o.timeout < std::chrono::milliseconds(1)) throw UsageError("--timeout: must be at least 1ms");
  if (!rate_text.empty()) o.rate = parse_flag("--rate", rate_text, parse_rate);
  if (!max_error_rate_text.empty())
    o.max_error_rate = parse_flag("--max-error-rate", max_error_rate_text, parse_fraction);
  if (!is_token(o.method))
    throw UsageError(fmt::format("--method: '{}' is not a method token", o.method));
  for (const auto& header : o.headers) {
    const auto colon = header.find(':');
    if (colon == std::string::npos || !is_token(std::string_view(header).substr(0, colon)) ||
        header.find_first_of("\r\n") != std::string::npos)
      throw UsageError(fmt::format("--header: '{}' is not 'Name: value'", header));
  }
  o.progress = !no_progress;
  return Command{std::move(o), std::nullopt};
}

std::string serialise_request(const Options& options) {
  std::string request = fmt::format("{} {} HTTP/1.1\r\n", options.method, options.url.target);
  bool has_host = false;
  for (const auto& header : options.headers) {
    std::string_view name = std::string_view(header).substr(0, header.find(':'));
    if (name.size() == 4 && (name[0] | 0x20) == 'h' && (name[1] | 0x20) == 'o' &&
        (name[2] | 0x20) == 's' && (name[3] | 0x20) == 't')
      has_host = true;
  }
  if (!has_host) request += fmt::format("Host: {}\r\n", options.url.host_header);
  for (const auto& header : options.headers) request += header + "\r\n";
  request += "\r\n";
  return request;
}

}  // namespace loadgen
