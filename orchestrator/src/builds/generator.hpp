// Generated services (CONTRACT.md 2.1): one service shape, written once per language as
// templates (services/templates/<language>/), emitted at any number of modules.
//
// The template rules, the same for every language:
//   - a file whose path holds `__module__` is emitted once per module, the name with it
//     replaced by the module's name (m001, m002, ...);
//   - a file ending in `.tmpl` is rendered and written without the suffix; other files are
//     copied byte for byte (so Rust's and Go's own braces never meet the template syntax);
//   - in a rendered file, `{{size}}` is the number of modules, `{{module}}` the module's name
//     and `{{index}}` its number (per-module files), and `{{#modules}}...{{/modules}}` repeats
//     its text once per module with those placeholders set.
#pragma once

#include <filesystem>
#include <map>
#include <vector>
#include <string>

namespace hellobench {

// m001 for 1; three digits up to 999, then as many as needed (names sort in module order).
std::string module_name(int index);

// Renders one template text; `module_index` 0 outside per-module files. An unknown
// placeholder or an unclosed block is a std::invalid_argument naming it.
std::string render_template(const std::string& text, int size, int module_index = 0);

// Emits the service at `size` modules from template_dir into out_dir (created; must not
// exist or be empty). Returns the number of files written.
int generate_service(const std::filesystem::path& template_dir,
                     const std::filesystem::path& out_dir, int size);

// Lines of code by cloc (`cloc --json --quiet DIR`), the same way for every language: code
// lines, without blanks and comments, per cloc language name.
struct LineCount {
  std::map<std::string, long> code_by_language;
  long code_in(const std::vector<std::string>& languages) const;
};
// Throws MissingToolError when cloc is missing, std::runtime_error when it fails.
LineCount count_lines(const std::filesystem::path& dir);

}  // namespace hellobench
