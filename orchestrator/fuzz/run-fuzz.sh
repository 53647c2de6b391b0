#!/usr/bin/env bash
# Builds the config loader's libFuzzer target with clang (g++ cannot) into OUT_DIR and runs it
# for SECONDS from the checked-in corpus (the repository's own configs and the tests' ones), as
# loadgen/fuzz/run-fuzz.sh does. ctest runs it for a bounded time; `make fuzz` runs it longer.
# Usage: run-fuzz.sh OUT_DIR [SECONDS|build] [CLANGXX] [-- more libFuzzer flags]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
src="$here/../src"
out="${1:?usage: run-fuzz.sh OUT_DIR [SECONDS|build] [CLANGXX]}"
seconds="${2:-20}"
clangxx="${3:-clang++}"
shift $(($# < 3 ? $# : 3))
[ "${1:-}" = "--" ] && shift
command -v "$clangxx" >/dev/null || { echo "run-fuzz.sh: $clangxx not found (apt-get install clang libclang-rt-14-dev)" >&2; exit 3; }

binary="$out/config_fuzz"
mkdir -p "$out/corpus-config"
cp -n "$here"/corpus/config/* "$out/corpus-config/" 2>/dev/null || true
newest="$(find "$here" "$src/config" "$src/analysis" "$src/core" -newer "$binary" \( -name '*.[ch]pp' -o -name run-fuzz.sh \) 2>/dev/null | head -1 || true)"
if [ ! -x "$binary" ] || [ -n "$newest" ]; then
  # toml++ header-only, so that its parser is instrumented too. -DNDEBUG as in the release build
  # (and Debian's libtomlplusplus): toml++ 3.3's parse_key asserts on "[=", an input its release
  # build rejects with a proper parse error (config_test.cpp: TomlDebugAssertionInput).
  "$clangxx" -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
    -DNDEBUG -DTOML_HEADER_ONLY=1 -DTOML_EXCEPTIONS=1 -I "$src" "$here/config_fuzz.cpp" \
    "$src/config/config.cpp" "$src/analysis/claims.cpp" "$src/analysis/figures.cpp" \
    "$src/analysis/metrics.cpp" "$src/analysis/stats.cpp" -lfmt -lpthread -o "$binary.tmp"
  mv "$binary.tmp" "$binary"
fi
[ "$seconds" = build ] && exit 0  # SECONDS=build: only build (CMake's build step)
nice -n "${FUZZ_NICE:-0}" "$binary" -max_total_time="$seconds" -max_len=32768 \
  -dict="$here/config.dict" -print_final_stats=1 -artifact_prefix="$out/config-" "$@" \
  "$out/corpus-config"
