// Errors that end a command, each carrying the exit code of CONTRACT.md section 2:
// 2 bad usage or configuration, 3 a missing tool. (1, "done but something failed", is not an
// exception: the run completes and reports what failed.)
#pragma once

#include <stdexcept>
#include <string>

namespace hellobench {

// Bad flag, bad config file, unknown server or scenario name: exit 2. what() names the flag,
// file, line or field.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A config file that cannot be read, parsed or validated: exit 2. what() reads
// "FILE:LINE:COLUMN: message" when the position is known.
struct ConfigError : UsageError {
  using UsageError::UsageError;
};

// A tool or dependency is missing (wrk, go, cargo, a server binary): exit 3. what() says which
// and how to get it.
struct MissingToolError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace hellobench
