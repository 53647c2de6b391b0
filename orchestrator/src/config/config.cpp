#include "config/config.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "core/errors.hpp"

namespace hellobench {

namespace fs = std::filesystem;

const char* to_string(LoadMode mode) { return mode == LoadMode::open ? "open" : "closed"; }

namespace {

// Reads typed fields out of toml++ tables and turns every problem into a ConfigError that
// names FILE:LINE:COLUMN and the dotted field name.
class Reader {
 public:
  explicit Reader(fs::path file) : file_(std::move(file)) {}

  [[noreturn]] void fail(const toml::source_region& where, const std::string& message) const {
    if (where.begin.line == 0) throw ConfigError(fmt::format("{}: {}", file_.string(), message));
    throw ConfigError(
        fmt::format("{}:{}:{}: {}", file_.string(), where.begin.line, where.begin.column, message));
  }
  [[noreturn]] void fail(const toml::node& node, const std::string& message) const {
    fail(node.source(), message);
  }

  // Unknown keys are errors: a typo must not silently fall back to a default.
  void only_keys(const toml::table& table, const std::string& context,
                 std::initializer_list<std::string_view> allowed) const {
    for (auto&& [key, value] : table) {
      if (std::find(allowed.begin(), allowed.end(), key.str()) == allowed.end()) {
        fail(key.source().begin.line ? key.source() : value.source(),
             fmt::format("{}: unknown key '{}' (allowed: {})", context, key.str(),
                         fmt::join(allowed, ", ")));
      }
    }
  }

  const toml::node* find(const toml::table& table, std::string_view key) const {
    return table.get(key);
  }

  std::string string(const toml::table& table, std::string_view key, const std::string& context,
                     std::optional<std::string> fallback = std::nullopt) const {
    const toml::node* node = find(table, key);
    if (!node) {
      if (fallback) return *fallback;
      fail(table, fmt::format("{}: missing field '{}'", context, key));
    }
    if (!node->is_string()) fail(*node, fmt::format("{}.{}: expected a string", context, key));
    return std::string(*node->as_string());
  }

  double number(const toml::table& table, std::string_view key, const std::string& context,
                std::optional<double> fallback = std::nullopt) const {
    const toml::node* node = find(table, key);
    if (!node) {
      if (fallback) return *fallback;
      fail(table, fmt::format("{}: missing field '{}'", context, key));
    }
    if (node->is_integer()) return static_cast<double>(node->as_integer()->get());
    if (node->is_floating_point()) return node->as_floating_point()->get();
    fail(*node, fmt::format("{}.{}: expected a number", context, key));
  }

  int integer(const toml::table& table, std::string_view key, const std::string& context,
              std::optional<int> fallback = std::nullopt, int minimum = 0) const {
    const toml::node* node = find(table, key);
    if (!node) {
      if (fallback) return *fallback;
      fail(table, fmt::format("{}: missing field '{}'", context, key));
    }
    if (!node->is_integer()) fail(*node, fmt::format("{}.{}: expected an integer", context, key));
    const std::int64_t value = node->as_integer()->get();
    if (value < minimum || value > 1'000'000'000) {
      fail(*node,
           fmt::format("{}.{}: {} is out of range (at least {})", context, key, value, minimum));
    }
    return static_cast<int>(value);
  }

  std::vector<std::string> strings(const toml::table& table, std::string_view key,
                                   const std::string& context, bool required = false) const {
    const toml::node* node = find(table, key);
    if (!node) {
      if (required) fail(table, fmt::format("{}: missing field '{}'", context, key));
      return {};
    }
    return string_array(*node, fmt::format("{}.{}", context, key));
  }

  std::vector<std::string> string_array(const toml::node& node, const std::string& field) const {
    const toml::array* array = node.as_array();
    if (!array) fail(node, fmt::format("{}: expected an array of strings", field));
    std::vector<std::string> out;
    for (const toml::node& item : *array) {
      if (!item.is_string()) fail(item, fmt::format("{}: expected an array of strings", field));
      out.emplace_back(*item.as_string());
    }
    return out;
  }

  // One command: a non-empty array of strings (never a shell line).
  Argv argv(const toml::node& node, const std::string& field) const {
    Argv out = string_array(node, field);
    if (out.empty() || out.front().empty()) {
      fail(node, fmt::format("{}: a command needs at least the program name", field));
    }
    return out;
  }

  // A list of commands: an array of arrays of strings.
  std::vector<Argv> commands(const toml::table& table, std::string_view key,
                             const std::string& context, bool required = false) const {
    const toml::node* node = find(table, key);
    if (!node) {
      if (required) fail(table, fmt::format("{}: missing field '{}'", context, key));
      return {};
    }
    const std::string field = fmt::format("{}.{}", context, key);
    const toml::array* array = node->as_array();
    if (!array)
      fail(*node, fmt::format("{}: expected a list of commands ([[\"prog\", \"arg\"]])", field));
    std::vector<Argv> out;
    for (const toml::node& item : *array) {
      if (!item.is_array()) {
        fail(item, fmt::format("{}: expected a list of commands ([[\"prog\", \"arg\"]])", field));
      }
      out.push_back(argv(item, field));
    }
    if (required && out.empty()) fail(*node, fmt::format("{}: needs at least one command", field));
    return out;
  }

  const toml::table* table(const toml::table& parent, std::string_view key,
                           const std::string& context, bool required = false) const {
    const toml::node* node = find(parent, key);
    if (!node) {
      if (required) fail(parent, fmt::format("{}: missing table '{}'", context, key));
      return nullptr;
    }
    if (!node->is_table()) fail(*node, fmt::format("{}.{}: expected a table", context, key));
    return node->as_table();
  }

  // [[name]]: an array of tables (absent = empty).
  std::vector<const toml::table*> tables(const toml::table& parent, std::string_view key) const {
    const toml::node* node = find(parent, key);
    if (!node) return {};
    const toml::array* array = node->as_array();
    if (!array) fail(*node, fmt::format("'{}' must be written as [[{}]] tables", key, key));
    std::vector<const toml::table*> out;
    for (const toml::node& item : *array) {
      if (!item.is_table())
        fail(item, fmt::format("'{}' must be written as [[{}]] tables", key, key));
      out.push_back(item.as_table());
    }
    return out;
  }

  const fs::path& file() const { return file_; }

