// `hellobench microbench`.
#include "output/microbench.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <optional>

#include "analysis/claims.hpp"
#include "analysis/summary.hpp"
#include "builds/builds.hpp"
#include "cli.hpp"
#include "commands/common.hpp"
#include "config/config.hpp"
#include "core/errors.hpp"
#include "output/progress.hpp"
#include "output/report.hpp"
#include "output/results.hpp"
#include "trial/environment.hpp"
#include "trial/launch.hpp"
#include "trial/process.hpp"
#include "trial/trials.hpp"
#include "verify/verify_servers.hpp"

namespace hellobench {

namespace fs = std::filesystem;
using nlohmann::json;
using SystemClock = std::chrono::system_clock;

int command_microbench(const Options& options, std::FILE* out) {
  if (options.microbench.empty()) throw UsageError("microbench: --out FILE is required");
  const json merged = merge_microbench_files(options.microbench_inputs);
  write_file_atomic(fs::absolute(options.microbench), merged.dump(1) + "\n");
  fmt::print(out, "{}", render_microbench_table(merged));
  return kExitOk;
}

}  // namespace hellobench
