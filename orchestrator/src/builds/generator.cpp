#include "builds/generator.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "core/errors.hpp"
#include "trial/environment.hpp"

namespace hellobench {

namespace fs = std::filesystem;

std::string module_name(int index) { return fmt::format("m{:03}", index); }

namespace {

constexpr std::string_view kBlockOpen = "{{#modules}}";
constexpr std::string_view kBlockClose = "{{/modules}}";
constexpr std::string_view kModuleToken = "__module__";

std::string replace_placeholders(const std::string& text, int size, int module_index) {
  std::string out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t open = text.find("{{", pos);
    if (open == std::string::npos) {
      out.append(text, pos);
      break;
    }
    const std::size_t close = text.find("}}", open + 2);
    if (close == std::string::npos) {
      throw std::invalid_argument(fmt::format("unclosed '{{{{' at offset {}", open));
    }
    out.append(text, pos, open - pos);
    const std::string name = text.substr(open + 2, close - open - 2);
    // Only {{identifier}} is a placeholder: C++ brace initialisers ({{"id", x}}) stay as they are.
    const bool identifier =
        !name.empty() && std::all_of(name.begin(), name.end(), [](char ch) {
          return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_';
        });
    if (!identifier) {
      out.append(text, open, 2);
      pos = open + 2;
      continue;
    }
    if (name == "size") {
      out += std::to_string(size);
    } else if (name == "module" || name == "index") {
      if (module_index == 0) {
        throw std::invalid_argument(
            fmt::format("{{{{{}}}}} outside a per-module file or a {{{{#modules}}}} block", name));
      }
      out += name == "module" ? module_name(module_index) : std::to_string(module_index);
    } else {
      throw std::invalid_argument(fmt::format("unknown placeholder {{{{{}}}}}", name));
    }
    pos = close + 2;
  }
  return out;
}

std::string read_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error(fmt::format("cannot read {}", file.string()));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_file(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error(fmt::format("cannot write {}", file.string()));
}

}  // namespace

std::string render_template(const std::string& text, int size, int module_index) {
  std::string expanded;
  std::size_t pos = 0;
  while (true) {
    const std::size_t open = text.find(kBlockOpen, pos);
    if (open == std::string::npos) {
      if (text.find(kBlockClose, pos) != std::string::npos) {
        throw std::invalid_argument("{{/modules}} without {{#modules}}");
      }
      expanded += replace_placeholders(text.substr(pos), size, module_index);
      break;
    }
    const std::size_t body = open + kBlockOpen.size();
    const std::size_t close = text.find(kBlockClose, body);
    if (close == std::string::npos) throw std::invalid_argument("unclosed {{#modules}} block");
    const std::string inner = text.substr(body, close - body);
    if (inner.find(kBlockOpen) != std::string::npos) {
      throw std::invalid_argument("{{#modules}} blocks do not nest");
    }
    expanded += replace_placeholders(text.substr(pos, open - pos), size, module_index);
    for (int i = 1; i <= size; ++i) expanded += replace_placeholders(inner, size, i);
    pos = close + kBlockClose.size();
  }
  return expanded;
}

int generate_service(const fs::path& template_dir, const fs::path& out_dir, int size) {
  if (size < 1) throw std::invalid_argument(fmt::format("size {}: at least one module", size));
  if (!fs::is_directory(template_dir)) {
    throw ConfigError(fmt::format("template folder {} does not exist", template_dir.string()));
  }
  if (fs::exists(out_dir) && !fs::is_empty(out_dir)) {
    throw std::runtime_error(fmt::format("{} is not empty", out_dir.string()));
  }
  fs::create_directories(out_dir);
  std::vector<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(template_dir)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  int written = 0;
  for (const fs::path& file : files) {
    std::string relative = fs::relative(file, template_dir).generic_string();
    const bool render = relative.size() > 5 && relative.ends_with(".tmpl");
    if (render) relative.resize(relative.size() - 5);
    const bool per_module = relative.find(kModuleToken) != std::string::npos;
    const std::string text = read_file(file);
    for (int i = per_module ? 1 : 0; i <= (per_module ? size : 0); ++i) {
      std::string name = relative;
      for (std::size_t at; per_module && (at = name.find(kModuleToken)) != std::string::npos;) {
        name.replace(at, kModuleToken.size(), module_name(i));
      }
      std::string content = text;
      if (render) {
        try {
          content = render_template(text, size, i);
        } catch (const std::invalid_argument& e) {
          throw ConfigError(fmt::format("{}: {}", file.string(), e.what()));
        }
      }
      write_file(out_dir / name, content);
      ++written;
    }
  }
  return written;
}

long LineCount::code_in(const std::vector<std::string>& languages) const {
  long total = 0;
  for (const std::string& language : languages) {
    const auto it = code_by_language.find(language);
    if (it != code_by_language.end()) total += it->second;
  }
  return total;
}

LineCount count_lines(const fs::path& dir) {
  if (!find_program("cloc")) {
    throw MissingToolError("'cloc' not found (counts lines of code): apt-get install cloc");
  }
  const auto output = capture_output({"cloc", "--json", "--quiet", dir.string()});
  if (!output) throw std::runtime_error(fmt::format("cloc failed on {}", dir.string()));
  LineCount count;
  const nlohmann::json report = nlohmann::json::parse(*output, nullptr, false);
  if (!report.is_object()) throw std::runtime_error("cloc printed no JSON report");
  for (const auto& [language, figures] : report.items()) {
    if (language == "header" || language == "SUM" || !figures.is_object()) continue;
    count.code_by_language[language] = figures.value("code", 0L);
  }
  return count;
}

}  // namespace hellobench
