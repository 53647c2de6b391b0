// Claim verdicts (CLAIMS.md, CONTRACT.md 2.2). A claim is data (hellobench.toml [[claim]]): a
// list of parts, each a selection (source, metric from the registry, scenario or sweep point),
// an estimator from a closed set (value, ratio, difference, held_rate) and a rule (side,
// threshold). No code knows a claim by its id: adding a claim, or a fourth server to every
// claim, is a config change.
//
// The rule, per judged part: `holds` when the whole interval is on the article's side of the
// threshold, `does not hold` when it is wholly on the other side, `inconclusive` when it
// straddles it, when its stated coverage is below kMinDecidingCoverage (n too small for the
// interval to mean much), or when the run did not measure it (the reason names what to run).
// A claim's verdict comes from its `regime` parts (the article's regime): it does not hold if
// any does not hold, holds if every one holds, and is inconclusive otherwise. `floor` parts (the
// hello routes: each stack's fixed cost) are judged and shown beside it; `context` parts are
// shown only. A part with a sweep and no point is a curve: it is estimated at every point, and
// the report says where along the curve the figure crosses the threshold.
//
// A claim whose evaluation throws is reported with verdict "error" and its message, never as
// inconclusive: a broken computation must turn a run red (`claim_errors`).
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "config/config.hpp"

namespace hellobench {

inline constexpr const char* kHolds = "holds";
inline constexpr const char* kDoesNotHold = "does not hold";
inline constexpr const char* kInconclusive = "inconclusive";
inline constexpr const char* kError = "error";

// Checks every name a claim uses (source, metric, estimator, servers, scenario, sweep, point)
// against the registry and the config; throws ConfigError naming FILE:LINE:COLUMN of the part.
void validate_claims(const Config& config);

// The `claims` array of results.json, one entry per claim in config order.
nlohmann::json evaluate_claims(const nlohmann::json& results,
                               const std::vector<ClaimConfig>& claims);

// The number of claims whose evaluation failed (verdict "error").
int claim_errors(const nlohmann::json& claims);

// results.json `claims_note`: the rule of verdicts in one paragraph, for a reader of the file.
const char* claims_note();

// The config's claims as results.json keeps them (`claims_config`), and back, so that
// `evaluate_claims` can run on a results file alone.
nlohmann::json claims_config_json(const std::vector<ClaimConfig>& claims);
std::vector<ClaimConfig> claims_from_json(const nlohmann::json& claims_config);

}  // namespace hellobench
