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
  // More insertions in the same file, for a language where one field is two lines (a member
  // and its name in a reflection list such as BOOST_DESCRIBE_STRUCT): {marker, line} pairs.
  std::vector<std::pair<std::string, std::string>> also;
};

struct ServerConfig {
  std::string name;                  // short id used on the command line and in results: "go"
  std::string label;                 // for humans: "Go net/http"
  std::string language;              // "Go"
  // CONTRACT.md "Tiers": "minimal" (the framework docs' hello world), "stock" (the contract the
  // way the framework's examples write it; the claims are judged on it) or "tuned" (as fast as
  // the language can make it within the same framework). A run measures the stock tier unless
  // --servers says otherwise.
  std::string tier = "stock";
  std::filesystem::path source_dir;  // absolute (resolved against the config's folder)
  std::string binary;                // the program a run benchmarks ({bin_dir} placeholder)
  Argv run;                          // {binary} {port} {threads} {bind}
  std::string tuning;                // free text, recorded in results
  // Named settings a scenario or verify can ask for, each an argv fragment appended to `run`
  // with {value} replaced: live_mb -> ["--live-mb", "{value}"]. A server without a setting
  // cannot run a scenario that needs it (the scenario is skipped for it, with the reason).
  std::map<std::string, Argv> options;
  // Environment for every run of the server, set on top of the inherited one (recorded in the
  // results): go's GODEBUG=gctrace=1 lets the run count GC cycles in a window.
  std::vector<std::pair<std::string, std::string>> env;
  FieldEdit edit;  // empty file: no one-field edit (a minimal server has no record to edit)
  // The source files whose lines the loc claim counts (relative to source_dir; cloc, code lines
  // only, the same way for every server). Empty: the server's lines are not counted.
  std::vector<std::string> loc_files;
  ServerBuild build;
};

enum class LoadMode { closed, open };
const char* to_string(LoadMode mode);

struct ScenarioConfig {
  std::string name;
  std::string path;       // "/json", "/io?ms={wait}" (loadgen placeholders: {wait}, {id})
  std::string generator;  // "wrk" or "loadgen"
  LoadMode mode = LoadMode::closed;
  int connections = 64;
  std::optional<double> rate;  // requests/s, open mode only
  // The request, beyond a plain GET of `path` (loadgen only): method, headers, a body file, or
  // a targets file holding a weighted mix (loadgen's --targets). Paths resolved when loaded.
  std::string method = "GET";
  std::vector<std::string> headers;
  std::filesystem::path body_file;
  std::filesystem::path targets_file;
  // loadgen's per-request draws, by placeholder name: wait -> "uniform:80ms:150ms",
  // id -> "uniform:0:{last_id}" ({last_id}: the last record id of the store live_mb makes).
  std::map<std::string, std::string> draws;
  // Server settings by name (see ServerConfig::options): live_mb -> "100".
  std::map<std::string, std::string> settings;
  // Overrides of the profile's warm-up and window for this scenario (memory with live data
  // needs a longer window to see several GC cycles). Scaled by the profile's window_scale.
  std::optional<double> warmup_seconds;
  std::optional<double> window_seconds;
  double timeout_seconds = 2;
  // Hosts the load comes from ([[host]] names; empty: the profile's, else this machine). The
  // load is split into equal parts, one per host (trial/hosts.hpp).
  std::vector<std::string> generator_hosts;
  std::vector<std::string> claims;
  std::string description;
};

// A load sweep (CONTRACT.md 2, "Load sweeps and regimes"): one scenario at a list of points.
// A point is an offered rate (absolute, a fraction of a server's measured capacity, or the
// rate at which a server uses a given share of its CPU) or, with `vary` naming a server
// setting, a value of that setting at the scenario's rate.
struct CapacitySearch {
  double p99_bound_ms = 10;   // the highest rate held with p99 at most this
  double start_rate = 1000;   // first probe
  double growth = 1.5;        // each probe's rate is the last one's times this until one fails
  int refinements = 2;        // then bisections between the last held and the first failed
  double probe_seconds = 1.5;
  int max_probes = 16;
};

