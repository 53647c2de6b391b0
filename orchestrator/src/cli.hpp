// The command line (CLI11): `hellobench build | verify | run | report`, each with --help.
// Exit codes (CONTRACT.md section 2): 0 done; 1 done but a verification or run failure was
// found; 2 bad usage or configuration; 3 a tool or dependency is missing.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

namespace hellobench {

enum ExitCode : int { kExitOk = 0, kExitFailure = 1, kExitUsage = 2, kExitMissingTool = 3 };

// Parses argv, runs the subcommand and returns the exit code; every error is printed to err
// as one "hellobench: error: ..." line. Results go to out (the summary table, a report).
int run_cli(int argc, const char* const* argv, std::FILE* out = stdout, std::FILE* err = stderr);
int run_cli(const std::vector<std::string>& args, std::FILE* out = stdout, std::FILE* err = stderr);

}  // namespace hellobench
