#include "gate/rules.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <toml++/toml.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "core/errors.hpp"

namespace hellobench {

namespace fs = std::filesystem;

namespace {

class RuleReader {
 public:
  explicit RuleReader(fs::path file) : file_(std::move(file)) {}

  std::string position(const toml::source_region& where) const {
    if (where.begin.line == 0) return file_.string();
    return fmt::format("{}:{}:{}", file_.string(), where.begin.line, where.begin.column);
  }

  [[noreturn]] void fail(const toml::source_region& where, const std::string& message) const {
    throw ConfigError(fmt::format("{}: {}", position(where), message));
  }

  void only_keys(const toml::table& table, const std::string& context,
                 std::initializer_list<std::string_view> allowed) const {
    for (auto&& [key, value] : table) {
      if (std::find(allowed.begin(), allowed.end(), key.str()) == allowed.end()) {
        fail(key.source().begin.line ? key.source() : value.source(),
             fmt::format("{}: unknown field '{}' (allowed: {})", context, key.str(),
                         fmt::join(allowed, ", ")));
      }
    }
  }

  std::optional<std::string> string(const toml::table& table, std::string_view key,
                                    const std::string& context, bool required) const {
    const toml::node* node = table.get(key);
    if (!node) {
      if (required) fail(table.source(), fmt::format("{}: missing field '{}'", context, key));
      return std::nullopt;
    }
    if (!node->is_string()) {
      fail(node->source(), fmt::format("{}.{}: expected a string", context, key));
    }
    return std::string(*node->as_string());
  }

  std::optional<double> number(const toml::table& table, std::string_view key,
                               const std::string& context, bool required) const {
    const toml::node* node = table.get(key);
    if (!node) {
      if (required) fail(table.source(), fmt::format("{}: missing field '{}'", context, key));
      return std::nullopt;
    }
    if (node->is_integer()) return static_cast<double>(node->as_integer()->get());
    if (node->is_floating_point()) return node->as_floating_point()->get();
    fail(node->source(), fmt::format("{}.{}: expected a number", context, key));
  }

  std::vector<std::string> strings(const toml::table& table, std::string_view key,
                                   const std::string& context) const {
    const toml::node* node = table.get(key);
    if (!node) return {};
    const toml::array* array = node->as_array();
    if (!array)
      fail(node->source(), fmt::format("{}.{}: expected an array of strings", context, key));
    std::vector<std::string> out;
    for (const toml::node& item : *array) {
      if (!item.is_string()) {
        fail(item.source(), fmt::format("{}.{}: expected an array of strings", context, key));
      }
      out.emplace_back(*item.as_string());
    }
    return out;
  }

  const fs::path& file() const { return file_; }

