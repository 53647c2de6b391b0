// Claim verdicts (CLAIMS.md, CONTRACT.md 2.2): per claim of the article, the measured figure
// with its 95% interval and n, and `holds`, `does not hold` or `inconclusive`.
//
// A pure function of a results document and the config's claims, so a results.json can be
// re-evaluated later and the rules are testable on hand-made fixtures. Only valid trials count.
// The rule: the claim states a side of a threshold (at_most / at_least); the claim holds when
// the whole 95% interval is on that side, does not hold when it is wholly on the other side,
// and is inconclusive when the interval straddles the threshold, when n = 1 (a single value is
// not an interval), when a throughput figure was load-generator-bound, or when the profile did
// not measure it.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "config/config.hpp"

namespace hellobench {

inline constexpr const char* kHolds = "holds";
inline constexpr const char* kDoesNotHold = "does not hold";
inline constexpr const char* kInconclusive = "inconclusive";

// The `claims` array of results.json: one entry per claim, in config order, with id, text,
// article, article_unit, metric, unit, comparison, side, threshold, measured {value, ci95, n,
// per_server}, verdict, reason, scope, parts (one per scenario and metric judged) and
// not_measured.
nlohmann::json evaluate_claims(const nlohmann::json& results,
                               const std::vector<ClaimConfig>& claims);

// results.json `claims_note`: the rule of verdicts in one paragraph, for a reader of the file.
const char* claims_note();

// The config's claims as results.json keeps them (`claims_config`), and back, so that
// `evaluate_claims` can run on a results file alone.
nlohmann::json claims_config_json(const std::vector<ClaimConfig>& claims);
std::vector<ClaimConfig> claims_from_json(const nlohmann::json& claims_config);

}  // namespace hellobench
