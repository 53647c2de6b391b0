#!/usr/bin/env bash
# hellobench set-up: installs what the build and the tests need, and checks the toolchains
# that Debian does not provide (Go, Rust). Idempotent; about a second when all is present.
set -euo pipefail

# Debian packages the build, the tests and the benchmarks use.
DEBIAN_PACKAGES=(
  cmake ninja-build g++ make pkg-config
  libboost1.81-dev libboost-json1.81-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libcli11-dev libtomlplusplus-dev nlohmann-json3-dev libfmt-dev
  wrk curl binutils python3  # python3: loadgen/bench/compare-wrk.sh reads JSON with it
  clang libclang-rt-14-dev clang-format
  liburing-dev zlib1g-dev            # loadgen: the io_uring engine; HdrHistogram's compressed log format
  postgresql libpq-dev               # the database behind the I/O routes (private per run)
  cloc                               # the loc claim: lines of code, counted the same way for all
  podman runc debootstrap uidmap     # the container build loop and the CI image (podman + runc)
  iproute2                           # network namespaces for the multi-host generator tests
  chromium                           # the dashboard, rendered and checked in a real browser
)
GO_MIN="1.26"  # go-server's go.mod: an older go line would build with old compatibility settings
RUST_MIN="1.75"

say() { printf 'setup: %s\n' "$*" >&2; }
die() { say "$*"; exit 3; }

version_ge() { # version_ge HAVE NEED
  [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]
}

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  # One dpkg-query call for all packages keeps the no-op case fast.
  installed="$(dpkg-query -W -f='${Package} ${Status}\n' "${DEBIAN_PACKAGES[@]}" 2>/dev/null || true)"
  for p in "${DEBIAN_PACKAGES[@]}"; do
    grep -q "^${p} install ok installed$" <<<"$installed" || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
      die "missing Debian packages: ${missing[*]}; install them with: sudo apt-get install ${missing[*]}"
    fi
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
      || die "apt-get install failed for: ${missing[*]}"
  fi
else
  say "not a Debian system: make sure these (or your distribution's equivalents) are installed: ${DEBIAN_PACKAGES[*]}"
fi

# Go: from go.dev or the distribution; not installed here because Debian 12's is too old.
export PATH="$PATH:/usr/local/go/bin:$HOME/go/bin:$HOME/.cargo/bin"
command -v go >/dev/null 2>&1 || die "go not found: install Go >= $GO_MIN (https://go.dev/doc/install) and put it on PATH"
go_version="$(go env GOVERSION | sed 's/^go//')"
version_ge "$go_version" "$GO_MIN" || die "go $go_version is too old: hellobench needs >= $GO_MIN"

command -v cargo >/dev/null 2>&1 || die "cargo not found: install Rust >= $RUST_MIN with rustup (https://rustup.rs)"
rust_version="$(rustc --version | awk '{print $2}')"
version_ge "$rust_version" "$RUST_MIN" || die "rustc $rust_version is too old: hellobench needs >= $RUST_MIN (rustup update)"
# Node.js and npm (the dashboard's chart library, pinned by orchestrator's package-lock.json,
# and playwright-core for its browser test): the machine's own Node.js, which ships npm.
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 \
  || die "node and npm not found: install Node.js >= 18 (Debian: apt-get install nodejs npm)"
exit 0
