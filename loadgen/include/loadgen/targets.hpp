// The requests of a run as data: a targets file of several weighted requests for a mix (as
// vegeta and k6 take them), request bodies read from files, and the HTTP syntax checks that
// the targets file shares with the command line.
//
//   {"requests": [
//     {"name": "user", "weight": 80, "method": "GET", "path": "/users/{id}"},
//     {"name": "order", "weight": 20, "method": "POST", "path": "/orders",
//      "headers": ["Content-Type: application/json"], "body_file": "order-10.json"}]}
//
// Per request: `name` (required, unique), `path` (required, starts with '/', may hold
// placeholders), `weight` (a number > 0, default 1), `method` (default GET), `headers`
// (["Name: value", ...]), and at most one of `body` (the bytes as a JSON string) or
// `body_file` (relative paths resolve against the targets file's folder). No other fields.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace loadgen {

struct Target {
  std::string name;
  double weight = 1;
  std::string method = "GET";
  std::string path;                  // as sent in the request line, placeholders unrendered
  std::vector<std::string> headers;  // "Name: value"
  std::optional<std::string> body;   // sent verbatim (but for placeholders), with Content-Length
  std::string body_file;             // where the body came from; empty when inline or none
};

// The largest targets file and body file read.
inline constexpr std::size_t kMaxFileBytes = 64 << 20;
inline constexpr std::size_t kMaxTargets = 1000;

// Reads and checks a targets file. Throws std::invalid_argument whose message starts with the
// file and says where it goes wrong: "'mix.json' line 3 column 14: not valid JSON: ..." or
// "'mix.json': requests[1].weight: must be a number greater than 0".
std::vector<Target> load_targets_file(const std::string& path);

// The same from text; relative body files resolve against `base_dir`; `source` names the
// text in messages.
std::vector<Target> parse_targets(std::string_view text, const std::filesystem::path& base_dir,
                                  std::string_view source);

// A whole file's bytes. Throws std::invalid_argument: "cannot read 'x.json': No such file or
// directory".
std::string read_file(const std::string& path);

// An HTTP token (RFC 9110), as methods and header names are.
bool is_token(std::string_view text);
// "Name: value" with a token name and no CR or LF.
bool is_header_line(std::string_view text);

}  // namespace loadgen
