#!/usr/bin/env bash
# Server CPU time per request, each server on one pinned CPU with one thread.
#
# Each server runs alone on SERVER_CPU with --threads 1 (taskset); wrk drives it from LOAD_CPU
# (-t1 -c$CONNECTIONS, keep-alive, GET $TARGET_PATH) for a warm-up, then for the measured
# window. CPU time is user+system of the whole process (all threads) from /proc/PID/stat, read
# just before and just after the window; divided by the requests wrk completed in the window.
# Servers alternate (A B C A B C ...) so that drift of a shared machine hits all alike; the
# table shows medians over REPS rounds, plus the lowest and highest sample.
#
# Usage: bash bench/servers-cpu.sh            (after `make`; `make bench-servers` does both)
# Environment: BIN_DIR (build/bin), SERVERS ("bare cpp cpp-tuned cpp-minimal rust rust-tuned
#   rust-minimal go go-tuned go-minimal", the names of hellobench.toml: cpp is the stock C++
#   server, cpp-tuned the hand-written one; cpp-stock is kept as another name for cpp); missing
#   binaries are skipped; "cpp-shared" is cpp-tuned with --io-model shared; a *-minimal server
#   answers only GET /, so it is left out for another path or a POST), REPS (3), DURATION (10, seconds),
#   WARMUP (2, seconds), CONNECTIONS (64), TARGET_PATH (/), SERVER_CPU (0; a taskset CPU list),
#   SERVER_THREADS (1), LOAD_CPU (1), RAW (a file to append raw samples to, as TSV),
#   BODY_FILE (POST this file as application/json instead of GET, e.g. TARGET_PATH=/orders
#   BODY_FILE=contract/payloads/order-10.json).
set -euo pipefail
cd "$(dirname "$0")/.."

BIN_DIR=${BIN_DIR:-build/bin}
SERVERS=${SERVERS:-"bare cpp cpp-tuned cpp-minimal rust rust-tuned rust-minimal go go-tuned go-minimal"}
REPS=${REPS:-3}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
CONNECTIONS=${CONNECTIONS:-64}
TARGET_PATH=${TARGET_PATH:-/}
SERVER_CPU=${SERVER_CPU:-0}
SERVER_THREADS=${SERVER_THREADS:-1}
# On a one-CPU machine wrk has to share CPU 0 (and the script says so).
LOAD_CPU=${LOAD_CPU:-$(($(nproc --all) > 1 ? 1 : 0))}
RAW=${RAW:-}
BODY_FILE=${BODY_FILE:-}

die() { printf 'servers-cpu: %s\n' "$*" >&2; exit "${2:-2}"; }
note() { printf 'servers-cpu: %s\n' "$*" >&2; }

for n in REPS DURATION WARMUP CONNECTIONS SERVER_THREADS LOAD_CPU; do
  [[ ${!n} =~ ^[0-9]+$ ]] || die "$n must be a non-negative integer, got '${!n}'"
done
((REPS >= 1)) || die "REPS must be at least 1"
((DURATION >= 1)) || die "DURATION must be at least 1 second"
command -v wrk >/dev/null || die "wrk not found: apt-get install wrk" 3
command -v taskset >/dev/null || die "taskset not found: apt-get install util-linux" 3
cpus=$(nproc --all)
[[ $SERVER_CPU =~ ^[0-9]+([,-][0-9]+)*$ ]] || die "SERVER_CPU must be a CPU list such as 0 or 0,1, got '$SERVER_CPU'"
((LOAD_CPU < cpus)) || die "LOAD_CPU must be below the CPU count ($cpus)"
[[ ,$SERVER_CPU, != *,$LOAD_CPU,* ]] || note "wrk shares a CPU with the server: figures are not comparable with separate CPUs"

binary_for() {
  case $1 in
    bare) echo "$BIN_DIR/bare-responder" ;;
    cpp-tuned | cpp-shared) echo "$BIN_DIR/cpp-server" ;;
    cpp | cpp-stock) echo "$BIN_DIR/cpp-stock-server" ;;
    cpp-minimal) echo "$BIN_DIR/cpp-minimal-server" ;;
    rust) echo "$BIN_DIR/rust-server" ;;
    rust-tuned) echo "$BIN_DIR/rust-tuned-server" ;;
    rust-minimal) echo "$BIN_DIR/rust-minimal-server" ;;
    go) echo "$BIN_DIR/go-server" ;;
    go-tuned) echo "$BIN_DIR/go-tuned-server" ;;
    go-minimal) echo "$BIN_DIR/go-minimal-server" ;;
    *) echo "$1" ;;  # a path to another server taking --port and --threads
  esac
}

available=()
for s in $SERVERS; do
  if [[ $s == *-minimal && ($TARGET_PATH != / || -n $BODY_FILE) ]]; then
    note "skipping $s: a minimal server answers only GET /"
    continue
  fi
  bin=$(binary_for "$s")
  if [[ -x $bin ]]; then available+=("$s"); else note "skipping $s: no executable at $bin"; fi
