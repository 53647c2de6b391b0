// `hellobench compare A B`.
#include "output/compare.hpp"

#include <fmt/format.h>

#include "analysis/summary.hpp"
#include "cli.hpp"
#include "commands/common.hpp"
#include "output/results.hpp"

namespace hellobench {

namespace {

std::vector<std::string> split_list(const std::string& list) {
  std::vector<std::string> items;
  std::string item;
  for (std::size_t i = 0; i <= list.size(); ++i) {
    if (i == list.size() || list[i] == ',') {
      if (!item.empty()) items.push_back(item);
      item.clear();
    } else if (list[i] != ' ') {
      item += list[i];
    }
  }
  return items;
}

}  // namespace

int command_compare(const Options& options, std::FILE* out) {
  const nlohmann::json a = read_results(options.compare_files.at(0));
  const nlohmann::json b = read_results(options.compare_files.at(1));
  CompareOptions compare;
  compare.metrics = split_list(options.metrics);
  nlohmann::json comparison = compare_results(a, b, compare);
  comparison["a"]["file"] = options.compare_files.at(0);
  comparison["b"]["file"] = options.compare_files.at(1);
  fmt::print(
      out, "{}",
      options.markdown ? render_compare_markdown(comparison) : render_compare_text(comparison));
  return kExitOk;
}

}  // namespace hellobench
