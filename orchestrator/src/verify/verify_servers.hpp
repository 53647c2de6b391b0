// `hellobench verify` and a run's pre-flight check: every configured server started and held
// to the contract (lifecycle, HTTP, the service routes, parity across servers) before any load.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "trial/trials.hpp"

namespace hellobench {

// The verify block of results.json:
//   {"servers": {name: {"passed", "warnings", "checks": [{name, passed, detail, timing,
//    [skipped]}]}}, "parity": [...], "service_parity": [...], "passed"}
// A server fails when a check that is not a timing check fails: it is listed in
// failed_servers and not benchmarked. A server whose only failures are timing checks (see
// CheckResult::timing) passes with those failures in its "warnings": it is benchmarked, and
// the results say why it was warned about.
struct VerifyOutcome {
  nlohmann::json json;
  std::vector<std::string> failed_servers;
  std::vector<std::string> warned_servers;  // passed, with warnings
};
// The service checks need contract/vectors/service.json (found next to the config or in the
// source tree; ConfigError when missing) and the server's `live_mb` setting; a server without
// that setting has them skipped, with the reason.
VerifyOutcome verify_servers(const RunContext& context, bool slow_checks = false);

}  // namespace hellobench
