#include "trial/report_reader.hpp"

#include <fmt/core.h>


namespace hellobench {

double ReportReader::number(const nlohmann::json& obj, const char* key,
                            const std::string& where) const {
  const auto it = obj.find(key);
  if (it == obj.end()) {
    throw GeneratorError(fmt::format("{}: field '{}{}' is missing", source, where, key));
  }
  if (null_is_zero && it->is_null()) return 0;
  if (!it->is_number()) {
    throw GeneratorError(
        fmt::format("{}: field '{}{}' is not a number: {}", source, where, key, it->dump()));
  }
  const double value = it->get<double>();
  if (value < 0) {
    throw GeneratorError(
        fmt::format("{}: field '{}{}' is negative: {}", source, where, key, value));
  }
  return value;
}

const nlohmann::json& ReportReader::object(const nlohmann::json& obj, const char* key) const {
  const auto it = obj.find(key);
  if (it == obj.end() || !it->is_object()) {
    throw GeneratorError(fmt::format("{}: field '{}' is missing or not an object", source, key));
  }
  return *it;
}

LatencyMicros ReportReader::latency(const nlohmann::json& report) const {
  const nlohmann::json& l = object(report, "latency_us");
  const std::string where = "latency_us.";
  return {number(l, "p50", where), number(l, "p90", where),  number(l, "p95", where),
          number(l, "p99", where), number(l, "p999", where), number(l, "max", where),
          number(l, "mean", where)};
}

}  // namespace hellobench