 private:
  fs::path file_;
};

// A table of scalars as strings (settings = { live_mb = 100 } -> "100").
std::map<std::string, std::string> scalar_table(const Reader& r, const toml::table& t,
                                                const std::string& field) {
  std::map<std::string, std::string> out;
  for (auto&& [key, value] : t) {
    if (value.is_string()) {
      out[std::string(key.str())] = std::string(*value.as_string());
    } else if (value.is_integer()) {
      out[std::string(key.str())] = std::to_string(value.as_integer()->get());
    } else if (value.is_floating_point()) {
      out[std::string(key.str())] = fmt::format("{}", value.as_floating_point()->get());
    } else {
      r.fail(value, fmt::format("{}.{}: expected a string or a number", field, key.str()));
    }
  }
  return out;
}

BuildRecipe read_recipe(const Reader& r, const toml::table& t, const std::string& context) {
  r.only_keys(t, context, {"configure", "build", "binary"});
  BuildRecipe recipe;
  recipe.configure = r.commands(t, "configure", context);
  recipe.build = r.commands(t, "build", context, /*required=*/true);
  recipe.binary = r.string(t, "binary", context, std::string("{out}"));
  return recipe;
}

ServerConfig read_server(const Reader& r, const toml::table& t, std::size_t index,
                         const fs::path& base) {
  std::string context = fmt::format("server[{}]", index);
  ServerConfig s;
  s.name = r.string(t, "name", context);
  context = fmt::format("server '{}'", s.name);
  if (s.name.empty() || s.name.find_first_of(", /") != std::string::npos) {
    r.fail(*t.get("name"),
           fmt::format("{}: name must be non-empty, without ',', ' ' or '/'", context));
  }
  r.only_keys(t, context,
              {"name", "label", "language", "tier", "source_dir", "binary", "run", "tuning",
               "options", "env", "loc", "edit", "build"});
  s.label = r.string(t, "label", context, s.name);
  s.language = r.string(t, "language", context);
  s.tier = r.string(t, "tier", context, std::string("stock"));
  if (s.tier != "minimal" && s.tier != "stock" && s.tier != "tuned") {
    r.fail(*t.get("tier"),
           fmt::format("{}.tier: '{}' is not minimal, stock or tuned", context, s.tier));
  }
  s.source_dir = (base / r.string(t, "source_dir", context)).lexically_normal();
  s.binary = r.string(t, "binary", context);
  const toml::node* run = t.get("run");
  if (!run) r.fail(t, fmt::format("{}: missing field 'run'", context));
  s.run = r.argv(*run, context + ".run");
  s.tuning = r.string(t, "tuning", context, std::string());
  if (const toml::table* options = r.table(t, "options", context)) {
    for (auto&& [key, value] : *options) {
      const std::string field = fmt::format("{}.options.{}", context, key.str());
      Argv fragment = r.string_array(value, field);
      if (fragment.empty()) r.fail(value, field + ": expected at least one argument");
      s.options.emplace(std::string(key.str()), std::move(fragment));
    }
  }

  if (const toml::table* env = r.table(t, "env", context)) {
    for (const auto& [key, value] : scalar_table(r, *env, context + ".env")) {
      s.env.emplace_back(key, value);
    }
  }
  if (const toml::table* edit = r.table(t, "edit", context)) {
    const std::string edit_context = context + ".edit";
    r.only_keys(*edit, edit_context, {"file", "marker", "line", "also"});
    s.edit.file = r.string(*edit, "file", edit_context);
    s.edit.marker = r.string(*edit, "marker", edit_context, std::string("hellobench:add-field"));
    s.edit.line = r.string(*edit, "line", edit_context);
    if (const toml::node* also = edit->get("also")) {
      const toml::array* items = also->as_array();
      if (!items) r.fail(*also, edit_context + ".also: expected an array of {marker, line} tables");
      for (const toml::node& item : *items) {
        const toml::table* t2 = item.as_table();
        if (!t2) r.fail(item, edit_context + ".also: expected {marker = ..., line = ...}");
        r.only_keys(*t2, edit_context + ".also", {"marker", "line"});
        s.edit.also.emplace_back(r.string(*t2, "marker", edit_context + ".also"),
                                 r.string(*t2, "line", edit_context + ".also"));
      }
    }
  } else if (s.tier != "minimal") {
    r.fail(t, fmt::format("{}: missing table 'edit' (the one-field edit of the incremental "
                          "build; only a minimal-tier server may go without)",
                          context));
  }
  if (const toml::table* loc = r.table(t, "loc", context)) {
    r.only_keys(*loc, context + ".loc", {"files"});
    s.loc_files = r.strings(*loc, "files", context + ".loc", /*required=*/true);
  }
  if (const toml::table* build = r.table(t, "build", context)) {
    const std::string build_context = context + ".build";
    r.only_keys(*build, build_context, {"fetch", "test", "env", "debug", "release"});
    s.build.fetch = r.commands(*build, "fetch", build_context);
    s.build.test = r.commands(*build, "test", build_context);
    if (const toml::table* env = r.table(*build, "env", build_context)) {
      for (auto&& [key, value] : *env) {
        if (!value.is_string()) {
          r.fail(value, fmt::format("{}.env.{}: expected a string", build_context, key.str()));
        }
        s.build.env.emplace_back(std::string(key.str()), std::string(*value.as_string()));
      }
    }
    if (const toml::table* debug = r.table(*build, "debug", build_context)) {
      s.build.debug = read_recipe(r, *debug, build_context + ".debug");
    }
    if (const toml::table* release = r.table(*build, "release", build_context)) {
      s.build.release = read_recipe(r, *release, build_context + ".release");
    }
  }
  return s;
}

ScenarioConfig read_scenario(const Reader& r, const toml::table& t, std::size_t index,
                             const fs::path& base) {
  std::string context = fmt::format("scenario[{}]", index);
  ScenarioConfig s;
  s.name = r.string(t, "name", context);
  context = fmt::format("scenario '{}'", s.name);
  r.only_keys(t, context,
              {"name", "path", "generator", "mode", "connections", "rate", "method", "headers",
               "body_file", "targets_file", "draws", "settings", "warmup_s", "window_s",
               "timeout_s", "generator_hosts", "claims", "description"});
  s.path = r.string(t, "path", context);
  if (s.path.empty() || s.path.front() != '/') {
    r.fail(*t.get("path"), fmt::format("{}.path: must start with '/'", context));
  }
  s.generator = r.string(t, "generator", context, std::string("wrk"));
  if (s.generator != "wrk" && s.generator != "loadgen") {
    r.fail(*t.get("generator"),
           fmt::format("{}.generator: '{}' is not 'wrk' or 'loadgen'", context, s.generator));
  }
  const std::string mode = r.string(t, "mode", context, std::string("closed"));
  if (mode == "closed") {
    s.mode = LoadMode::closed;
  } else if (mode == "open") {
    s.mode = LoadMode::open;
  } else {
    r.fail(*t.get("mode"), fmt::format("{}.mode: '{}' is not 'closed' or 'open'", context, mode));
  }
  s.connections = r.integer(t, "connections", context, 64, 1);
  if (t.get("rate")) {
    const double rate = r.number(t, "rate", context);
    if (rate <= 0) r.fail(*t.get("rate"), fmt::format("{}.rate: must be positive", context));
    s.rate = rate;
  }
  if (s.mode == LoadMode::open && !s.rate) {
    r.fail(t, fmt::format("{}: mode 'open' needs a 'rate' (requests/s)", context));
  }
  if (s.mode == LoadMode::closed && s.rate) {
    r.fail(*t.get("rate"), fmt::format("{}.rate: only an open-mode scenario has a rate", context));
  }
  if (s.mode == LoadMode::open && s.generator == "wrk") {
    r.fail(t.get("generator") ? t.get("generator")->source() : t.get("mode")->source(),
           fmt::format("{}.generator: wrk cannot hold a fixed rate; use 'loadgen'", context));
  }
  s.method = r.string(t, "method", context, std::string("GET"));
  s.headers = r.strings(t, "headers", context);
  if (t.get("body_file"))
    s.body_file = (base / r.string(t, "body_file", context)).lexically_normal();
  if (t.get("targets_file")) {
    s.targets_file = (base / r.string(t, "targets_file", context)).lexically_normal();
  }
  if (const toml::table* draws = r.table(t, "draws", context)) {
    s.draws = scalar_table(r, *draws, context + ".draws");
  }
  if (const toml::table* settings = r.table(t, "settings", context)) {
    s.settings = scalar_table(r, *settings, context + ".settings");
  }
  if (t.get("warmup_s")) s.warmup_seconds = r.number(t, "warmup_s", context);
  if (t.get("window_s")) {
    s.window_seconds = r.number(t, "window_s", context);
    if (*s.window_seconds <= 0) r.fail(*t.get("window_s"), context + ".window_s: must be > 0");
  }
  s.timeout_seconds = r.number(t, "timeout_s", context, 2.0);
  if (s.timeout_seconds <= 0) r.fail(*t.get("timeout_s"), context + ".timeout_s: must be > 0");
  const bool plain = s.method == "GET" && s.headers.empty() && s.body_file.empty() &&
                     s.targets_file.empty() && s.draws.empty();
  if (s.generator == "wrk" && !plain) {
    r.fail(t, fmt::format("{}: method, headers, body_file, targets_file and draws need "
                          "generator = 'loadgen' (wrk runs plain GETs here)",
                          context));
  }
  s.generator_hosts = r.strings(t, "generator_hosts", context);
  if (!s.generator_hosts.empty() && s.generator != "loadgen") {
    r.fail(*t.get("generator_hosts"),
           fmt::format("{}.generator_hosts: needs generator = 'loadgen' (wrk cannot start at an "
                       "agreed time or take a part of a load)",
                       context));
  }
  s.claims = r.strings(t, "claims", context);
  s.description = r.string(t, "description", context, std::string());
  return s;
}

std::string where(const Reader& r, const toml::node& node);

HostConfig read_host(const Reader& r, const toml::table& t, std::size_t index) {
  std::string context = fmt::format("host[{}]", index);
  HostConfig h;
  h.name = r.string(t, "name", context);
  context = fmt::format("host '{}'", h.name);
  h.where = where(r, t);
  r.only_keys(t, context,
              {"name", "prefix", "remote", "loadgen", "hellobench", "address", "threads",
               "start_margin_s", "max_start_late_ms"});
  if (h.name.empty() || h.name == "local" || h.name.find_first_of(", /") != std::string::npos) {
    r.fail(*t.get("name"), fmt::format("{}: name must be non-empty, without ',', ' ' or '/', and "
                                       "not 'local' (this machine)",
                                       context));
  }
  const toml::node* prefix = t.get("prefix");
  if (!prefix)
    r.fail(t, fmt::format("{}: missing field 'prefix' (e.g. [\"ssh\", \"{}\"])", context, h.name));
  h.prefix = r.argv(*prefix, context + ".prefix");
  h.remote = fs::path(h.prefix.front()).filename() == "ssh";
  if (const toml::node* remote = t.get("remote")) {
    if (!remote->is_boolean()) r.fail(*remote, context + ".remote: expected true or false");
    h.remote = remote->as_boolean()->get();
  }
  h.loadgen = r.string(t, "loadgen", context, std::string());
  h.hellobench = r.string(t, "hellobench", context, std::string());
  h.address = r.string(t, "address", context, std::string());
  h.threads = r.integer(t, "threads", context, 0, 0);
  h.start_margin_s = r.number(t, "start_margin_s", context, 1.0);
  if (h.start_margin_s <= 0 || h.start_margin_s > 600) {
    r.fail(*t.get("start_margin_s"), context + ".start_margin_s: must be in (0, 600]");
  }
  h.max_start_late_ms = r.number(t, "max_start_late_ms", context, 100.0);
  if (h.max_start_late_ms <= 0) {
    r.fail(*t.get("max_start_late_ms"), context + ".max_start_late_ms: must be > 0");
  }
  return h;
}

std::string where(const Reader& r, const toml::node& node) {
  const toml::source_region& at = node.source();
  return fmt::format("{}:{}:{}", r.file().string(), at.begin.line, at.begin.column);
}

SweepConfig read_sweep(const Reader& r, const toml::table& t, std::size_t index) {
  std::string context = fmt::format("sweep[{}]", index);
  SweepConfig s;
  s.name = r.string(t, "name", context);
  context = fmt::format("sweep '{}'", s.name);
  r.only_keys(t, context, {"name", "scenario", "vary", "capacity", "points", "description"});
  s.scenario = r.string(t, "scenario", context);
  s.vary = r.string(t, "vary", context, std::string("rate"));
  s.description = r.string(t, "description", context, std::string());
  if (const toml::table* c = r.table(t, "capacity", context)) {
    const std::string cc = context + ".capacity";
    r.only_keys(*c, cc, {"p99_ms", "start_rate", "growth", "refinements", "probe_s", "max_probes"});
    CapacitySearch search;
    search.p99_bound_ms = r.number(*c, "p99_ms", cc, search.p99_bound_ms);
    search.start_rate = r.number(*c, "start_rate", cc, search.start_rate);
    search.growth = r.number(*c, "growth", cc, search.growth);
    search.refinements = r.integer(*c, "refinements", cc, search.refinements, 0);
    search.probe_seconds = r.number(*c, "probe_s", cc, search.probe_seconds);
    search.max_probes = r.integer(*c, "max_probes", cc, search.max_probes, 1);
    if (search.p99_bound_ms <= 0 || search.start_rate <= 0 || search.growth <= 1 ||
        search.probe_seconds <= 0) {
      r.fail(*c, cc + ": p99_ms, start_rate and probe_s must be > 0 and growth > 1");
    }
    s.capacity = search;
  }
  const toml::node* points = t.get("points");
  if (!points || !points->is_array() || points->as_array()->empty()) {
    r.fail(points ? points->source() : t.source(),
           context + ".points: expected a non-empty array of tables");
  }
  std::set<std::string> labels;
  std::size_t i = 0;
  for (const toml::node& node : *points->as_array()) {
    const std::string pc = fmt::format("{}.points[{}]", context, i++);
    if (!node.is_table()) r.fail(node, pc + ": expected a table");
    const toml::table& p = *node.as_table();
    r.only_keys(p, pc, {"label", "rate", "fraction", "cpu_share", "of", "value", "headline"});
    SweepPoint point;
    if (p.get("rate")) point.rate = r.number(p, "rate", pc);
    if (p.get("fraction")) point.fraction = r.number(p, "fraction", pc);
    if (p.get("cpu_share")) point.cpu_share = r.number(p, "cpu_share", pc);
    if (p.get("value")) point.value = scalar_table(r, p, pc).at("value");
    point.of = r.string(p, "of", pc, std::string());
    if (const toml::node* h = p.get("headline")) {
      if (!h->is_boolean()) r.fail(*h, pc + ".headline: expected true or false");
      point.headline = h->as_boolean()->get();
    }
    const int given = (point.rate ? 1 : 0) + (point.fraction ? 1 : 0) + (point.cpu_share ? 1 : 0) +
                      (point.value ? 1 : 0);
    if (given != 1) {
      r.fail(p, pc + ": give exactly one of rate, fraction, cpu_share, value");
    }
    if (s.vary == "rate" && point.value) {
      r.fail(p, pc + ": 'value' needs vary = a server setting; this sweep varies the rate");
    }
    if (s.vary != "rate" && !point.value) {
      r.fail(p, fmt::format("{}: this sweep varies '{}': give 'value'", pc, s.vary));
    }
    if ((point.fraction || point.cpu_share) && point.of.empty()) {
      r.fail(p, pc + ": fraction and cpu_share need 'of' (the reference server)");
    }
    if ((point.fraction || point.cpu_share) && !s.capacity) {
      r.fail(p, pc + ": fraction and cpu_share need the sweep's [capacity] search");
    }
    if ((point.rate && *point.rate <= 0) || (point.fraction && *point.fraction <= 0) ||
        (point.cpu_share && (*point.cpu_share <= 0 || *point.cpu_share >= 1))) {
      r.fail(p, pc + ": rate and fraction must be > 0, cpu_share in (0, 1)");
    }
    point.label = r.string(p, "label", pc, std::string());
    if (point.label.empty()) {
      // Percentages with {:g} (six significant figures): 0.07 * 100 reads "7", not
      // "7.000000000000001".
      point.label = point.value  ? *point.value
                    : point.rate ? fmt::format("{}/s", *point.rate)
                    : point.fraction
                        ? fmt::format("{:g}% of {}", *point.fraction * 100, point.of)
                        : fmt::format("{} at {:g}% CPU", point.of, *point.cpu_share * 100);
    }
    if (!labels.insert(point.label).second) {
      r.fail(p, fmt::format("{}: duplicate label '{}'", pc, point.label));
    }
    s.points.push_back(std::move(point));
  }
  return s;
}

// Sizes of generated services: integers >= 1, strictly increasing (the curve's x axis). A
// size of 0 or a list out of order names the field and the element's FILE:LINE:COLUMN.
std::vector<int> read_sizes(const Reader& r, const toml::table& t, std::string_view key,
                            const std::string& context) {
  const toml::node* node = t.get(key);
  if (!node) return {};
  const std::string field = fmt::format("{}.{}", context, key);
  const toml::array* array = node->as_array();
  if (!array) r.fail(*node, field + ": expected an array of module counts");
  std::vector<int> sizes;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const toml::node& item = *array->get(i);
    if (!item.is_integer()) r.fail(item, fmt::format("{}[{}]: expected an integer", field, i));
    const std::int64_t size = item.as_integer()->get();
    if (size < 1 || size > 100000) {
      r.fail(item, fmt::format("{}[{}]: {} modules is not a size (1 to 100000)", field, i, size));
    }
    if (!sizes.empty() && size <= sizes.back()) {
      r.fail(item, fmt::format("{}[{}]: {} after {}: sizes must be strictly increasing", field, i,
                               size, sizes.back()));
    }
    sizes.push_back(static_cast<int>(size));
  }
  return sizes;
}

std::vector<std::string> read_loops(const Reader& r, const toml::table& t, std::string_view key,
                                    const std::string& context) {
  std::vector<std::string> loops = r.strings(t, key, context);
  for (const std::string& loop : loops) {
    const auto& known = service_loop_kinds();
    if (std::find(known.begin(), known.end(), loop) == known.end()) {
      r.fail(*t.get(key), fmt::format("{}.{}: unknown loop kind '{}' (known: {})", context, key,
                                      loop, fmt::join(known, ", ")));
    }
  }
  return loops;
}

ServiceLanguage read_service_language(const Reader& r, const toml::table& t, std::size_t index,
                                      const fs::path& base) {
  std::string context = fmt::format("services.language[{}]", index);
  ServiceLanguage l;
  l.name = r.string(t, "name", context);
  context = fmt::format("services.language '{}'", l.name);
  l.where = where(r, t);
  r.only_keys(
      t, context,
      {"name", "template", "containerfiles", "edit", "fetch", "configure", "build", "check",
       "release_configure", "release_build", "test", "dependencies", "dependencies_match", "binary",
       "release_binary", "env", "cloc_languages", "container_args", "container_volumes"});
  l.template_dir = (base / r.string(t, "template", context)).lexically_normal();
  l.containerfiles = (base / r.string(t, "containerfiles", context)).lexically_normal();
  const toml::table* edit = r.table(t, "edit", context, /*required=*/true);
  r.only_keys(*edit, context + ".edit", {"file", "marker", "line"});
  l.edit.file = r.string(*edit, "file", context + ".edit");
  l.edit.marker = r.string(*edit, "marker", context + ".edit", std::string("hellobench:add-field"));
  l.edit.line = r.string(*edit, "line", context + ".edit");
  l.fetch = r.commands(t, "fetch", context);
  l.configure = r.commands(t, "configure", context);
  l.build = r.commands(t, "build", context, /*required=*/true);
  l.check = r.commands(t, "check", context);
  l.release_configure = r.commands(t, "release_configure", context);
  l.release_build = r.commands(t, "release_build", context, /*required=*/true);
  l.test = r.commands(t, "test", context);
  if (const toml::node* deps = t.get("dependencies")) {
    l.dependencies = r.argv(*deps, context + ".dependencies");
  }
  l.dependencies_match = r.string(t, "dependencies_match", context, std::string("."));
  l.binary = r.string(t, "binary", context, std::string("{out}"));
  l.release_binary = r.string(t, "release_binary", context, std::string("{out}"));
  if (const toml::table* env = r.table(t, "env", context)) {
    for (const auto& [key, value] : scalar_table(r, *env, context + ".env")) {
      l.env.emplace_back(key, value);
    }
  }
  l.cloc_languages = r.strings(t, "cloc_languages", context, /*required=*/true);
  if (const toml::table* args = r.table(t, "container_args", context)) {
    l.container_args = scalar_table(r, *args, context + ".container_args");
  }
  l.container_volumes = r.strings(t, "container_volumes", context);
  return l;
}

ServicesConfig read_services(const Reader& r, const toml::table& t, const fs::path& base) {
  const std::string context = "services";
  ServicesConfig s;
  s.where = where(r, t);
  r.only_keys(t, context,
              {"sizes", "loops", "repetitions", "engine", "build_options", "images", "language"});
  s.sizes = read_sizes(r, t, "sizes", context);
  s.loops = read_loops(r, t, "loops", context);
  s.repetitions = r.integer(t, "repetitions", context, 1, 1);
  if (const toml::node* engine = t.get("engine")) s.engine = r.argv(*engine, context + ".engine");
  s.build_options = r.strings(t, "build_options", context);
  if (const toml::node* images = t.get("images")) {
    const toml::array* array = images->as_array();
    if (!array) r.fail(*images, context + ".images: expected an array of tables");
    for (std::size_t i = 0; i < array->size(); ++i) {
      const toml::node& node = *array->get(i);
      const std::string ic = fmt::format("{}.images[{}]", context, i);
      if (!node.is_table()) r.fail(node, ic + ": expected a table");
      const toml::table& it = *node.as_table();
      r.only_keys(it, ic, {"name", "debootstrap", "containerfile"});
      ContainerImage image;
      image.name = r.string(it, "name", ic);
      image.debootstrap = r.string(it, "debootstrap", ic, std::string());
      if (it.get("containerfile")) {
        image.containerfile = (base / r.string(it, "containerfile", ic)).lexically_normal();
      }
      if (image.debootstrap.empty() == image.containerfile.empty()) {
        r.fail(it, ic + ": give exactly one of debootstrap, containerfile");
      }
      s.images.push_back(std::move(image));
    }
  }
  const auto languages = r.tables(t, "language");
  for (std::size_t i = 0; i < languages.size(); ++i) {
    s.languages.push_back(read_service_language(r, *languages[i], i, base));
  }
  std::set<std::string> names;
  for (std::size_t i = 0; i < s.languages.size(); ++i) {
    if (!names.insert(s.languages[i].name).second) {
      r.fail(*languages[i], fmt::format("services: duplicate language '{}'", s.languages[i].name));
    }
  }
  return s;
}

ProfileConfig read_profile(const Reader& r, const std::string& name, const toml::table& t) {
  const std::string context = fmt::format("profile.{}", name);
  r.only_keys(t, context,
              {"repetitions", "warmup_s", "window_s", "scenarios", "builds", "build_repetitions",
               "sweeps", "sweep_repetitions", "service_sizes", "service_loops",
               "service_repetitions", "generator_hosts", "server_host"});
  ProfileConfig p;
  p.name = name;
  p.repetitions = r.integer(t, "repetitions", context, std::nullopt, 1);
  p.warmup_seconds = r.number(t, "warmup_s", context);
  p.window_seconds = r.number(t, "window_s", context);
  if (p.warmup_seconds < 0) r.fail(*t.get("warmup_s"), context + ".warmup_s: must be >= 0");
  if (p.window_seconds <= 0) r.fail(*t.get("window_s"), context + ".window_s: must be > 0");
  p.scenarios = r.strings(t, "scenarios", context, /*required=*/true);
  p.builds = r.strings(t, "builds", context);
  for (const std::string& kind : p.builds) {
    if (kind != "dev" && kind != "ci") {
      r.fail(*t.get("builds"), fmt::format("{}.builds: '{}' is not 'dev' or 'ci'", context, kind));
    }
  }
  p.build_repetitions = r.integer(t, "build_repetitions", context, 1, 1);
  p.sweeps = r.strings(t, "sweeps", context);
  p.sweep_repetitions = r.integer(t, "sweep_repetitions", context, 1, 1);
  p.service_sizes = read_sizes(r, t, "service_sizes", context);
  p.service_loops = read_loops(r, t, "service_loops", context);
  p.service_repetitions = r.integer(t, "service_repetitions", context, 1, 1);
  if (p.service_sizes.empty() != p.service_loops.empty()) {
    r.fail(t, context + ": service_sizes and service_loops go together (both or neither)");
  }
  p.generator_hosts = r.strings(t, "generator_hosts", context);
  p.server_host = r.string(t, "server_host", context, std::string());
  return p;
}

ClaimPart read_claim_part(const Reader& r, const toml::table& t, const std::string& context) {
  r.only_keys(t, context,
              {"role", "label", "source", "scenario", "minus_scenario", "sweep", "point", "metric",
               "estimator", "a", "b", "where", "side", "threshold"});
  ClaimPart p;
  p.where = where(r, t);
  p.role = r.string(t, "role", context, std::string("regime"));
  if (p.role != "regime" && p.role != "floor" && p.role != "context") {
    r.fail(*t.get("role"),
           fmt::format("{}.role: '{}' is not regime, floor or context", context, p.role));
  }
  p.label = r.string(t, "label", context, std::string());
  p.source = r.string(t, "source", context, std::string("trials"));
  p.scenario = r.string(t, "scenario", context, std::string());
  p.minus_scenario = r.string(t, "minus_scenario", context, std::string());
  p.sweep = r.string(t, "sweep", context, std::string());
  p.point = r.string(t, "point", context, std::string());
  p.metric = r.string(t, "metric", context);
  p.estimator = r.string(t, "estimator", context, std::string("ratio"));
  p.a = r.string(t, "a", context, std::string());
  p.b = r.string(t, "b", context, std::string());
  if (const toml::table* w = r.table(t, "where", context)) {
    p.where_fields = scalar_table(r, *w, context + ".where");
  }
  p.side = r.string(t, "side", context, std::string());
  if (!p.side.empty() && p.side != "at_most" && p.side != "at_least") {
    r.fail(*t.get("side"),
           fmt::format("{}.side: '{}' is not 'at_most' or 'at_least'", context, p.side));
  }
  if (t.get("threshold")) p.threshold = r.number(t, "threshold", context);
  if (p.threshold.has_value() != !p.side.empty()) {
    r.fail(t, fmt::format("{}: side and threshold go together (both or neither)", context));
  }
  return p;
}

ClaimConfig read_claim(const Reader& r, const toml::table& t, std::size_t index) {
  std::string context = fmt::format("claim[{}]", index);
  ClaimConfig c;
  c.id = r.string(t, "id", context);
  context = fmt::format("claim '{}'", c.id);
  c.where = where(r, t);
  r.only_keys(t, context, {"id", "text", "unit", "article", "regime", "part"});
  c.text = r.string(t, "text", context);
  c.unit = r.string(t, "unit", context, std::string());
  c.regime = r.string(t, "regime", context, std::string());
  if (const toml::table* article = r.table(t, "article", context)) {
    for (auto&& [key, value] : *article) {
      if (value.is_integer()) {
        c.figures[std::string(key.str())] = static_cast<double>(value.as_integer()->get());
      } else if (value.is_floating_point()) {
        c.figures[std::string(key.str())] = value.as_floating_point()->get();
      } else {
        r.fail(value, fmt::format("{}.article.{}: expected a number", context, key.str()));
      }
    }
  }
  const auto parts = r.tables(t, "part");
  if (parts.empty()) r.fail(t, fmt::format("{}: no [[claim.part]] tables", context));
  for (std::size_t i = 0; i < parts.size(); ++i) {
    c.parts.push_back(read_claim_part(r, *parts[i], fmt::format("{}.part[{}]", context, i)));
  }
  return c;
}

template <typename T>
void reject_duplicates(const Reader& r, const std::vector<T>& items,
                       const std::vector<const toml::table*>& tables, const char* what) {
  std::set<std::string> seen;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string& key = [&]() -> const std::string& {
      if constexpr (requires { items[i].id; }) {
        return items[i].id;
      } else {
        return items[i].name;
      }
    }();
    if (!seen.insert(key).second) r.fail(*tables[i], fmt::format("duplicate {} '{}'", what, key));
  }
}

