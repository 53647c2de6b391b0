#include "output/microbench.hpp"

#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "analysis/stats.hpp"
#include "core/errors.hpp"

namespace hellobench {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

void require(bool ok, const fs::path& file, const std::string& what) {
  if (!ok) throw UsageError(fmt::format("{}: {}", file.string(), what));
}

json check_row(const json& row, const fs::path& file, std::size_t index,
               const std::string& language) {
  const std::string at = fmt::format("rows[{}]", index);
  require(row.is_object(), file, at + ": expected an object");
  for (const char* key : {"payload", "operation"}) {
    require(row.contains(key) && row[key].is_string(), file,
            fmt::format("{}.{}: expected a string", at, key));
  }
  require(row.contains("ns_per_op") && row["ns_per_op"].is_number() &&
              row["ns_per_op"].get<double>() > 0,
          file, at + ".ns_per_op: expected a positive number");
  for (const char* key : {"bytes_per_op", "allocs_per_op"}) {
    require(!row.contains(key) || row[key].is_null() || row[key].is_number(), file,
            fmt::format("{}.{}: expected a number or null", at, key));
  }
  // Optional: the repeated measurements whose median ns_per_op is (null counts as absent).
  if (row.contains("samples_ns_per_op") && !row["samples_ns_per_op"].is_null()) {
    const json& samples = row["samples_ns_per_op"];
    require(samples.is_array() && !samples.empty(), file,
            at + ".samples_ns_per_op: expected a non-empty array of positive numbers");
    for (std::size_t k = 0; k < samples.size(); ++k) {
      require(samples[k].is_number() && samples[k].get<double>() > 0 &&
                  std::isfinite(samples[k].get<double>()),
              file, fmt::format("{}.samples_ns_per_op[{}]: expected a positive number", at, k));
    }
  }
  json out = row;
  out["language"] = row.value("language", language);
  for (const char* key : {"bytes_per_op", "allocs_per_op", "iterations"}) {
    if (!out.contains(key)) out[key] = nullptr;
  }
  return out;
}

// The row's samples of ns/op: samples_ns_per_op when it has them, else its one ns_per_op.
std::vector<double> ns_samples(const json& row) {
  std::vector<double> samples;
  if (row.contains("samples_ns_per_op") && row["samples_ns_per_op"].is_array()) {
    for (const json& v : row["samples_ns_per_op"]) samples.push_back(v.get<double>());
  }
  if (samples.empty()) samples.push_back(row["ns_per_op"].get<double>());
  return samples;
}

// Nanoseconds to the nanosecond from 100 ns up ("46110"), else to 0.1 ns ("95.3").
std::string ns_text(double ns) {
  return ns >= 100 ? fmt::format("{:.0f}", ns) : fmt::format("{:.1f}", ns);
}

// "2150 ns [2101..2230] x10, 23 allocs": the median of the samples, their interquartile range
// and count; a row without samples shows its one ns_per_op, "x1".
std::string cell(const json& row) {
  if (row.is_null()) return "-";
  const std::vector<double> samples = ns_samples(row);
  std::string text = ns_text(stats::median(samples)) + " ns";
  if (samples.size() > 1) {
    text += fmt::format(" [{}..{}]", ns_text(stats::quantile(samples, 0.25)),
                        ns_text(stats::quantile(samples, 0.75)));
  }
  text += fmt::format(" x{}", samples.size());
  if (row["allocs_per_op"].is_number()) {
    text += fmt::format(", {:.3g} allocs", row["allocs_per_op"].get<double>());
  }
  return text;
}

}  // namespace

json read_microbench_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  require(static_cast<bool>(in), file, "cannot read it");
  std::stringstream text;
  text << in.rdbuf();
  json doc = json::parse(text.str(), nullptr, false);
  require(!doc.is_discarded() && doc.is_object(), file, "not a JSON object");
  require(doc.value("schema", std::string()) == kMicrobenchSchema, file,
          fmt::format("schema: expected \"{}\"", kMicrobenchSchema));
  require(doc.contains("rows") && doc["rows"].is_array(), file, "rows: expected an array");
  const std::string language = doc.value("language", std::string());
  json rows = json::array();
  for (std::size_t i = 0; i < doc["rows"].size(); ++i) {
    rows.push_back(check_row(doc["rows"][i], file, i, language));
    require(!rows.back().value("language", std::string()).empty(), file,
            fmt::format("rows[{}]: no language (neither the row's nor the file's)", i));
  }
  doc["rows"] = rows;
  if (!doc.contains("languages")) {
    doc["languages"] = json::array({{{"language", language},
                                     {"harness", doc.value("harness", std::string())},
                                     {"toolchain", doc.value("toolchain", std::string())},
                                     {"json_library", doc.value("json_library", std::string())}}});
  }
  return doc;
}

json merge_microbench_files(const std::vector<std::string>& files) {
  json merged = {
      {"schema", kMicrobenchSchema}, {"languages", json::array()}, {"rows", json::array()}};
  std::set<std::string> seen;
  for (const std::string& name : files) {
    const json doc = read_microbench_file(name);
    for (const json& l : doc["languages"]) {
      const std::string language = l.value("language", std::string());
      require(seen.insert(language).second, name,
              fmt::format("language '{}' appears in two files", language));
      merged["languages"].push_back(l);
    }
    for (const json& row : doc["rows"]) merged["rows"].push_back(row);
  }
  return merged;
}

std::string render_microbench_table(const json& merged) {
  std::vector<std::string> languages;
  for (const json& l : merged["languages"]) languages.push_back(l.value("language", ""));
  std::map<std::pair<std::string, std::string>, std::map<std::string, json>> table;
  std::vector<std::pair<std::string, std::string>> order;
  for (const json& row : merged["rows"]) {
    const auto key = std::make_pair(row.value("payload", ""), row.value("operation", ""));
    if (!table.count(key)) order.push_back(key);
    table[key][row.value("language", "")] = row;
  }
  std::string out = fmt::format("{:<22}", "payload / operation");
  for (const std::string& l : languages) out += fmt::format("{:<39} ", l);
  out += "go/rust  cpp/rust\n";
  for (const auto& key : order) {
    auto& by = table[key];
    out += fmt::format("{:<22}", key.first + " " + key.second);
    for (const std::string& l : languages) {
      out += fmt::format("{:<39} ", cell(by.count(l) ? by[l] : json()));
    }
    auto ratio = [&](const char* a, const char* b) -> std::string {
      if (!by.count(a) || !by.count(b)) return "-";
      return fmt::format("{:.2f}x",
                         stats::median(ns_samples(by[a])) / stats::median(ns_samples(by[b])));
    };
    out += fmt::format("{:<9}{}\n", ratio("go", "rust"), ratio("cpp", "rust"));
  }
  out +=
      "ns/op: the median of a row's samples [their interquartile range] x how many; the ratios "
      "are of the medians\n";
  return out;
}

}  // namespace hellobench
