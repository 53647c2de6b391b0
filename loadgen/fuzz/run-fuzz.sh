#!/usr/bin/env bash
# Builds the response parser's libFuzzer target with clang (g++ cannot) into OUT_DIR and runs
# it for SECONDS, starting from the checked-in corpus. ctest runs it with a fixed seed and a
# bounded number of executions (repeatable); `make fuzz` runs it longer.
# Usage: run-fuzz.sh OUT_DIR [SECONDS] [CLANGXX] [-- more libFuzzer flags]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:?usage: run-fuzz.sh OUT_DIR [SECONDS] [CLANGXX]}"
seconds="${2:-20}"
clangxx="${3:-clang++}"
shift $(($# < 3 ? $# : 3))
[ "${1:-}" = "--" ] && shift
command -v "$clangxx" >/dev/null || { echo "run-fuzz.sh: $clangxx not found (apt-get install clang libclang-rt-14-dev)" >&2; exit 3; }

mkdir -p "$out/corpus"
cp -n "$here"/corpus/* "$out/corpus/" 2>/dev/null || true
"$clangxx" -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
  -I "$here/../include" "$here/response_parser_fuzz.cpp" "$here/../src/response_parser.cpp" \
  -o "$out/response_parser_fuzz"
# New inputs go to $out/corpus (the build dir), never into the source tree.
"$out/response_parser_fuzz" -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 \
  -artifact_prefix="$out/" "$@" "$out/corpus"
