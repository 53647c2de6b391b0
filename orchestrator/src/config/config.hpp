// The config file (TOML): servers, scenarios, profiles, claims. Everything hellobench knows
// about a server is data here, so a fourth server is one more [[server]] entry.
// Parsing is strict: a syntax error, a missing field, a wrong type or an unknown key is a
// ConfigError naming FILE:LINE:COLUMN and the field.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace hellobench {

using Argv = std::vector<std::string>;

// One way to build a server (the everyday debug build, or the optimised release build).
struct BuildRecipe {
  std::vector<Argv> configure;  // run once, before the first build of a fresh build dir
  std::vector<Argv> build;      // the build itself: timed for clean, no-op and incremental
  std::string binary;           // where the build leaves the program ({build_dir}, {out}, {src})
};

struct ServerBuild {
  std::vector<Argv> fetch;  // download dependencies before any timed build (not timed)
  std::vector<Argv> test;   // the server's own tests, run against the release build
  std::vector<std::pair<std::string, std::string>> env;  // for every build step (placeholders)
  std::optional<BuildRecipe> debug;
  std::optional<BuildRecipe> release;
};

// The one-field edit of the /user struct for the incremental build (contract 2.1).
struct FieldEdit {
  std::string file;    // relative to the server's source_dir
  std::string marker;  // text of the line after which `line` is inserted
  std::string line;    // the inserted line, verbatim
};

struct ServerConfig {
  std::string name;                  // short id used on the command line and in results: "go"
  std::string label;                 // for humans: "Go net/http"
  std::string language;              // "Go"
  std::filesystem::path source_dir;  // absolute (resolved against the config's folder)
  std::string binary;                // the program a run benchmarks ({bin_dir} placeholder)
  Argv run;                          // {binary} {port} {threads} {bind}
  std::string tuning;                // free text, recorded in results
  // Named settings a scenario or verify can ask for, each an argv fragment appended to `run`
  // with {value} replaced: live_mb -> ["--live-mb", "{value}"]. A server without a setting
  // cannot run a scenario that needs it (the scenario is skipped for it, with the reason).
  std::map<std::string, Argv> options;
  FieldEdit edit;
  ServerBuild build;
};

enum class LoadMode { closed, open };
const char* to_string(LoadMode mode);

struct ScenarioConfig {
  std::string name;
  std::string path;       // "/json", "/io?ms=100"
  std::string generator;  // "wrk" or "loadgen"
  LoadMode mode = LoadMode::closed;
  int connections = 64;
  std::optional<double> rate;  // requests/s, open mode only
  std::vector<std::string> claims;
  std::string description;
};

struct ProfileConfig {
  std::string name;
  int repetitions = 1;
  double warmup_seconds = 1;
  double window_seconds = 5;
  std::vector<std::string> scenarios;
  // Build timings this profile runs before the trials: "dev" (debug clean, no-op, one-field
  // incremental) and "ci" (release clean build + the server's own tests). Empty: none.
  std::vector<std::string> builds;
  int build_repetitions = 1;
};

struct ClaimConfig {
  std::string id;
  std::string text;                       // the article's figure in words
  std::string unit;                       // "s", "MB", "ratio", ...
  std::map<std::string, double> figures;  // the article's numbers, e.g. go = 8, rust = 192
  std::vector<std::string> scenarios;
  // The verdict rule (claims.hpp): the metric measured, and the side of `threshold` on which
  // the article's figure holds ("at_most" or "at_least"). Empty / absent: no threshold.
  std::string metric;
  std::string direction;
  std::optional<double> threshold;
};

struct Config {
  std::filesystem::path file;      // absolute path of the file read
  std::filesystem::path base_dir;  // its folder: relative paths resolve against it
  std::string bind = "127.0.0.1";
  int jobs = 0;                                   // build job count; 0 = the CPUs available
  std::map<std::string, std::string> generators;  // "wrk" -> program, "loadgen" -> program
  std::map<std::string, Argv> toolchains;         // name -> command printing its version
  std::vector<ServerConfig> servers;
  std::vector<ScenarioConfig> scenarios;
  std::map<std::string, ProfileConfig> profiles;
  std::vector<ClaimConfig> claims;

  const ServerConfig* find_server(const std::string& name) const;
  const ScenarioConfig* find_scenario(const std::string& name) const;
  const ProfileConfig* find_profile(const std::string& name) const;
};

// Throws ConfigError (exit 2) for a missing file, bad syntax, a missing or mistyped field, an
// unknown key, a duplicate name or a reference to an undefined scenario.
Config load_config(const std::filesystem::path& file);
Config parse_config(const std::string& text, const std::filesystem::path& file);

// Picks names from a comma-separated list (empty = all) and rejects unknown ones, naming
// the flag and the name: "--servers: unknown server 'java' (known: cpp, go, rust)".
std::vector<const ServerConfig*> select_servers(const Config& config, const std::string& list);
std::vector<const ScenarioConfig*> select_scenarios(const Config& config,
                                                    const ProfileConfig& profile,
                                                    const std::string& list);

// Replaces {name} placeholders from vars; an unknown placeholder is a ConfigError naming it.
std::string expand(const std::string& text, const std::map<std::string, std::string>& vars);
Argv expand(const Argv& argv, const std::map<std::string, std::string>& vars);

// The default config: next to the executable's ../.. (build/bin/hellobench -> repo root), else
// the source dir hellobench was built from.
std::filesystem::path default_config_path();
// The directory holding this executable (the {bin_dir} of the default config).
std::filesystem::path executable_dir();

}  // namespace hellobench