std::string known_names(const std::vector<std::string>& names) {
  return fmt::format("{}", fmt::join(names, ", "));
}

std::vector<std::string> split_list(const std::string& list) {
  std::vector<std::string> out;
  std::stringstream in(list);
  std::string item;
  while (std::getline(in, item, ',')) {
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

// Host names must name [[host]] tables; each host takes an equal part of the load, so the
// connections of every scenario they carry must divide evenly among them.
void check_generator_hosts(const Reader& r, const Config& config, const toml::node& node,
                           const std::string& field, const std::vector<std::string>& names,
                           const std::vector<const ScenarioConfig*>& scenarios) {
  std::set<std::string> seen;
  for (const std::string& name : names) {
    if (!config.find_host(name)) {
      std::vector<std::string> known;
      for (const HostConfig& h : config.hosts) known.push_back(h.name);
      r.fail(node, fmt::format("{}: unknown host '{}' (known: {})", field, name,
                               known.empty() ? std::string("none; add a [[host]] table")
                                             : known_names(known)));
    }
    if (!seen.insert(name).second) {
      r.fail(node, fmt::format("{}: host '{}' is named twice", field, name));
    }
  }
  for (const ScenarioConfig* s : scenarios) {
    if (s->connections % static_cast<int>(names.size()) != 0) {
      r.fail(node, fmt::format("{}: scenario '{}' has {} connections, which do not split into {} "
                               "equal parts (one per host)",
                               field, s->name, s->connections, names.size()));
    }
  }
}

void check_server_host(const Reader& r, const Config& config, const toml::node& node,
                       const std::string& field, const std::string& name) {
  const HostConfig* host = config.find_host(name);
  if (!host) {
    std::vector<std::string> known;
    for (const HostConfig& h : config.hosts) known.push_back(h.name);
    r.fail(node, fmt::format("{}: unknown host '{}' (known: {})", field, name,
                             known.empty() ? std::string("none; add a [[host]] table")
                                           : known_names(known)));
  }
  if (host->address.empty()) {
    r.fail(node, fmt::format("{}: host '{}' has no 'address' (the address the server binds and "
                             "the load goes to)",
                             field, name));
  }
}

// A config is read in ASCII only. toml++ 3.3 tests characters for space in several places (in
// code, after a backslash in a string, first after a line-ending backslash, ...), and that test
// reaches __builtin_unreachable for most code points from U+00A1 to U+0499 and some others:
// undefined behaviour in the release build. The fuzzer found four ways in ("[s\u030C", a quote
// inside a bare value, U+FEDF after a line-ending backslash, a quote after `0.`); telling
// toml++'s contexts apart here kept missing one. With no byte beyond ASCII, toml++ never sees
// such a character. A character beyond ASCII is written as an escape in a basic string
// ("caf\u00e9"), which toml++ decodes without the test; so nothing a config can say is lost.
void refuse_non_ascii(const std::string& text, const Reader& r) {
  std::size_t line = 1, column = 1;
  for (const char c : text) {
    if (c == '\n') {
      ++line;
      column = 1;
      continue;
    }
    if (static_cast<unsigned char>(c) >= 0x80) {
      toml::source_region where;
      where.begin = {static_cast<toml::source_index>(line),
                     static_cast<toml::source_index>(column)};
      r.fail(where,
             "a character beyond ASCII: hellobench reads configs in ASCII only (toml++ "
             "3.3 has undefined behaviour on some such characters); write it as an "
             "escape in a basic string, \"caf\\u00e9\"");
    }
    ++column;
  }
}

}  // namespace

Config parse_config(const std::string& text, const fs::path& file) {
  const Reader r(file);
  refuse_non_ascii(text, r);
  toml::table root;
  try {
    root = toml::parse(text, file.string());
  } catch (const toml::parse_error& e) {
    r.fail(e.source(), fmt::format("invalid TOML: {}", e.description()));
  }
  r.only_keys(root, "top level",
              {"bind", "jobs", "generators", "toolchains", "server", "scenario", "sweep",
               "database", "profile", "claim", "services", "host", "server_host"});

  Config config;
  config.file = file;
  config.base_dir = file.parent_path();
  config.bind = r.string(root, "bind", "top level", std::string("127.0.0.1"));
  config.jobs = r.integer(root, "jobs", "top level", 0, 0);

  config.generators = {{"wrk", "wrk"}, {"loadgen", "{bin_dir}/loadgen"}};
  if (const toml::table* generators = r.table(root, "generators", "top level")) {
    r.only_keys(*generators, "generators", {"wrk", "loadgen"});
    for (const char* name : {"wrk", "loadgen"}) {
      config.generators[name] = r.string(*generators, name, "generators", config.generators[name]);
    }
  }
  if (const toml::table* toolchains = r.table(root, "toolchains", "top level")) {
    for (auto&& [key, value] : *toolchains) {
      config.toolchains[std::string(key.str())] =
          r.argv(value, fmt::format("toolchains.{}", key.str()));
    }
  }

  // Hosts first: scenarios and profiles name them.
  const auto host_tables = r.tables(root, "host");
  for (std::size_t i = 0; i < host_tables.size(); ++i) {
    config.hosts.push_back(read_host(r, *host_tables[i], i));
  }
  reject_duplicates(r, config.hosts, host_tables, "host");
  config.server_host = r.string(root, "server_host", "top level", std::string());
  if (!config.server_host.empty()) {
    check_server_host(r, config, *root.get("server_host"), "server_host", config.server_host);
  }

  const auto server_tables = r.tables(root, "server");
  for (std::size_t i = 0; i < server_tables.size(); ++i) {
    config.servers.push_back(read_server(r, *server_tables[i], i, config.base_dir));
  }
  reject_duplicates(r, config.servers, server_tables, "server");
  if (config.servers.empty()) r.fail(root, "no [[server]] entries");

  const auto scenario_tables = r.tables(root, "scenario");
  for (std::size_t i = 0; i < scenario_tables.size(); ++i) {
    config.scenarios.push_back(read_scenario(r, *scenario_tables[i], i, config.base_dir));
  }
  reject_duplicates(r, config.scenarios, scenario_tables, "scenario");
  for (std::size_t i = 0; i < config.scenarios.size(); ++i) {
    const ScenarioConfig& s = config.scenarios[i];
    if (s.generator_hosts.empty()) continue;
    check_generator_hosts(r, config, *scenario_tables[i]->get("generator_hosts"),
                          fmt::format("scenario '{}'.generator_hosts", s.name), s.generator_hosts,
                          {&s});
  }

  if (const toml::table* db = r.table(root, "database", "top level")) {
    r.only_keys(*db, "database", {"live_mb", "max_connections", "cpus"});
    config.database.live_mb = r.integer(*db, "live_mb", "database", 100, 1);
    config.database.max_connections = r.integer(*db, "max_connections", "database", 400, 10);
    config.database.cpus = r.string(*db, "cpus", "database", std::string("generator"));
    if (config.database.cpus != "generator" && config.database.cpus != "server") {
      r.fail(*db->get("cpus"), "database.cpus: expected 'generator' or 'server'");
    }
  }

  const auto sweep_tables = r.tables(root, "sweep");
  for (std::size_t i = 0; i < sweep_tables.size(); ++i) {
    SweepConfig sweep = read_sweep(r, *sweep_tables[i], i);
    const ScenarioConfig* scenario = config.find_scenario(sweep.scenario);
    if (!scenario) {
      r.fail(*sweep_tables[i]->get("scenario"),
             fmt::format("sweep '{}'.scenario: unknown scenario '{}'", sweep.name, sweep.scenario));
    }
    if (scenario->mode != LoadMode::open) {
      r.fail(*sweep_tables[i]->get("scenario"),
             fmt::format("sweep '{}': scenario '{}' is closed-loop; a sweep offers fixed rates "
                         "(mode = 'open')",
                         sweep.name, sweep.scenario));
    }
    // The reference server of a fraction or cpu_share point: a typo would only show at run
    // time, as a point skipped for want of that server's capacity.
    for (std::size_t j = 0; j < sweep.points.size(); ++j) {
      const std::string& of = sweep.points[j].of;
      if (of.empty() || config.find_server(of)) continue;
      std::vector<std::string> known;
      for (const ServerConfig& s : config.servers) known.push_back(s.name);
      r.fail(*sweep_tables[i]->get("points")->as_array()->get(j),
             fmt::format("sweep '{}'.points[{}].of: unknown server '{}' (known: {})", sweep.name, j,
                         of, known_names(known)));
    }
    config.sweeps.push_back(std::move(sweep));
  }
  reject_duplicates(r, config.sweeps, sweep_tables, "sweep");

  if (const toml::table* profiles = r.table(root, "profile", "top level")) {
    for (auto&& [key, value] : *profiles) {
      if (!value.is_table()) r.fail(value, fmt::format("profile.{}: expected a table", key.str()));
      ProfileConfig p = read_profile(r, std::string(key.str()), *value.as_table());
      for (const std::string& scenario : p.scenarios) {
        if (!config.find_scenario(scenario)) {
          r.fail(*value.as_table()->get("scenarios"),
                 fmt::format("profile.{}.scenarios: unknown scenario '{}'", key.str(), scenario));
        }
      }
      // wrk's -d takes whole seconds only.
      for (const std::string& scenario : p.scenarios) {
        if (config.find_scenario(scenario)->generator != "wrk") continue;
        for (const auto& [field, seconds] :
             {std::pair{"warmup_s", p.warmup_seconds}, std::pair{"window_s", p.window_seconds}}) {
          if (seconds != std::floor(seconds)) {
            r.fail(*value.as_table()->get(field),
                   fmt::format("profile.{}.{}: {} s is not a whole number of seconds, which wrk "
                               "needs (scenario '{}')",
                               key.str(), field, seconds, scenario));
          }
        }
      }
      for (const std::string& sweep : p.sweeps) {
        if (!config.find_sweep(sweep)) {
          r.fail(*value.as_table()->get("sweeps"),
                 fmt::format("profile.{}.sweeps: unknown sweep '{}'", key.str(), sweep));
        }
      }
      if (!p.generator_hosts.empty()) {
        // The profile's hosts carry its loadgen scenarios that name none, and its sweeps'.
        std::vector<const ScenarioConfig*> carried;
        auto carry = [&](const ScenarioConfig* s) {
          if (s->generator == "loadgen" && s->generator_hosts.empty()) carried.push_back(s);
        };
        for (const std::string& name : p.scenarios) carry(config.find_scenario(name));
        for (const std::string& name : p.sweeps) {
          carry(config.find_scenario(config.find_sweep(name)->scenario));
        }
        check_generator_hosts(r, config, *value.as_table()->get("generator_hosts"),
                              fmt::format("profile.{}.generator_hosts", key.str()),
                              p.generator_hosts, carried);
      }
      if (!p.server_host.empty()) {
        check_server_host(r, config, *value.as_table()->get("server_host"),
                          fmt::format("profile.{}.server_host", key.str()), p.server_host);
      }
      config.profiles.emplace(p.name, std::move(p));
    }
  }
  if (config.profiles.empty()) r.fail(root, "no [profile.NAME] tables");

  const auto claim_tables = r.tables(root, "claim");
  for (std::size_t i = 0; i < claim_tables.size(); ++i) {
    config.claims.push_back(read_claim(r, *claim_tables[i], i));
  }
  reject_duplicates(r, config.claims, claim_tables, "claim");

  if (const toml::table* services = r.table(root, "services", "top level")) {
    config.services = read_services(r, *services, config.base_dir);
  }
  return config;
}

Config load_config(const fs::path& file) {
  std::error_code ec;
  const fs::path absolute = fs::absolute(file, ec).lexically_normal();
  std::ifstream in(absolute, std::ios::binary);
  if (!in) {
    throw ConfigError(fmt::format("{}: cannot read the config file (--config)", file.string()));
  }
  std::stringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), absolute);
}

