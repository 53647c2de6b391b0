// Markdown from a results document: what `hellobench report` prints and what a run writes as
// summary.md. Everything shown is read from results.json, so a report can be rebuilt later.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace hellobench {

std::string render_markdown(const nlohmann::json& results);

}  // namespace hellobench
