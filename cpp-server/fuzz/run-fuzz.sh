#!/usr/bin/env bash
# Builds one of cpp-server's libFuzzer targets with clang (g++ cannot) into OUT_DIR and runs it
# for SECONDS from the checked-in corpus, as loadgen/fuzz/run-fuzz.sh does. ctest runs each for
# a bounded time; `make fuzz` runs them longer.
# Usage: run-fuzz.sh TARGET OUT_DIR [SECONDS|build] [CLANGXX] [-- more libFuzzer flags]
#   TARGET: request (RequestParser + router) or orders (check_order)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
src="$here/.."
target="${1:?usage: run-fuzz.sh request|orders OUT_DIR [SECONDS] [CLANGXX]}"
out="${2:?usage: run-fuzz.sh request|orders OUT_DIR [SECONDS] [CLANGXX]}"
seconds="${3:-20}"
clangxx="${4:-clang++}"
shift $(($# < 4 ? $# : 4))
[ "${1:-}" = "--" ] && shift
command -v "$clangxx" >/dev/null || { echo "run-fuzz.sh: $clangxx not found (apt-get install clang libclang-rt-14-dev)" >&2; exit 3; }

case "$target" in
  request) sources=(routes.cpp http_date.cpp service_routes.cpp db_routes.cpp pg_text.cpp pg_pool.cpp store.cpp orders.cpp)
           libs=($(pkg-config --cflags --libs libpq 2>/dev/null || echo -I/usr/include/postgresql -lpq)) ;;
  orders)  sources=(store.cpp orders.cpp); libs=() ;;
  *) echo "run-fuzz.sh: unknown target $target (request, orders)" >&2; exit 2 ;;
esac

binary="$out/${target}_fuzz"
mkdir -p "$out/corpus-$target"
cp -n "$here/corpus/$target"/* "$out/corpus-$target/" 2>/dev/null || true
# Rebuilt only when a source or header is newer than the binary. Boost.JSON is compiled in
# (src.hpp) so that its parser is instrumented too.
newest="$(find "$here" "$src/src" "$src/include" -newer "$binary" \( -name '*.[ch]pp' -o -name run-fuzz.sh \) 2>/dev/null | head -1 || true)"
if [ ! -x "$binary" ] || [ -n "$newest" ]; then
  flags=(-std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
         -DBOOST_ASIO_NO_DEPRECATED -DBOOST_JSON_NO_LIB -DBOOST_ENABLE_ASSERT_HANDLER
         -I "$src/include")
  "$clangxx" "${flags[@]}" "$here/${target}_fuzz.cpp" "$here/boost_json_src.cpp" \
    "${sources[@]/#/$src/src/}" "${libs[@]}" -lpthread -o "$binary.tmp"
  mv "$binary.tmp" "$binary"
fi
[ "$seconds" = build ] && exit 0  # SECONDS=build: only build (CMake's build step)
# New inputs go to the build dir's corpus, never into the source tree.
nice -n "${FUZZ_NICE:-0}" "$binary" -max_total_time="$seconds" -max_len=16384 \
  -dict="$here/$target.dict" -print_final_stats=1 -artifact_prefix="$out/$target-" "$@" "$out/corpus-$target"
