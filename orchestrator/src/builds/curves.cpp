#include "builds/curves.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "config/config.hpp"

namespace hellobench {

using nlohmann::json;

LineFit fit_line(const std::vector<double>& x, const std::vector<double>& y) {
  LineFit fit;
  fit.n = std::min(x.size(), y.size());
  if (fit.n < 2) {
    fit.why_not = fit.n == 0 ? "no size measured" : "one size measured: a slope needs two";
    return fit;
  }
  double mx = 0, my = 0;
  for (std::size_t i = 0; i < fit.n; ++i) {
    mx += x[i];
    my += y[i];
  }
  mx /= static_cast<double>(fit.n);
  my /= static_cast<double>(fit.n);
  double sxx = 0, sxy = 0, syy = 0;
  for (std::size_t i = 0; i < fit.n; ++i) {
    sxx += (x[i] - mx) * (x[i] - mx);
    sxy += (x[i] - mx) * (y[i] - my);
    syy += (y[i] - my) * (y[i] - my);
  }
  if (sxx == 0) {
    fit.why_not = "every point has the same size";
    return fit;
  }
  fit.slope = sxy / sxx;
  fit.intercept = my - *fit.slope * mx;
  // r^2: the share of the variance of y the line explains (1 when y is constant and fitted).
  fit.r_squared = syy == 0 ? 1.0 : (sxy * sxy) / (sxx * syy);
  return fit;
}

Crossing size_at_ratio(const LineFit& a, const LineFit& b, double t) {
  Crossing c;
  if (!a.slope || !b.slope) {
    c.reason = fmt::format("no fit: {}", !a.slope ? a.why_not : b.why_not);
    return c;
  }
  const double a0 = *a.intercept, a1 = *a.slope, b0 = *b.intercept, b1 = *b.slope;
  // A denominator whose fitted time does not grow with the service (noise between sizes, or a
  // cost that really is flat) heads for zero seconds along its line, and the ratio of the two
  // lines for infinity: no crossing can be read from that.
  if (b1 <= 0) {
    c.reason = fmt::format("the denominator's fitted slope is {:.3g} s/module (its time does not "
                           "grow with the service in these points): the ratio cannot be "
                           "extrapolated to {:.3g}x",
                           b1, t);
    return c;
  }
  c.asymptotic_ratio = a1 / b1;
  const double denominator = a1 - t * b1;
  if (denominator <= 0) {
    c.reason = fmt::format("the fitted ratio tends to {:.3g}x as the service grows, below "
                           "{:.3g}x: never reached",
                           a1 / b1, t);
    return c;
  }
  const double n = (t * b0 - a0) / denominator;
  if (n < 1) {
    c.reason = fmt::format("the fitted ratio is above {:.3g}x from the smallest size on", t);
    c.size_modules = 1;
    return c;
  }
  c.size_modules = n;
  c.reason = fmt::format("the fitted lines reach {:.3g}x at about {:.0f} modules", t, n);
  return c;
}

namespace {

bool generated(const json& row) {
  return row.is_object() && row.value("service", std::string()) == "generated";
}

std::optional<double> median_of(const json& row) {
  const auto it = row.find("median_s");
  if (it == row.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

}  // namespace

void mark_largest_sizes(json& builds) {
  // loop -> language -> sizes with samples
  std::map<std::string, std::map<std::string, std::set<int>>> measured;
  std::map<std::string, std::set<std::string>> languages;
  for (const json& row : builds) {
    if (!generated(row)) continue;
    const std::string loop = row.value("loop", std::string());
    const std::string server = row.value("server", std::string());
    languages[loop].insert(server);
    if (row.value("ok", false) && median_of(row)) {
      measured[loop][server].insert(row.value("size_modules", 0));
    }
  }
  std::map<std::string, int> largest;
  for (const auto& [loop, servers] : languages) {
    std::optional<std::set<int>> common;
    for (const std::string& server : servers) {
      const std::set<int>& sizes = measured[loop][server];
      if (!common) {
        common = sizes;
      } else {
        std::set<int> both;
        std::set_intersection(common->begin(), common->end(), sizes.begin(), sizes.end(),
                              std::inserter(both, both.begin()));
        common = both;
      }
    }
    if (common && !common->empty()) largest[loop] = *common->rbegin();
  }
  for (json& row : builds) {
    if (!generated(row)) continue;
    const auto it = largest.find(row.value("loop", std::string()));
    row["largest_size"] = it != largest.end() && row.value("size_modules", 0) == it->second &&
                          row.value("ok", false) && median_of(row).has_value();
  }
}

json build_curves(const json& results) {
  json out = {{"method",
               "ordinary least squares of the median seconds on the size in modules, one point "
               "per size; crossing: where the ratio of two fitted lines reaches the claim's "
               "threshold"},
              {"loops", json::array()},
              {"ratios", json::array()},
              {"crossings", json::array()}};
  // loop -> language -> size -> row
  std::map<std::string, std::map<std::string, std::map<int, const json*>>> by_loop;
  std::vector<std::string> order;
  const json& builds = results.contains("builds") ? results["builds"] : json::array();
  for (const json& row : builds) {
    if (!generated(row)) continue;
    const std::string loop = row.value("loop", std::string());
    by_loop[loop][row.value("server", std::string())][row.value("size_modules", 0)] = &row;
  }
  std::map<std::pair<std::string, std::string>, LineFit> fits;
  for (const std::string& loop : service_loop_kinds()) {
    if (!by_loop.count(loop)) continue;
    json entry = {{"loop", loop}, {"languages", json::array()}};
    for (const auto& [server, sizes] : by_loop[loop]) {
      std::vector<double> x, y;
      json points = json::array();
      std::string skipped;
      for (const auto& [size, row] : sizes) {
        const auto median = median_of(*row);
        json point = {{"size_modules", size},
                      {"median_s", median ? json(*median) : json(nullptr)},
                      {"lines_of_code", row->value("lines_of_code", 0L)}};
        if (!(*row)["skipped"].is_null()) {
          point["skipped"] = (*row)["skipped"];
          skipped = (*row)["skipped"].get<std::string>();
        }
        if (!(*row)["error"].is_null()) point["failed"] = true;
        points.push_back(point);
        if (median && row->value("ok", false)) {
          x.push_back(size);
          y.push_back(*median);
        }
      }
      const LineFit fit = fit_line(x, y);
      fits[{loop, server}] = fit;
      json f = {{"n", fit.n},
                {"slope_s_per_module", fit.slope ? json(*fit.slope) : json(nullptr)},
                {"intercept_s", fit.intercept ? json(*fit.intercept) : json(nullptr)},
                {"r_squared", fit.r_squared ? json(*fit.r_squared) : json(nullptr)}};
      if (!fit.why_not.empty()) f["why_not"] = skipped.empty() ? fit.why_not : skipped;
      entry["languages"].push_back({{"server", server}, {"points", points}, {"fit", f}});
    }
    out["loops"].push_back(entry);
    // Ratios by size against go (the article's denominator), where both measured.
    if (by_loop[loop].count("go")) {
      for (const auto& [server, sizes] : by_loop[loop]) {
        if (server == "go") continue;
        json ratios = json::array();
        for (const auto& [size, row] : sizes) {
          const auto it = by_loop[loop]["go"].find(size);
          if (it == by_loop[loop]["go"].end()) continue;
          const auto a = median_of(*row), b = median_of(*it->second);
          if (a && b && *b > 0) ratios.push_back({{"size_modules", size}, {"ratio", *a / *b}});
        }
        out["ratios"].push_back({{"loop", loop}, {"ratio", server + "/go"}, {"by_size", ratios}});
      }
    }
  }
  // Crossings: per build claim part naming a loop, with its threshold (or its claim's).
  const json& claims = results.contains("claims_config") ? results["claims_config"] : json::array();
  for (const json& claim : claims) {
    std::optional<double> claim_threshold;
    for (const json& part : claim.value("parts", json::array())) {
      if (part.value("role", "") == "regime" && part["threshold"].is_number()) {
        claim_threshold = part["threshold"].get<double>();
        break;
      }
    }
    for (const json& part : claim.value("parts", json::array())) {
      if (part.value("source", "") != "builds" || part.value("estimator", "") != "ratio") continue;
      const json& where = part.contains("where") ? part["where"] : json::object();
      if (!where.contains("loop")) continue;
      const std::string loop = where["loop"].get<std::string>();
      const std::string a = part.value("a", ""), b = part.value("b", "");
      const std::optional<double> t = part["threshold"].is_number()
                                          ? std::optional<double>(part["threshold"].get<double>())
                                          : claim_threshold;
      if (!t || !fits.count({loop, a}) || !fits.count({loop, b})) continue;
      const Crossing c = size_at_ratio(fits[{loop, a}], fits[{loop, b}], *t);
      out["crossings"].push_back(
          {{"claim", claim.value("id", "")},
           {"part", part.value("label", "")},
           {"role", part.value("role", "")},
           {"loop", loop},
           {"ratio", a + "/" + b},
           {"threshold", *t},
           {"asymptotic_ratio", c.asymptotic_ratio ? json(*c.asymptotic_ratio) : json(nullptr)},
           {"size_modules_at_threshold", c.size_modules ? json(*c.size_modules) : json(nullptr)},
           {"reason", c.reason}});
    }
  }
  return out;
}

void annotate_build_claims(json& results) {
  if (!results.contains("build_curves") || !results.contains("claims")) return;
  std::map<std::string, int> largest;  // loop -> size
  for (const json& row : results["builds"]) {
    if (generated(row) && row.value("largest_size", false)) {
      largest[row.value("loop", std::string())] = row.value("size_modules", 0);
    }
  }
  for (json& claim : results["claims"]) {
    const std::string id = claim.value("id", "");
    for (const json& c : results["build_curves"]["crossings"]) {
      if (c.value("claim", "") != id || c.value("role", "") != "regime") continue;
      claim["curve"] = c;
      const std::string loop = c.value("loop", "");
      if (largest.count(loop) && claim.contains("regime") && claim["regime"].is_object()) {
        claim["regime"]["parameters"]["size_modules"] = largest[loop];
        claim["regime"]["parameters"]["loop"] = loop;
      }
      break;
    }
  }
}

namespace {

std::string seconds(const json& value) {
  if (!value.is_number()) return "-";
  const double s = value.get<double>();
  return s >= 100 ? fmt::format("{:.0f}", s) : s >= 10 ? fmt::format("{:.1f}", s)
                                                        : fmt::format("{:.2f}", s);
}

}  // namespace

std::string render_build_curves(const json& results) {
  if (!results.contains("build_curves")) return "";
  const json& curves = results["build_curves"];
  if (curves["loops"].empty()) return "";
  std::set<int> sizes;
  for (const json& loop : curves["loops"]) {
    for (const json& l : loop["languages"]) {
      for (const json& p : l["points"]) sizes.insert(p.value("size_modules", 0));
    }
  }
  std::string out = "Build loops on generated services (median seconds; slope by least squares)\n";
  out += fmt::format("{:<23} {:<5}", "loop", "lang");
  for (int size : sizes) out += fmt::format(" {:>9}", fmt::format("{} mod", size));
  out += fmt::format(" {:>12} {:>6}\n", "s/module", "r2");
  for (const json& loop : curves["loops"]) {
    for (const json& l : loop["languages"]) {
      out += fmt::format("{:<23} {:<5}", loop.value("loop", ""), l.value("server", ""));
      for (int size : sizes) {
        std::string cell = " ";
        for (const json& p : l["points"]) {
          if (p.value("size_modules", 0) != size) continue;
          cell = p.contains("skipped") ? "skipped" : p.contains("failed") ? "FAILED"
                                                                          : seconds(p["median_s"]);
        }
        out += fmt::format(" {:>9}", cell);
      }
      const json& fit = l["fit"];
      out += fmt::format(" {:>12} {:>6}\n",
                         fit["slope_s_per_module"].is_number()
                             ? fmt::format("{:.4f}", fit["slope_s_per_module"].get<double>())
                             : "-",
                         fit["r_squared"].is_number()
                             ? fmt::format("{:.3f}", fit["r_squared"].get<double>())
                             : "-");
    }
  }
  for (const json& r : curves["ratios"]) {
    if (r["by_size"].empty()) continue;
    out += fmt::format("  {} {}:", r.value("loop", ""), r.value("ratio", ""));
    for (const json& p : r["by_size"]) {
      out += fmt::format(" {:.2f}x@{}", p["ratio"].get<double>(), p.value("size_modules", 0));
    }
    out += "\n";
  }
  if (results.contains("services")) {
    out += "Generated services: lines of code (cloc), dependencies, checks\n";
    for (const json& s : results["services"]) {
      out += fmt::format(
          "  {:<5} {:>5} modules: {:>7} lines, {:>4} dependencies; builds {}, tests {}, "
          "/health {}, edit visible {}\n",
          s.value("server", ""), s.value("size_modules", 0), s.value("lines_of_code", 0L),
          s["dependencies"].is_number() ? std::to_string(s["dependencies"].get<int>()) : "-",
          s.contains("builds") ? (s["builds"].get<bool>() ? "yes" : "NO") : "-",
          s.contains("tests_pass") ? (s["tests_pass"].get<bool>() ? "pass" : "FAIL") : "-",
          s.contains("answers_health") ? (s["answers_health"].get<bool>() ? "ok" : "NO") : "-",
          s.contains("edit_visible") ? (s["edit_visible"].get<bool>() ? "yes" : "NO") : "-");
    }
  }
  bool images = false;
  for (const json& row : results["builds"]) {
    if (!generated(row) || !row.contains("image_bytes")) continue;
    if (!images) out += "Images built by the container loops (MB)\n";
    images = true;
    out += fmt::format("  {:<5} {:<23} {:>5} modules: {:.1f}\n", row.value("server", ""),
                       row.value("loop", ""), row.value("size_modules", 0),
                       row["image_bytes"].get<double>() / 1e6);
  }
  if (results.contains("images") && results["images"].is_array()) {
    for (const json& i : results["images"]) {
      out += fmt::format("  smallest runnable image of the {} server: {} ({} files{})\n",
                         i.value("server", ""),
                         i["image_bytes"].is_number()
                             ? fmt::format("{:.1f} MB", i["image_bytes"].get<double>() / 1e6)
                             : "not made",
                         i["files"].size(), i.value("runs", false) ? ", runs" : ", DOES NOT RUN");
    }
  }
  for (const json& c : curves["crossings"]) {
    out += fmt::format("  {} ({}, {} {}): {}\n", c.value("claim", ""), c.value("role", ""),
                       c.value("loop", ""), c.value("ratio", ""), c.value("reason", ""));
  }
  return out;
}

}  // namespace hellobench
