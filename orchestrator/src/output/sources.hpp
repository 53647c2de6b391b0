// Lines of code of each server (the loc claim, CLAIMS.md): the files a [server.loc] entry
// names, counted by cloc (code lines only: no blanks, no comments), the same way for every
// language. Static, so every configured server is counted, whatever the run measures.
#pragma once

#include <nlohmann/json.hpp>

#include "config/config.hpp"

namespace hellobench {

// results.json `sources`: [{server, tier, language, files, code_lines, comment_lines,
// blank_lines, counter}] for the servers with loc files; a server whose files cannot be counted
// (cloc missing, a file missing) carries `error` instead of the counts.
nlohmann::json count_server_sources(const Config& config);

}  // namespace hellobench