 private:
  fs::path file_;
};

std::vector<std::string> scenario_names(const Config& config) {
  std::vector<std::string> names;
  for (const ScenarioConfig& s : config.scenarios) names.push_back(s.name);
  return names;
}

std::vector<std::string> server_names(const Config& config) {
  std::vector<std::string> names;
  for (const ServerConfig& s : config.servers) names.push_back(s.name);
  return names;
}

}  // namespace

GateRules parse_gate_rules(const std::string& text, const fs::path& file, const Config& config) {
  const RuleReader r(file);
  toml::table root;
  try {
    root = toml::parse(text, file.string());
  } catch (const toml::parse_error& e) {
    r.fail(e.source(), fmt::format("TOML syntax: {}", e.description()));
  }
  r.only_keys(root, "gate rules", {"measure", "stored", "rule"});
  GateRules rules;
  rules.file = file;

  if (const toml::node* node = root.get("measure")) {
    const toml::table* t = node->as_table();
    if (!t) r.fail(node->source(), "[measure]: expected a table");
    r.only_keys(*t, "[measure]", {"repetitions", "warmup_s", "window_s", "scenarios"});
    GateMeasure& m = rules.measure;
    if (const auto v = r.number(*t, "repetitions", "[measure]", false)) {
      if (*v < 1 || *v != static_cast<int>(*v)) {
        r.fail(t->get("repetitions")->source(),
               "[measure].repetitions: expected a whole number of at least 1");
      }
      m.repetitions = static_cast<int>(*v);
    }
    m.warmup_seconds = r.number(*t, "warmup_s", "[measure]", false).value_or(m.warmup_seconds);
    m.window_seconds = r.number(*t, "window_s", "[measure]", false).value_or(m.window_seconds);
    if (m.window_seconds <= 0) {
      r.fail(t->get("window_s")->source(), "[measure].window_s: must be above 0");
    }
    m.scenarios = r.strings(*t, "scenarios", "[measure]");
    const auto known = scenario_names(config);
    for (std::size_t i = 0; i < m.scenarios.size(); ++i) {
      if (std::find(known.begin(), known.end(), m.scenarios[i]) == known.end()) {
        r.fail((*t->get("scenarios")->as_array())[i].source(),
               fmt::format("[measure].scenarios: unknown scenario '{}' (known: {})", m.scenarios[i],
                           fmt::join(known, ", ")));
      }
    }
  }
  if (const toml::node* node = root.get("stored")) {
    const toml::table* t = node->as_table();
    if (!t) r.fail(node->source(), "[stored]: expected a table");
    r.only_keys(*t, "[stored]", {"margin_factor"});
    rules.stored_margin_factor =
        r.number(*t, "margin_factor", "[stored]", false).value_or(rules.stored_margin_factor);
    if (rules.stored_margin_factor < 1) {
      r.fail(t->get("margin_factor")->source(), "[stored].margin_factor: must be at least 1");
    }
  }

  const toml::node* list = root.get("rule");
  if (!list) r.fail(root.source(), "no [[rule]]: a gate without rules would pass anything");
  const toml::array* array = list->as_array();
  if (!array || !array->is_array_of_tables()) {
    r.fail(list->source(), "rule: expected [[rule]] tables");
  }
  const auto known_servers = server_names(config);
  for (std::size_t index = 0; index < array->size(); ++index) {
    const toml::table& t = *(*array)[index].as_table();
    GateRule rule;
    rule.where = r.position(t.source());
    const std::string unnamed = fmt::format("rule[{}]", index);
    rule.name = r.string(t, "name", unnamed, true).value();
    const std::string context = fmt::format("rule '{}'", rule.name);
    for (const GateRule& other : rules.rules) {
      if (other.name == rule.name) {
        r.fail(t.source(),
               fmt::format("{}: a rule of that name exists already (at {})", context, other.where));
      }
    }
    r.only_keys(
        t, context,
        {"name", "metric", "servers", "scenario", "allowed_pct", "stored_allowed_pct", "severity"});
    const std::string metric = r.string(t, "metric", context, true).value();
    rule.metric = find_metric(metric);
    if (!rule.metric || (rule.metric->source != MetricSource::trials &&
                         rule.metric->source != MetricSource::binaries)) {
      r.fail(t.get("metric")->source(),
             fmt::format("{}.metric: '{}' is not a metric the gate measures (trials: {}; "
                         "binaries: {})",
                         context, metric, metric_names(MetricSource::trials),
                         metric_names(MetricSource::binaries)));
    }
    rule.servers = r.strings(t, "servers", context);
    for (std::size_t i = 0; i < rule.servers.size(); ++i) {
      if (std::find(known_servers.begin(), known_servers.end(), rule.servers[i]) ==
          known_servers.end()) {
        r.fail((*t.get("servers")->as_array())[i].source(),
               fmt::format("{}.servers: unknown server '{}' (known: {})", context, rule.servers[i],
                           fmt::join(known_servers, ", ")));
      }
    }
    const auto scenario = r.string(t, "scenario", context, false);
    if (rule.metric->source == MetricSource::trials) {
      if (!scenario) {
        r.fail(t.source(), fmt::format("{}: missing field 'scenario' (metric {} is measured per "
                                       "scenario)",
                                       context, metric));
      }
      const auto known = scenario_names(config);
      if (std::find(known.begin(), known.end(), *scenario) == known.end()) {
        r.fail(t.get("scenario")->source(),
               fmt::format("{}.scenario: unknown scenario '{}' (known: {})", context, *scenario,
                           fmt::join(known, ", ")));
      }
      rule.scenario = *scenario;
    } else if (scenario) {
      r.fail(t.get("scenario")->source(),
             fmt::format("{}.scenario: metric {} is one figure per binary, not per scenario",
                         context, metric));
    }
    rule.allowed_pct = r.number(t, "allowed_pct", context, true).value();
    if (rule.allowed_pct < 0 || rule.allowed_pct >= 1000) {
      r.fail(
          t.get("allowed_pct")->source(),
          fmt::format("{}.allowed_pct: {} is out of range (0 to 1000)", context, rule.allowed_pct));
    }
    if (!rule.metric->lower_is_better && rule.allowed_pct >= 100) {
      r.fail(t.get("allowed_pct")->source(),
             fmt::format("{}.allowed_pct: {} would allow {} to fall to nothing (below 100)",
                         context, rule.allowed_pct, metric));
    }
    rule.stored_allowed_pct = r.number(t, "stored_allowed_pct", context, false)
                                  .value_or(rule.allowed_pct * rules.stored_margin_factor);
    if (!rule.metric->lower_is_better) {
      rule.stored_allowed_pct = std::min(rule.stored_allowed_pct, 99.0);
    }
    const std::string severity = r.string(t, "severity", context, true).value();
    if (severity != "hard" && severity != "soft") {
      r.fail(t.get("severity")->source(),
             fmt::format("{}.severity: '{}' is not 'hard' or 'soft'", context, severity));
    }
    rule.hard = severity == "hard";
    rules.rules.push_back(rule);
  }
  // A trial rule on a scenario the same-job gate does not run would never be judged there.
  for (std::size_t index = 0; index < rules.rules.size(); ++index) {
    const GateRule& rule = rules.rules[index];
    const auto& s = rules.measure.scenarios;
    if (!rule.scenario.empty() && !s.empty() &&
        std::find(s.begin(), s.end(), rule.scenario) == s.end()) {
      throw ConfigError(fmt::format(
          "{}: rule '{}'.scenario: '{}' is not among [measure].scenarios ({}), so the same-job "
          "gate would never measure it",
          rule.where, rule.name, rule.scenario, fmt::join(s, ", ")));
    }
  }
  return rules;
}

GateRules load_gate_rules(const fs::path& file, const Config& config) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw ConfigError(fmt::format("{}: cannot read the gate rules file", file.string()));
  std::stringstream text;
  text << in.rdbuf();
  return parse_gate_rules(text.str(), fs::absolute(file), config);
}

fs::path default_rules_path(const Config& config) { return config.base_dir / "gate.toml"; }

ProfileConfig gate_profile(const GateRules& rules) {
  ProfileConfig p;
  p.name = "gate";
  p.repetitions = rules.measure.repetitions;
  p.warmup_seconds = rules.measure.warmup_seconds;
  p.window_seconds = rules.measure.window_seconds;
  p.scenarios = rules.measure.scenarios;
  return p;
}

}  // namespace hellobench