done
((${#available[@]} > 0)) || die "no server binaries found in $BIN_DIR (run make first)" 3

clk_tck=$(getconf CLK_TCK)
workdir=$(mktemp -d)
server_pid=""
cleanup() {
  if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$workdir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# With BODY_FILE, wrk sends every request as a POST of that file (a wrk Lua script).
wrk_script=()
if [[ -n $BODY_FILE ]]; then
  [[ -r $BODY_FILE ]] || die "BODY_FILE: cannot read '$BODY_FILE'"
  # A Lua long string takes the bytes as they are (a trailing newline of the file is dropped).
  printf 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = [==[%s]==]\n' \
    "$(<"$BODY_FILE")" >"$workdir/post.lua"
  wrk_script=(-s "$workdir/post.lua")
fi

# utime + stime of every thread of the process, in clock ticks (/proc/PID/stat fields 14, 15;
# the command name in field 2 may hold spaces, so split after its closing parenthesis).
cpu_ticks() {
  local stat
  stat=$(<"/proc/$1/stat")
  stat=${stat##*) }
  read -r -a f <<<"$stat"
  echo $((f[11] + f[12]))
}

# Starts a server pinned to SERVER_CPU; sets server_pid and port.
start_server() {
  local name=$1 bin out
  bin=$(binary_for "$name")
  out="$workdir/${name//\//_}.out"
  : >"$out"
  local args=(--port 0 --threads "$SERVER_THREADS")
  [[ $name == cpp-shared ]] && args+=(--io-model shared)
  [[ $name == cpp-minimal ]] && args=(127.0.0.1 0)  # Beast's sync example: <address> <port>
  [[ $name == go-minimal ]] && args=(-addr 127.0.0.1:0)  # net/http's example: one -addr flag
  taskset -c "$SERVER_CPU" "$bin" "${args[@]}" >"$out" 2>"$out.err" &
  server_pid=$!
  port=""
  for _ in $(seq 1 500); do
    port=$(sed -n 's/^listening on .*:\([0-9][0-9]*\)$/\1/p' "$out")
    [[ -n $port ]] && return 0
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.01
  done
  die "$name did not print its listening line: $(cat "$out.err")" 1
}

stop_server() {
  kill -TERM "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

run_wrk() { # seconds url -> wrk output
  taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNECTIONS" -d"$1"s "${wrk_script[@]}" "$2"
}

# One trial; sets trial_rps, trial_cpu_us (per request) and trial_errors.
trial() {
  local name=$1 url output before after requests
  start_server "$name"
  url="http://127.0.0.1:$port$TARGET_PATH"
  run_wrk "$WARMUP" "$url" >/dev/null
  before=$(cpu_ticks "$server_pid")
  output=$(run_wrk "$DURATION" "$url")
  kill -0 "$server_pid" 2>/dev/null || die "$name exited during the load: $(cat "$workdir"/*.err)" 1
  after=$(cpu_ticks "$server_pid")
  stop_server
  requests=$(awk '/requests in/ {print $1}' <<<"$output")
  [[ -n $requests && $requests -gt 0 ]] || die "wrk completed no requests against $name: $output" 1
  trial_rps=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' <<<"$output")
  trial_cpu_us=$(awk -v r="$requests" -v t=$((after - before)) -v hz="$clk_tck" \
    'BEGIN { printf "%.3f", t / hz * 1e6 / r }')
  # Socket errors (connect, read, write, timeout) and non-2xx answers both count.
  trial_errors=$(awk '/Socket errors/ {gsub(/,/, ""); n += $4 + $6 + $8 + $10} /Non-2xx/ {n += $NF} END {print n + 0}' <<<"$output")
}

declare -A rps_samples cpu_samples error_count
note "$(uname -sr), $(wrk -v 2>&1 | head -n1 | cut -d' ' -f1-2), binaries from $BIN_DIR"
printf 'servers-cpu: %s, CPU %s for the server (%s threads), CPU %s for wrk -t1 -c%s, %s %s, %ss windows after %ss warm-up, %s rounds, %s\n' \
  "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')" "$SERVER_CPU" "$SERVER_THREADS" "$LOAD_CPU" \
  "$CONNECTIONS" "$([[ -n $BODY_FILE ]] && echo "POST $BODY_FILE to" || echo GET)" "$TARGET_PATH" \
  "$DURATION" "$WARMUP" "$REPS" "$(date -u '+%Y-%m-%d %H:%M UTC')" >&2
for ((rep = 1; rep <= REPS; rep++)); do
  for name in "${available[@]}"; do
    trial "$name"
    note "round $rep $name: $trial_rps req/s, $trial_cpu_us us CPU/request, $trial_errors errors"
    rps_samples[$name]+="$trial_rps "
    cpu_samples[$name]+="$trial_cpu_us "
    error_count[$name]=$((${error_count[$name]:-0} + trial_errors))
    if [[ -n $RAW ]]; then
      printf '%s\t%s\t%s\t%s\t%s\n' "$rep" "$name" "$trial_rps" "$trial_cpu_us" "$trial_errors" >>"$RAW"
    fi
  done
done

# median min max of the numbers given
stats() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{v[NR] = $1} END {m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; print m, v[1], v[NR]}'; }

bare_cpu=""
[[ -n ${cpu_samples[bare]:-} ]] && read -r bare_cpu _ _ < <(stats "${cpu_samples[bare]}")
printf '\n%-13s %12s %14s %20s %9s %7s\n' server "req/s" "CPU us/req" "(min..max)" "vs bare" errors
for name in "${available[@]}"; do
  read -r rps_median _ _ < <(stats "${rps_samples[$name]}")
  read -r cpu_median cpu_min cpu_max < <(stats "${cpu_samples[$name]}")
  ratio="-"
  [[ -n $bare_cpu ]] && ratio=$(awk -v a="$cpu_median" -v b="$bare_cpu" 'BEGIN { printf "%.2fx", a / b }')
  printf '%-13s %12.0f %14.3f %20s %9s %7s\n' "$name" "$rps_median" "$cpu_median" \
    "($cpu_min..$cpu_max)" "$ratio" "${error_count[$name]}"
done
printf '\nmedians of %s rounds; CPU = user+system of the server process over the window / requests.\n' "$REPS"
total_errors=0
for name in "${available[@]}"; do total_errors=$((total_errors + ${error_count[$name]})); done
if ((total_errors > 0)); then
  note "some trials had errors: those figures are not valid"
  exit 1
fi