struct SweepPoint {
  std::string label;               // "rust-20pct-cpu", "50%", "100 MB"
  std::optional<double> rate;      // absolute requests/s
  std::optional<double> fraction;  // of `of`'s capacity
  std::optional<double> cpu_share; // the rate at which `of` uses this share of its CPU set
  std::string of;                  // the reference server for fraction and cpu_share
  std::optional<std::string> value;  // the varied setting's value
  bool headline = false;  // measured with the profile's repetitions (others: sweep_repetitions)
};

struct SweepConfig {
  std::string name;
  std::string scenario;
  std::string vary = "rate";  // "rate", or a server setting such as "live_mb"
  std::optional<CapacitySearch> capacity;  // needed by fraction / cpu_share points
  std::vector<SweepPoint> points;
  std::string description;
};

// Generated services (CONTRACT.md 2.1, hellobench.toml [services]): one service shape per
// language, emitted from templates at growing sizes and built in every loop kind.
struct ServiceLanguage {
  std::string name;  // a [[server]] name, so that claims compare the same names ("go")
  std::filesystem::path template_dir;    // absolute; services/templates/<language>
  std::filesystem::path containerfiles;  // absolute; holds <loop>.Containerfile per variant
  FieldEdit edit;                        // the one-field edit of the shared record
  std::vector<Argv> fetch;               // downloads before any timed build (not timed)
  std::vector<Argv> configure;           // dev build: once per fresh build folder
  std::vector<Argv> build;               // dev build: clean, no-op, incremental
  std::vector<Argv> check;               // what an editor waits for; empty: loop skipped
  std::vector<Argv> release_configure;   // ci: release build from empty caches ...
  std::vector<Argv> release_build;
  std::vector<Argv> test;                // ... then the service's own tests
  Argv dependencies;                     // prints the dependencies, one a line
  std::string dependencies_match;        // ECMAScript regex a dependency line matches
  std::string binary = "{out}";          // the dev build's program
  std::string release_binary = "{out}";  // the release build's program
  std::vector<std::pair<std::string, std::string>> env;  // every step ({build_dir} ...)
  std::vector<std::string> cloc_languages;  // cloc's names of the counted languages
  std::map<std::string, std::string> container_args;    // --build-arg for the stand-ins
  std::vector<std::string> container_volumes;           // -v for the stand-ins' toolchains
  std::string where;                                    // FILE:LINE:COLUMN
};

// An image the container loop needs that no registry serves here: made when missing, from a
// debootstrap of a Debian suite or from a Containerfile.
struct ContainerImage {
  std::string name;
  std::string debootstrap;               // suite ("bookworm"), or empty
  std::filesystem::path containerfile;   // absolute, or empty
};

struct ServicesConfig {
  std::vector<ServiceLanguage> languages;
  std::vector<int> sizes;           // modules per size, increasing (hellobench build)
  std::vector<std::string> loops;   // loop kinds (hellobench build)
  int repetitions = 1;
  Argv engine = {"podman", "--runtime", "runc"};
  Argv build_options;               // for every image build
  std::vector<ContainerImage> images;
  std::string where;
};

// The loop kinds of CONTRACT.md 2.2, in the order they are measured.
const std::vector<std::string>& service_loop_kinds();

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
  std::vector<std::string> sweeps;  // [[sweep]] names run by this profile
  int sweep_repetitions = 1;        // per non-headline sweep point
  // Generated-service builds: sizes (modules, increasing) and loop kinds; empty: none.
  std::vector<int> service_sizes;
  std::vector<std::string> service_loops;
  int service_repetitions = 1;
  // [[host]] names the profile's loadgen scenarios take their load from when the scenario names
  // none (wrk scenarios stay on this machine: wrk cannot start at an agreed time), and the host
  // the servers run on (empty: the config's, else this machine).
  std::vector<std::string> generator_hosts;
  std::string server_host;
};

