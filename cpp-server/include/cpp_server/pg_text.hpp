// Values in PostgreSQL's text output format, as libpq hands them over.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cpp_server::pg {

// A one-dimensional text[] value (`{tag-7,group-3}`, `{"a b","x\"y"}`, `{}`) into `elements`,
// reusing the strings already there. False for anything else: NULL elements, several
// dimensions, explicit bounds (`[0:1]={...}`), malformed quoting.
bool parse_text_array(std::string_view text, std::vector<std::string>& elements);

// A boolean: `t` or `f`.
std::optional<bool> parse_bool(std::string_view text);

// A smallint, integer or bigint: an optional `-`, then decimal digits.
std::optional<std::int64_t> parse_int64(std::string_view text);

}  // namespace cpp_server::pg
