// The same bytes across servers (MEASUREMENT.md rule 2): for every answer kept in the servers'
// reports, identical bodies, the same header names and the same size on the wire (which, with
// Date always 29 bytes, means the same bytes but for the date).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "verify/check_support.hpp"
#include "verify/verify.hpp"

namespace hellobench {
namespace {

using namespace verify_support;

const std::vector<std::pair<std::string, std::string>> kParityPaths = {
    {"root", "/"}, {"json", "/json"}, {"user", "/user"}};

enum class Aspect { body, headers, size };

std::string value_of(const ObservedAnswer& answer, Aspect aspect) {
  switch (aspect) {
    case Aspect::body:
      return answer.body;
    case Aspect::headers:
      return fmt::format("{}", fmt::join(answer.header_names, ","));
    case Aspect::size:
      return std::to_string(answer.wire_bytes);
  }
  return {};
}

std::string shown(const std::string& value, Aspect aspect) {
  switch (aspect) {
    case Aspect::body:
      return show(value, 80);
    case Aspect::headers:
      return "[" + value + "]";
    case Aspect::size:
      return value + " bytes";
  }
  return value;
}

// Compares one aspect of the answer kept under key by every server. Empty problems: all agree,
// and agreed holds the common value.
struct Comparison {
  std::vector<std::string> problems;
  std::string agreed;
};

Comparison compare(const std::map<std::string, VerifyReport>& reports, const std::string& key,
                   const std::string& asked, Aspect aspect) {
  Comparison out;
  const std::string* reference_server = nullptr;
  std::string reference;
  for (const auto& [server, report] : reports) {
    auto it = report.answers.find(key);
    if (it == report.answers.end()) {
      out.problems.push_back(fmt::format("{} has no answer to {}", server, asked));
      continue;
    }
    std::string value = value_of(it->second, aspect);
    if (!reference_server) {
      reference_server = &server;
      reference = std::move(value);
    } else if (value != reference) {
      std::string where;
      if (aspect == Aspect::body) {
        // A long body: say where it starts to differ.
        const auto at = static_cast<std::size_t>(
            std::mismatch(value.begin(), value.end(), reference.begin(), reference.end()).first -
            value.begin());
        where = fmt::format(
            " (from byte {}: {} vs {})", at, show(std::string_view(value).substr(at), 30),
            show(std::string_view(reference).substr(std::min(at, reference.size())), 30));
      }
      out.problems.push_back(fmt::format("{} sends {}, {} sends {}{}", server, shown(value, aspect),
                                         *reference_server, shown(reference, aspect), where));
    }
  }
  out.agreed = shown(reference, aspect);
  return out;
}

}  // namespace

std::vector<std::string> parity_check_names() {
  std::vector<std::string> names;
  for (const auto& [name, path] : kParityPaths) names.push_back("same-body-" + name);
  for (const auto& [name, path] : kParityPaths) names.push_back("same-headers-" + name);
  for (const auto& [name, path] : kParityPaths) names.push_back("same-size-" + name);
  return names;
}

std::vector<CheckResult> verify_parity(const std::map<std::string, VerifyReport>& reports) {
  std::vector<CheckResult> results;
  auto check = [&](const std::string& name, const std::string& path, Aspect aspect) {
    if (reports.size() < 2) {
      results.push_back(
          to_result(name, pass(fmt::format("{} server(s): nothing to compare", reports.size()))));
      return;
    }
    auto c = compare(reports, path, "GET " + path, aspect);
    results.push_back(
        c.problems.empty()
            ? to_result(name, pass(fmt::format("{} servers: {}", reports.size(), c.agreed)))
            : to_result(name, fail(fmt::format("{}", fmt::join(c.problems, "; ")))));
  };
  for (const auto& [name, path] : kParityPaths) check("same-body-" + name, path, Aspect::body);
  for (const auto& [name, path] : kParityPaths)
    check("same-headers-" + name, path, Aspect::headers);
  for (const auto& [name, path] : kParityPaths) check("same-size-" + name, path, Aspect::size);
  return results;
}

std::vector<std::string> service_parity_check_names(const ServiceVectors& vectors) {
  return service_check_names(vectors);
}

std::vector<CheckResult> verify_service_parity(const std::map<std::string, VerifyReport>& reports,
                                               const ServiceVectors& vectors) {
  std::vector<CheckResult> results;
  for (const auto& id : service_parity_check_names(vectors)) {
    if (reports.size() < 2) {
      results.push_back(
          to_result(id, pass(fmt::format("{} server(s): nothing to compare", reports.size()))));
      continue;
    }
    // Servers without this answer are named once; the others are compared.
    std::vector<std::string> without;
    std::map<std::string, VerifyReport> answered;
    for (const auto& [server, report] : reports) {
      if (report.answers.count(id)) {
        answered.emplace(server, report);
      } else {
        without.push_back(server);
      }
    }
    std::vector<std::string> problems;
    if (!without.empty()) {
      problems.push_back(fmt::format("no answer from {}", fmt::join(without, ", ")));
    }
    std::vector<std::string> agreed;
    for (const auto& [label, aspect] :
         {std::pair{"body", Aspect::body}, std::pair{"headers", Aspect::headers},
          std::pair{"size", Aspect::size}}) {
      if (answered.size() < 2) break;
      auto c = compare(answered, id, id, aspect);
      if (!c.problems.empty()) {
        problems.push_back(fmt::format("{}: {}", label, fmt::join(c.problems, "; ")));
      } else if (aspect == Aspect::body) {
        agreed.push_back(fmt::format("the same {}-byte body",
                                     answered.begin()->second.answers.at(id).body.size()));
      } else {
        agreed.push_back(c.agreed);
      }
    }
    results.push_back(problems.empty()
                          ? to_result(id, pass(fmt::format("{} servers: {}", reports.size(),
                                                           fmt::join(agreed, ", "))))
                          : to_result(id, fail(fmt::format("{}", fmt::join(problems, " | ")))));
  }
  return results;
}

}  // namespace hellobench