// Another machine (or a network namespace, a container) that runs a generator or the server:
// every command for it is `prefix` + the command (CONTRACT.md 3, "Several hosts").
struct HostConfig {
  std::string name;
  Argv prefix;  // ["ssh", "gen1"], ["ip", "netns", "exec", "gen1"]
  // The prefix hands a command line to a remote shell (ssh): each argument is quoted for it,
  // and the processes run on another machine, so their CPU is not measured here. Default: true
  // when the prefix's program is ssh.
  bool remote = false;
  std::string loadgen;     // loadgen there (default: [generators] loadgen)
  std::string hellobench;  // hellobench there, for `hellobench sample` (default: this program)
  std::string address;     // as the server's host: the address it binds and the load goes to
  int threads = 0;         // loadgen -t there (0: the size of this machine's generator CPU set)
  double start_margin_s = 1;       // --start-at is this far ahead of the launch
  double max_start_late_ms = 100;  // loadgen --max-start-late: a later start invalidates a trial
  std::string where;               // FILE:LINE:COLUMN
};

// One part of a claim (CLAIMS.md): what is selected, how it is estimated, and the rule.
// Names (source, metric, estimator, servers, scenarios, sweeps) are checked when the config
// is loaded (analysis/claims.cpp: validate_claims), so an unknown one fails with `where`.
struct ClaimPart {
  std::string role = "regime";  // "regime": decides the verdict; "floor": the hello-route
                                // figure beside it; "context": shown, never judged
  std::string label;            // the regime in words: "service mix at Rust's 20%-CPU rate"
  std::string source = "trials";  // trials, sweep, capacity, builds, binaries, microbenchmarks
  std::string scenario;  // trials: the scenario (outside sweeps)
  // trials: a marginal figure, the metric on `scenario` minus the metric on this scenario,
  // round by round for the same server (the marginal CPU of POST /orders over GET /).
  std::string minus_scenario;
  std::string sweep;  // sweep name (sources sweep, capacity; trials of one sweep point)
  std::string point;  // sweep point label (trials of that point only)
  std::string metric;
  std::string estimator = "ratio";  // value, ratio, difference, held_rate, slope
  std::string a;  // server (or language, for microbenchmarks) measured, or the numerator
  std::string b;  // the denominator / subtrahend
  std::map<std::string, std::string> where_fields;  // extra row filters: kind, payload, ...
  std::string side;  // at_most, at_least; empty: shown, not judged
  std::optional<double> threshold;
  std::string where;  // FILE:LINE:COLUMN of the part, for messages
};

struct ClaimConfig {
  std::string id;
  std::string text;                       // the article's figure in words
  std::string unit;                       // "s", "MB", "ratio", ...
  std::map<std::string, double> figures;  // the article's numbers, e.g. go = 8, rust = 192
  std::string regime;                     // the article's regime in words (CLAIMS.md)
  std::vector<ClaimPart> parts;
  std::string where;
};

// The private PostgreSQL a run starts when a scenario's settings name {database}.
struct DatabaseConfig {
  int live_mb = 100;            // rows of the users table: live_mb * 1024 (the --live-mb records)
  int max_connections = 400;    // the servers' pools for 80-150 ms waits are large
  std::string cpus = "generator";  // the CPU set it runs on: "generator" or "server"
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
  std::vector<SweepConfig> sweeps;
  DatabaseConfig database;
  std::map<std::string, ProfileConfig> profiles;
  std::vector<ClaimConfig> claims;
  ServicesConfig services;
  std::vector<HostConfig> hosts;
  std::string server_host;  // a [[host]] the servers run on (empty: this machine)

  const HostConfig* find_host(const std::string& name) const;
  const ServerConfig* find_server(const std::string& name) const;
  const ScenarioConfig* find_scenario(const std::string& name) const;
  const ProfileConfig* find_profile(const std::string& name) const;
  const SweepConfig* find_sweep(const std::string& name) const;
};

// Throws ConfigError (exit 2) for a missing file, bad syntax, a missing or mistyped field, an
// unknown key, a duplicate name or a reference to an undefined scenario.
Config load_config(const std::filesystem::path& file);
Config parse_config(const std::string& text, const std::filesystem::path& file);

// Picks servers from a comma-separated list of names, "tier:NAME" (every server of a tier) or
// "all"; an empty list is the stock tier. Unknown names are rejected, naming the flag and the
// name: "--servers: unknown server 'java' (known: cpp, go, rust)".
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
