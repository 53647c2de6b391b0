// `hellobench verify` and a run's pre-flight check: every configured server started and held
// to the contract (lifecycle, HTTP, parity across servers) before any load.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "trial/trials.hpp"

namespace hellobench {

// verify block of results.json: {"servers": {name: {passed, checks}}, "parity": [...]}.
// Servers that fail are listed in failed_servers (they are not benchmarked).
struct VerifyOutcome {
  nlohmann::json json;
  std::vector<std::string> failed_servers;
};
VerifyOutcome verify_servers(const RunContext& context, bool slow_checks = false);

}  // namespace hellobench
