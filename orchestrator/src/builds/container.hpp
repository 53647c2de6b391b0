// The container loop (CONTRACT.md 2.1): a generated service's image rebuilt after the one-field
// edit, with a plain Containerfile (`COPY . .` then the build), with the dependency layer
// first, and with cache mounts; and the smallest runnable image of each server (the binary
// and exactly the files `ldd` lists, on an empty base).
//
// The engine is podman with runc (Docker's engine does not run on the machines this was
// written on; crun fails on hybrid cgroups), `--network host` and ulimits no higher than the
// defaults. Where no registry serves images, the config's [services] images are made locally
// when missing: a debootstrapped Debian base imported into podman, and toolchain stand-ins
// built from a Containerfile on top of it (the toolchains themselves come in as read-only
// build volumes). When the engine cannot run, the container loops are skipped with the reason.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace hellobench {

struct ContainerEngine {
  Argv engine;         // "podman", "--runtime", "runc"
  Argv build_options;  // "--network", "host", "--ulimit", ...
  bool usable = false;
  std::string why_not;       // when not usable: what failed, and how to fix it
  nlohmann::json made = nlohmann::json::array();  // stand-in images made by this run
};

// Checks that the engine runs (`info`) and makes the config's images that are missing.
// Never throws for an engine problem: the result says why it is not usable.
ContainerEngine prepare_container_engine(const ServicesConfig& services,
                                         const std::filesystem::path& scratch,
                                         const std::filesystem::path& log_dir);

// The URI apt uses on this machine (deb822 `URIs:` or a `deb URI suite` line), for debootstrap.
std::optional<std::string> apt_mirror(const std::filesystem::path& etc_apt = "/etc/apt");

// "container-plain" -> "plain"; the Containerfile is <containerfiles>/<variant>.Containerfile.
std::string container_variant(const std::string& loop);

struct ContainerTiming {
  bool ok = false;
  double seconds = 0;  // the timed build: the one after the edit
  std::string error;   // the engine's or compiler's last lines
  std::optional<std::uintmax_t> image_bytes;
  nlohmann::json steps = nlohmann::json::array();
};

// One container loop of one language at one size, in a copy of `generated`: an untimed first
// build (except for the plain Containerfile, where nothing after `COPY . .` survives an edit,
// so the build after the edit is a full build either way), the one-field edit, then the timed
// rebuild. `cache_id` names this build's cache mounts (removed afterwards).
ContainerTiming time_container_loop(const ContainerEngine& engine, const ServiceLanguage& language,
                                    const std::filesystem::path& generated, const std::string& loop,
                                    int jobs, const std::filesystem::path& work_dir,
                                    const std::filesystem::path& log_dir,
                                    const std::string& cache_id);

// Removes the engine's dangling images (the layers of this run's builds) and build caches.
void prune_container_builds(const ContainerEngine& engine, const std::filesystem::path& log_dir);

// The smallest runnable image of one binary: FROM scratch with the binary and the files `ldd`
// resolves (the loader included), checked by starting it (`--port 0` until `listening on`).
// Returns {server, image, base, files, image_bytes, runs, error}.
nlohmann::json smallest_image(const ContainerEngine& engine, const std::string& server,
                              const std::filesystem::path& binary,
                              const std::filesystem::path& work_dir,
                              const std::filesystem::path& log_dir);

}  // namespace hellobench
