#include "output/sources.hpp"

#include <fmt/format.h>

#include <filesystem>

#include "trial/environment.hpp"

namespace hellobench {

namespace fs = std::filesystem;
using nlohmann::json;

json count_server_sources(const Config& config) {
  json out = json::array();
  const bool have_cloc = find_program("cloc").has_value();
  std::string version;
  if (have_cloc) {
    const auto v = capture_output({"cloc", "--version"}, std::chrono::seconds(10));
    version = v ? "cloc " + first_line(*v) : "cloc";
  }
  for (const ServerConfig& server : config.servers) {
    if (server.loc_files.empty()) continue;
    json row = {{"server", server.name},
                {"tier", server.tier},
                {"language", server.language},
                {"files", server.loc_files},
                {"counter", version}};
    if (!have_cloc) {
      row["error"] = "cloc is not installed (apt-get install cloc)";
      out.push_back(row);
      continue;
    }
    Argv argv = {"cloc", "--json", "--quiet"};
    bool missing = false;
    for (const std::string& file : server.loc_files) {
      const fs::path path = server.source_dir / file;
      std::error_code ec;
      if (!fs::exists(path, ec)) {
        row["error"] = fmt::format("{} does not exist", path.string());
        missing = true;
        break;
      }
      argv.push_back(path.string());
    }
    if (missing) {
      out.push_back(row);
      continue;
    }
    const auto text = capture_output(argv, std::chrono::seconds(60));
    const json counted = text ? json::parse(*text, nullptr, false) : json();
    if (!counted.is_object() || !counted.contains("SUM")) {
      row["error"] = "cloc gave no count";
    } else {
      row["code_lines"] = counted["SUM"].value("code", 0);
      row["comment_lines"] = counted["SUM"].value("comment", 0);
      row["blank_lines"] = counted["SUM"].value("blank", 0);
    }
    out.push_back(row);
  }
  return out;
}

}  // namespace hellobench
