#include "output/results.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "core/errors.hpp"

namespace hellobench {

namespace fs = std::filesystem;

namespace {

std::string format_utc(std::chrono::system_clock::time_point when, const char* pattern) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(when);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[64];
  std::strftime(text, sizeof text, pattern, &utc);
  return text;
}

}  // namespace

std::string utc_folder_name(std::chrono::system_clock::time_point when) {
  return format_utc(when, "%Y-%m-%dT%H-%M-%SZ");
}

std::string utc_iso8601(std::chrono::system_clock::time_point when) {
  return format_utc(when, "%Y-%m-%dT%H:%M:%SZ");
}

fs::path create_run_dir(const fs::path& root, std::chrono::system_clock::time_point when) {
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) {
    throw UsageError(
        fmt::format("--out {}: cannot create the folder: {}", root.string(), ec.message()));
  }
  const std::string base = utc_folder_name(when);
  for (int attempt = 1; attempt < 1000; ++attempt) {
    const fs::path candidate = root / (attempt == 1 ? base : fmt::format("{}-{}", base, attempt));
    // create_directory reports "already there" atomically, so two runs started in the same
    // second cannot both take the same folder.
    if (fs::create_directory(candidate, ec)) return candidate;
    if (ec) {
      throw UsageError(fmt::format("--out {}: cannot create {}: {}", root.string(),
                                   candidate.string(), ec.message()));
    }
  }
  throw UsageError(fmt::format("--out {}: too many runs named {}", root.string(), base));
}

void write_file_atomic(const fs::path& path, std::string_view content) {
  const fs::path temporary =
      path.parent_path() / fmt::format(".{}.tmp-{}", path.filename().string(), ::getpid());
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw std::runtime_error(
        fmt::format("cannot write {}: {}", temporary.string(), std::strerror(errno)));
  }
  std::size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      ::close(fd);
      ::unlink(temporary.c_str());
      throw std::runtime_error(
          fmt::format("cannot write {}: {}", temporary.string(), std::strerror(error)));
    }
    written += static_cast<std::size_t>(n);
  }
  // fsync before rename: otherwise a crash can leave the new name pointing at an empty file.
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const int error = errno;
    ::unlink(temporary.c_str());
    throw std::runtime_error(
        fmt::format("cannot write {}: {}", temporary.string(), std::strerror(error)));
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    const int error = errno;
    ::unlink(temporary.c_str());
    throw std::runtime_error(fmt::format("cannot rename {} to {}: {}", temporary.string(),
                                         path.string(), std::strerror(error)));
  }
}

const std::vector<std::string>& required_result_fields() {
  static const std::vector<std::string> fields = {"schema", "environment", "builds", "verify",
                                                  "trials", "summary",     "claims", "rules_bent"};
  return fields;
}

std::vector<std::string> missing_result_fields(const nlohmann::json& doc) {
  std::vector<std::string> missing;
  for (const std::string& field : required_result_fields()) {
    if (!doc.is_object() || !doc.contains(field)) missing.push_back(field);
  }
  return missing;
}

nlohmann::json read_results(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw UsageError(fmt::format("{}: cannot read the results file", file.string()));
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::parse_error& e) {
    throw UsageError(fmt::format("{}: not valid JSON: {}", file.string(), e.what()));
  }
  if (!doc.is_object() || doc.value("schema", std::string()) != kResultsSchema) {
    throw UsageError(
        fmt::format("{}: field 'schema' is not \"{}\"", file.string(), kResultsSchema));
  }
  return doc;
}

}  // namespace hellobench
