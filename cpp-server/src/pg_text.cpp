#include "cpp_server/pg_text.hpp"

#include <algorithm>
#include <charconv>

namespace cpp_server::pg {

namespace {

bool is_null_literal(std::string_view text) {
  if (text.size() != 4) return false;
  for (std::size_t i = 0; i < 4; ++i) {
    if ((text[i] | 0x20) != "null"[i]) return false;
  }
  return true;
}

}  // namespace

bool parse_text_array(std::string_view text, std::vector<std::string>& elements) {
  if (text.size() < 2 || text.front() != '{' || text.back() != '}') return false;
  const std::string_view body = text.substr(1, text.size() - 2);
  if (body.empty()) {
    elements.clear();
    return true;
  }
  std::size_t count = 0;
  std::size_t at = 0;
  for (;;) {
    if (count == elements.size()) elements.emplace_back();
    std::string& element = elements[count++];
    element.clear();
    if (at < body.size() && body[at] == '"') {
      // Quoted: \" and \\ are escapes, anything else is itself.
      for (++at;; ++at) {
        if (at >= body.size()) return false;
        char c = body[at];
        if (c == '"') break;
        if (c == '\\') {
          if (++at >= body.size()) return false;
          c = body[at];
        }
        element.push_back(c);
      }
      ++at;
    } else {
      // Unquoted: PostgreSQL quotes every element holding a delimiter, quote, backslash, brace
      // or space, and every empty one, so none of those may appear here.
      const std::size_t end = std::min(body.find(',', at), body.size());
      const std::string_view raw = body.substr(at, end - at);
      if (raw.empty() || raw.find_first_of("{}\"\\ ") != std::string_view::npos ||
          is_null_literal(raw)) {
        return false;
      }
      element.assign(raw);
      at = end;
    }
    if (at == body.size()) break;
    if (body[at] != ',') return false;
    ++at;
  }
  elements.resize(count);
  return true;
}

std::optional<bool> parse_bool(std::string_view text) {
  if (text == "t") return true;
  if (text == "f") return false;
  return std::nullopt;
}

std::optional<std::int64_t> parse_int64(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace cpp_server::pg
