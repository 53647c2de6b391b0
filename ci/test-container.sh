#!/usr/bin/env bash
# `make test-container`: build the CI image (ci/Containerfile) with podman and run the same-job
# gate inside it, as a CI job would. No registry serves images on this machine, so the base
# images are local stand-ins for the official ones (made once, kept):
#   localhost/hellobench-ci-base:bookworm   debootstrap --variant=minbase bookworm, imported
#   localhost/hellobench-ci-golang:1.26     the base + /usr/local/go         (golang:1.26-bookworm)
#   localhost/hellobench-ci-rust:1.95       the base + a Rust toolchain in /usr/local/cargo,
#                                           ca-certificates and git       (rust:1.95-bookworm)
# Skips (exit 0, saying why) where podman cannot run. Environment: CONTEXT (the checkout to
# build, default this repository), GATE_REF (default HEAD: an unchanged candidate, which must
# pass), GATE_SERVERS (default go), KEEP_IMAGES=1 keeps the built hellobench-ci images.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
CONTEXT=${CONTEXT:-$REPO}
GATE_REF=${GATE_REF:-HEAD}
GATE_SERVERS=${GATE_SERVERS:-go}
BASE=localhost/hellobench-ci-base:bookworm
GO_STANDIN=localhost/hellobench-ci-golang:1.26
RUST_STANDIN=localhost/hellobench-ci-rust:1.95
PODMAN=(podman --runtime runc)
LIMITS=(--ulimit nofile=1024:1024 --ulimit nproc=1024:1024)

say() { printf 'test-container: %s\n' "$*" >&2; }
skip() { say "SKIPPED: $*"; exit 0; }

command -v podman >/dev/null 2>&1 || skip "podman is not installed (apt-get install podman runc)"
command -v runc >/dev/null 2>&1 || skip "runc is not installed (apt-get install runc)"
"${PODMAN[@]}" info >/dev/null 2>&1 || skip "podman cannot run here: $("${PODMAN[@]}" info 2>&1 | tail -n1)"

work=$(mktemp -d /tmp/hellobench-ci.XXXXXX)
trap 'rm -rf "$work"' EXIT

if ! "${PODMAN[@]}" image exists "$BASE"; then
  command -v debootstrap >/dev/null 2>&1 || skip "no $BASE and no debootstrap to make it"
  mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  mirror=${mirror:-http://deb.debian.org/debian}
  say "making $BASE with debootstrap from $mirror"
  debootstrap --variant=minbase bookworm "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
    || { tail -n 20 "$work/debootstrap.log"; exit 1; }
  tar -C "$work/rootfs" -c . | "${PODMAN[@]}" import - "$BASE" >/dev/null
fi
if ! "${PODMAN[@]}" image exists "$GO_STANDIN"; then
  go_root=$(go env GOROOT 2>/dev/null || echo /usr/local/go)
  [ -x "$go_root/bin/go" ] || skip "no Go toolchain to make $GO_STANDIN from"
  say "making $GO_STANDIN from $go_root"
  printf 'FROM %s\nCOPY . /usr/local/go\nENV PATH=/usr/local/go/bin:$PATH\n' "$BASE" >"$work/go.Containerfile"
  "${PODMAN[@]}" build -q "${LIMITS[@]}" -f "$work/go.Containerfile" -t "$GO_STANDIN" "$go_root" >/dev/null
fi
if ! "${PODMAN[@]}" image exists "$RUST_STANDIN"; then
  toolchain=$(dirname "$(dirname "$(rustup which rustc 2>/dev/null || command -v rustc)")")
  [ -x "$toolchain/bin/cargo" ] || skip "no Rust toolchain folder to make $RUST_STANDIN from"
  say "making $RUST_STANDIN from $toolchain"
  cat >"$work/rust.Containerfile" <<CF
FROM $BASE
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates git \
 && rm -rf /var/lib/apt/lists/*
COPY . /usr/local/cargo
ENV CARGO_HOME=/usr/local/cargo PATH=/usr/local/cargo/bin:\$PATH
CF
  "${PODMAN[@]}" build -q --network host "${LIMITS[@]}" -f "$work/rust.Containerfile" \
    -t "$RUST_STANDIN" "$toolchain" >/dev/null
fi

build() { # build TARGET TAG
  say "building target $1 of ci/Containerfile from $CONTEXT"
  "${PODMAN[@]}" build --network host "${LIMITS[@]}" -v /etc/ssl/certs:/etc/ssl/certs:ro \
    --build-arg GO_IMAGE="$GO_STANDIN" --build-arg RUST_IMAGE="$RUST_STANDIN" \
    --build-arg RUNTIME_IMAGE="$BASE" \
    --build-arg NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt \
    -f "$REPO/ci/Containerfile" --ignorefile "$REPO/ci/Containerfile.dockerignore" \
    --target "$1" -t "$2" "$CONTEXT"
}
# runtime first: it builds every stage; then the build stage again, from podman's layer cache.
build runtime localhost/hellobench-ci:runtime
build build localhost/hellobench-ci:build

say "runtime image: hellobench --version, and the dashboard of a results file"
"${PODMAN[@]}" run --rm "${LIMITS[@]}" localhost/hellobench-ci:runtime hellobench --version

say "same-job gate in the build image: $GATE_REF against the image's checkout, servers $GATE_SERVERS"
mkdir -p "$work/out"
set +e
"${PODMAN[@]}" run --rm --network host "${LIMITS[@]}" -v /etc/ssl/certs:/etc/ssl/certs:ro \
  -v "$work/out:/out" localhost/hellobench-ci:build \
  hellobench gate --baseline-ref "$GATE_REF" --servers "$GATE_SERVERS" --out /out/gate
status=$?
set -e
if [ "$status" -ne 0 ]; then
  say "FAILED: the gate exited $status for an unchanged candidate"
  exit 1
fi
say "publishing the gate run's dashboard from the runtime image"
run_dir=$(ls -d "$work"/out/gate/*/ | tail -n1)
"${PODMAN[@]}" run --rm "${LIMITS[@]}" -v "$work/out:/out" localhost/hellobench-ci:runtime \
  hellobench report --html /out/site "/out/gate/$(basename "$run_dir")/results.json" --history /out/gate
test -s "$work/out/site/index.html"
if [ "${KEEP_IMAGES:-0}" != 1 ]; then
  "${PODMAN[@]}" rmi localhost/hellobench-ci:build localhost/hellobench-ci:runtime >/dev/null || true
fi
say "passed: the image builds, the gate passes an unchanged candidate inside it, the runtime image renders the dashboard"
