// libFuzzer target for the config loader: parse_config and then validate_claims (what
// `hellobench` does with every --config file) on arbitrary text. The only way either may refuse
// a file is a ConfigError whose message names the file (FILE:LINE:COLUMN or FILE: ...); any
// other exception, a crash or a sanitizer report is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "analysis/claims.hpp"
#include "config/config.hpp"
#include "core/errors.hpp"

namespace {

[[noreturn]] void fail(const char* what, const std::string& detail, const std::string& text) {
  std::fprintf(stderr, "config_fuzz: %s: %s\n--- config ---\n%s\n", what, detail.c_str(),
               text.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  // Relative paths in the config resolve against this folder; nothing is read from it.
  const std::filesystem::path file = "/nonexistent-hellobench-fuzz/hellobench.toml";
  try {
    const hellobench::Config config = hellobench::parse_config(text, file);
    hellobench::validate_claims(config);
    if (config.servers.empty()) fail("accepted", "a config without servers", text);
  } catch (const hellobench::ConfigError& e) {
    const std::string message = e.what();
    if (message.rfind(file.string(), 0) != 0) fail("ConfigError without the file", message, text);
  } catch (const std::exception& e) {
    fail("an exception other than ConfigError", e.what(), text);
  } catch (...) {
    fail("a non-standard exception", "", text);
  }
  return 0;
}
