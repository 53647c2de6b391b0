// contract/vectors/service.json: the service routes' request/answer pairs that every server's
// own tests, `hellobench verify` and the integration test replay (contract/README.md).
#include <fmt/format.h>

#include <array>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "core/errors.hpp"
#include "verify/verify.hpp"

namespace hellobench {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// RFC 4648 base64 with padding; nullopt on anything else.
std::optional<std::string> decode_base64(std::string_view text) {
  static const std::array<int, 256> values = [] {
    std::array<int, 256> v{};
    v.fill(-1);
    const std::string_view alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (std::size_t i = 0; i < alphabet.size(); ++i)
      v[static_cast<unsigned char>(alphabet[i])] = static_cast<int>(i);
    return v;
  }();
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    int padding = 0;
    std::uint32_t group = 0;
    for (std::size_t k = 0; k < 4; ++k) {
      const char c = text[i + k];
      int value = 0;
      if (c == '=' && last && k >= 2) {
        ++padding;
      } else if (padding > 0 || (value = values[static_cast<unsigned char>(c)]) < 0) {
        return std::nullopt;
      }
      group = (group << 6) | static_cast<std::uint32_t>(value);
    }
    out.push_back(static_cast<char>((group >> 16) & 0xff));
    if (padding < 2) out.push_back(static_cast<char>((group >> 8) & 0xff));
    if (padding < 1) out.push_back(static_cast<char>(group & 0xff));
  }
  return out;
}

}  // namespace

ServiceVectors load_service_vectors(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw ConfigError(fmt::format("{}: cannot read the service vectors", file.string()));
  std::stringstream text;
  text << in.rdbuf();
  json doc;
  try {
    doc = json::parse(text.str());
  } catch (const json::exception& e) {
    throw ConfigError(fmt::format("{}: not valid JSON: {}", file.string(), e.what()));
  }
  ServiceVectors out;
  out.file = file;
  std::size_t index = 0;
  std::string where = "the file";
  auto problem = [&](const std::string& what) {
    return ConfigError(fmt::format("{}: {}: {}", file.string(), where, what));
  };
  auto text_field = [&](const json& v, const char* key) -> std::string {
    if (!v.contains(key)) throw problem(fmt::format("missing '{}'", key));
    if (!v[key].is_string()) throw problem(fmt::format("'{}' is not a string", key));
    return v[key].get<std::string>();
  };
  auto optional_text = [&](const json& v, const char* key) -> std::optional<std::string> {
    if (!v.contains(key)) return std::nullopt;
    return text_field(v, key);
  };
  if (!doc.is_object()) throw problem("not a JSON object");
  if (!doc.contains("live_mb") || !doc["live_mb"].is_number_integer() ||
      doc["live_mb"].get<long long>() < 0 || doc["live_mb"].get<long long>() > 4096) {
    throw problem("'live_mb' must be an integer 0..4096");
  }
  out.live_mb = doc["live_mb"].get<int>();
  if (!doc.contains("vectors") || !doc["vectors"].is_array() || doc["vectors"].empty())
    throw problem("'vectors' must be a non-empty array");
  std::set<std::string> names;
  for (const json& v : doc["vectors"]) {
    where = fmt::format("vector {}", index++);
    if (!v.is_object()) throw problem("not a JSON object");
    ServiceVector vector;
    vector.name = text_field(v, "name");
    where = fmt::format("vector {} ('{}')", index - 1, vector.name);
    if (vector.name.empty() || !names.insert(vector.name).second)
      throw problem("names must be non-empty and unique");
    vector.method = text_field(v, "method");
    vector.target = text_field(v, "target");
    vector.request_content_type = optional_text(v, "request_content_type");
    vector.request_body = optional_text(v, "request_body");
    if (auto encoded = optional_text(v, "request_body_base64")) {
      if (vector.request_body) throw problem("both request_body and request_body_base64");
      vector.request_body = decode_base64(*encoded);
      if (!vector.request_body) throw problem("request_body_base64 is not valid base64");
    }
    if (!v.contains("status") || !v["status"].is_number_integer() || v["status"].get<int>() < 100 ||
        v["status"].get<int>() > 599) {
      throw problem("'status' must be an HTTP status code");
    }
    vector.status = v["status"].get<int>();
    vector.content_type = text_field(v, "content_type");
    vector.body = text_field(v, "body");
    vector.allow = optional_text(v, "allow");
    out.vectors.push_back(std::move(vector));
  }
  return out;
}

fs::path find_service_vectors(const fs::path& config_dir) {
  std::vector<fs::path> candidates;
  if (!config_dir.empty()) candidates.push_back(config_dir / kServiceVectorsPath);
  candidates.push_back(fs::path(HELLOBENCH_SOURCE_DIR) / kServiceVectorsPath);
  std::error_code ec;
  for (const auto& candidate : candidates) {
    if (fs::is_regular_file(candidate, ec)) return candidate;
  }
  std::string looked;
  for (const auto& candidate : candidates)
    looked += (looked.empty() ? "" : ", ") + candidate.string();
  throw ConfigError(fmt::format(
      "the service vectors ({}) are not next to the config nor in the source tree (looked at {})",
      kServiceVectorsPath.string(), looked));
}

}  // namespace hellobench
