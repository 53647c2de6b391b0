#include "loadgen/targets.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <stdexcept>

namespace loadgen {
namespace {

using nlohmann::json;

std::string where(std::string_view source, std::size_t index, std::string_view field) {
  return fmt::format("'{}': requests[{}]{}{}", source, index, field.empty() ? "" : ".", field);
}

// "syntax error while parsing value - invalid literal; last read: 'x'" from nlohmann's message,
// without its own "[json.exception...] parse error at line L, column C: " prefix.
std::string parse_error_detail(const json::parse_error& e) {
  const std::string_view what = e.what();
  const auto column = what.find("column ");
  if (column != std::string_view::npos) {
    const auto colon = what.find(": ", column);
    if (colon != std::string_view::npos) return std::string(what.substr(colon + 2));
  }
  return std::string(what);
}

std::string string_field(const json& value, std::string_view source, std::size_t index,
                         std::string_view field) {
  if (!value.is_string())
    throw std::invalid_argument(
        fmt::format("{}: must be a string, not {}", where(source, index, field), value.dump()));
  return value.get<std::string>();
}

}  // namespace

bool is_token(std::string_view text) {
  if (text.empty()) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  });
}

bool is_header_line(std::string_view text) {
  const auto colon = text.find(':');
  return colon != std::string_view::npos && is_token(text.substr(0, colon)) &&
         text.find_first_of("\r\n") == std::string_view::npos;
}

std::string read_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw std::invalid_argument(fmt::format("cannot read '{}': it is a directory", path));
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw std::invalid_argument(fmt::format("cannot read '{}': {}", path, std::strerror(errno)));
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (in.bad()) throw std::invalid_argument(fmt::format("cannot read '{}'", path));
  std::string text = std::move(bytes).str();
  if (text.size() > kMaxFileBytes)
    throw std::invalid_argument(
        fmt::format("'{}' is larger than {} MiB", path, kMaxFileBytes >> 20));
  return text;
}

std::vector<Target> load_targets_file(const std::string& path) {
  const std::string text = read_file(path);
  return parse_targets(text, std::filesystem::path(path).parent_path(), path);
}

std::vector<Target> parse_targets(std::string_view text, const std::filesystem::path& base_dir,
                                  std::string_view source) {
  json root;
  try {
    root = json::parse(text);
  } catch (const json::parse_error& e) {
    // e.byte: 1-based offset of the byte where parsing failed.
    const std::size_t end = std::min<std::size_t>(e.byte == 0 ? 0 : e.byte - 1, text.size());
    const std::size_t line =
        1 + static_cast<std::size_t>(std::count(text.begin(), text.begin() + end, '\n'));
    const std::size_t line_start = text.rfind('\n', end == 0 ? 0 : end - 1);
    const std::size_t column =
        end - (line_start == std::string_view::npos || end == 0 ? 0 : line_start + 1) + 1;
    throw std::invalid_argument(fmt::format("'{}' line {} column {}: not valid JSON: {}", source,
                                            line, column, parse_error_detail(e)));
  }
  if (!root.is_object())
    throw std::invalid_argument(
        fmt::format("'{}': expected an object {{\"requests\": [...]}}", source));
  for (const auto& [key, value] : root.items())
    if (key != "requests")
      throw std::invalid_argument(
          fmt::format("'{}': unknown field '{}' (expected requests)", source, key));
  const auto requests = root.find("requests");
  if (requests == root.end() || !requests->is_array() || requests->empty())
    throw std::invalid_argument(
        fmt::format("'{}': requests: must be a non-empty array of requests", source));
  if (requests->size() > kMaxTargets)
    throw std::invalid_argument(
        fmt::format("'{}': requests: more than {} requests", source, kMaxTargets));

  std::vector<Target> targets;
  std::set<std::string> names;
  for (std::size_t i = 0; i < requests->size(); ++i) {
    const json& entry = (*requests)[i];
    if (!entry.is_object())
      throw std::invalid_argument(fmt::format("{}: must be an object", where(source, i, "")));
    Target target;
    for (const auto& [key, value] : entry.items()) {
      if (key == "name") {
        target.name = string_field(value, source, i, key);
      } else if (key == "weight") {
        if (!value.is_number() || !(value.get<double>() > 0) || !std::isfinite(value.get<double>()))
          throw std::invalid_argument(fmt::format("{}: must be a number greater than 0, not {}",
                                                  where(source, i, key), value.dump()));
        target.weight = value.get<double>();
      } else if (key == "method") {
        target.method = string_field(value, source, i, key);
        if (!is_token(target.method))
          throw std::invalid_argument(
              fmt::format("{}: '{}' is not a method token", where(source, i, key), target.method));
      } else if (key == "path") {
        target.path = string_field(value, source, i, key);
      } else if (key == "headers") {
        if (!value.is_array())
          throw std::invalid_argument(
              fmt::format("{}: must be an array of \"Name: value\"", where(source, i, key)));
        for (std::size_t h = 0; h < value.size(); ++h) {
          const std::string field = fmt::format("headers[{}]", h);
          std::string header = string_field(value[h], source, i, field);
          if (!is_header_line(header))
            throw std::invalid_argument(
                fmt::format("{}: '{}' is not 'Name: value'", where(source, i, field), header));
          target.headers.push_back(std::move(header));
        }
      } else if (key == "body") {
        target.body = string_field(value, source, i, key);
      } else if (key == "body_file") {
        target.body_file = string_field(value, source, i, key);
      } else {
        throw std::invalid_argument(fmt::format(
            "{}: unknown field (expected name, weight, method, path, headers, body, body_file)",
            where(source, i, key)));
      }
    }
    if (target.name.empty())
      throw std::invalid_argument(
          fmt::format("{}: a non-empty name is required", where(source, i, "name")));
    if (!names.insert(target.name).second)
      throw std::invalid_argument(fmt::format("{}: '{}' is used by an earlier request",
                                              where(source, i, "name"), target.name));
    if (target.path.empty() || target.path.front() != '/')
      throw std::invalid_argument(
          fmt::format("{}: a path starting with '/' is required", where(source, i, "path")));
    if (target.path.find_first_of(" \t\r\n") != std::string::npos)
      throw std::invalid_argument(
          fmt::format("{}: '{}' holds white space", where(source, i, "path"), target.path));
    if (target.body && !target.body_file.empty())
      throw std::invalid_argument(
          fmt::format("{}: give body or body_file, not both", where(source, i, "body_file")));
    if (!target.body_file.empty()) {
      std::filesystem::path file(target.body_file);
      if (file.is_relative()) file = base_dir / file;
      target.body_file = file.string();
      try {
        target.body = read_file(target.body_file);
      } catch (const std::invalid_argument& e) {
        throw std::invalid_argument(fmt::format("{}: {}", where(source, i, "body_file"), e.what()));
      }
    }
    targets.push_back(std::move(target));
  }
  return targets;
}

}  // namespace loadgen