const std::vector<std::string>& service_loop_kinds() {
  static const std::vector<std::string> kinds = {
      "native-clean", "native-noop",     "native-incremental",   "check",
      "ci",           "container-plain", "container-deps-layer", "container-cache-mount"};
  return kinds;
}

const HostConfig* Config::find_host(const std::string& name) const {
  for (const HostConfig& h : hosts) {
    if (h.name == name) return &h;
  }
  return nullptr;
}

const ServerConfig* Config::find_server(const std::string& name) const {
  for (const ServerConfig& s : servers) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

const ScenarioConfig* Config::find_scenario(const std::string& name) const {
  for (const ScenarioConfig& s : scenarios) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

const SweepConfig* Config::find_sweep(const std::string& name) const {
  for (const SweepConfig& s : sweeps) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

const ProfileConfig* Config::find_profile(const std::string& name) const {
  const auto it = profiles.find(name);
  return it == profiles.end() ? nullptr : &it->second;
}

std::vector<const ServerConfig*> select_servers(const Config& config, const std::string& list) {
  std::vector<const ServerConfig*> out;
  const std::vector<std::string> names = split_list(list);
  auto add = [&](const ServerConfig* s) {
    if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
  };
  if (names.empty()) {
    for (const ServerConfig& s : config.servers) {
      if (s.tier == "stock") add(&s);
    }
    return out;
  }
  std::vector<std::string> known;
  for (const ServerConfig& s : config.servers) known.push_back(s.name);
  for (const std::string& name : names) {
    if (name == "all") {
      for (const ServerConfig& s : config.servers) add(&s);
      continue;
    }
    if (name.rfind("tier:", 0) == 0) {
      const std::string tier = name.substr(5);
      if (tier != "minimal" && tier != "stock" && tier != "tuned") {
        throw UsageError(
            fmt::format("--servers: '{}': the tiers are minimal, stock and tuned", name));
      }
      for (const ServerConfig& s : config.servers) {
        if (s.tier == tier) add(&s);
      }
      continue;
    }
    const ServerConfig* s = config.find_server(name);
    if (!s) {
      throw UsageError(
          fmt::format("--servers: unknown server '{}' (known: {})", name, known_names(known)));
    }
    if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
  }
  return out;
}

std::vector<const ScenarioConfig*> select_scenarios(const Config& config,
                                                    const ProfileConfig& profile,
                                                    const std::string& list) {
  std::vector<const ScenarioConfig*> out;
  std::vector<std::string> names = split_list(list);
  if (names.empty()) names = profile.scenarios;
  std::vector<std::string> known;
  for (const ScenarioConfig& s : config.scenarios) known.push_back(s.name);
  for (const std::string& name : names) {
    const ScenarioConfig* s = config.find_scenario(name);
    if (!s) {
      throw UsageError(
          fmt::format("--scenarios: unknown scenario '{}' (known: {})", name, known_names(known)));
    }
    if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
  }
  return out;
}

std::string expand(const std::string& text, const std::map<std::string, std::string>& vars) {
  std::string out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t open = text.find('{', pos);
    if (open == std::string::npos) {
      out.append(text, pos);
      break;
    }
    const std::size_t close = text.find('}', open);
    if (close == std::string::npos) {
      out.append(text, pos);
      break;
    }
    out.append(text, pos, open - pos);
    const std::string name = text.substr(open + 1, close - open - 1);
    const auto it = vars.find(name);
    if (it == vars.end()) {
      std::vector<std::string> known;
      for (const auto& [key, value] : vars) known.push_back("{" + key + "}");
      throw ConfigError(fmt::format("unknown placeholder '{{{}}}' in \"{}\" (known here: {})", name,
                                    text, known_names(known)));
    }
    out += it->second;
    pos = close + 1;
  }
  return out;
}

Argv expand(const Argv& argv, const std::map<std::string, std::string>& vars) {
  Argv out;
  out.reserve(argv.size());
  for (const std::string& arg : argv) out.push_back(expand(arg, vars));
  return out;
}

fs::path executable_dir() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::current_path() : self.parent_path();
}

fs::path default_config_path() {
  const fs::path beside = executable_dir() / ".." / ".." / "hellobench.toml";
  std::error_code ec;
  if (fs::exists(beside, ec)) return fs::weakly_canonical(beside, ec);
#ifdef HELLOBENCH_SOURCE_DIR
  const fs::path source = fs::path(HELLOBENCH_SOURCE_DIR) / "hellobench.toml";
  if (fs::exists(source, ec)) return source;
#endif
  return beside.lexically_normal();
}

}  // namespace hellobench
