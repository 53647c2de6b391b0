#!/usr/bin/env bash
# Closed-loop throughput of loadgen against wrk: the same server pinned to one core, each
# generator with one thread pinned to another, alternating loadgen and wrk, REPS times each;
# prints every sample, the medians, and the generators' CPU time (user/system) per run.
#
#   bench/compare-wrk.sh BUILD_DIR [SERVER...]
#
# SERVER: a command that prints "listening on ADDR:PORT" (default: BUILD_DIR/bin/cpp-server
# --port 0 --threads 1 if built, else BUILD_DIR/loadgen/bench/loadgen-fast-responder).
# Environment: CONNS (64), DURATION (5s), REPS (3), PATH_ (/), SERVER_CPU (1), LOAD_CPU (0),
# RATE (10000, for the open-loop rate check at the end; 0 skips it).
set -euo pipefail
build="${1:?usage: compare-wrk.sh BUILD_DIR [SERVER...]}"
shift
conns="${CONNS:-64}" duration="${DURATION:-5s}" reps="${REPS:-3}" path="${PATH_:-/}"
server_cpu="${SERVER_CPU:-1}" load_cpu="${LOAD_CPU:-0}" rate="${RATE:-10000}"
loadgen="$build/bin/loadgen"
[ -x "$loadgen" ] || { echo "compare-wrk.sh: $loadgen not built" >&2; exit 3; }
command -v wrk >/dev/null || { echo "compare-wrk.sh: wrk not found (apt-get install wrk)" >&2; exit 3; }

if [ "$#" -eq 0 ]; then
  if [ -x "$build/bin/cpp-server" ]; then
    set -- "$build/bin/cpp-server" --port 0 --threads 1
  else
    set -- "$build/loadgen/bench/loadgen-fast-responder" 0
  fi
fi

log="$(mktemp)"
taskset -c "$server_cpu" "$@" >"$log" 2>&1 &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 100); do grep -q '^listening on' "$log" && break; sleep 0.05; done
address="$(sed -n 's/^listening on //p' "$log" | head -n1)"
[ -n "$address" ] || { echo "compare-wrk.sh: the server did not start: $(cat "$log")" >&2; exit 1; }
url="http://$address$path"
echo "server: $* on CPU $server_cpu; generators on CPU $load_cpu; $conns connections, $duration, $url"

# CPU seconds (user, system) of one command, from bash's time keyword.
TIMEFORMAT='%U %S'
per_request() { awk -v cpu="$1" -v n="$2" 'BEGIN {split(cpu, t, " "); printf "%.2f", (t[1] + t[2]) * 1e6 / n}'; }
wrk_rps=() loadgen_rps=() wrk_cpu=() loadgen_cpu=()
for rep in $(seq "$reps"); do
  cpu=$( { time taskset -c "$load_cpu" wrk -t1 -c"$conns" -d"$duration" "$url" >"$log.wrk" 2>&1; } 2>&1 )
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$log.wrk")
  requests=$(awk '/requests in/ {print $1}' "$log.wrk")
  errors=$(grep -E 'Non-2xx|Socket errors' "$log.wrk" | tr -s ' ' || true)
  echo "wrk     #$rep: $rps requests/s, $(per_request "$cpu" "$requests") us CPU/request (user/sys s: $cpu) $errors"
  wrk_rps+=("$rps") wrk_cpu+=("$(per_request "$cpu" "$requests")")
  cpu=$( { time taskset -c "$load_cpu" "$loadgen" "$url" -t1 -c"$conns" -d"$duration" --json >"$log.lg" 2>&1; } 2>&1 )
  read -r rps requests errors < <(python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(round(j["rps"],2), j["requests"], sum(j["errors"].values()))' "$log.lg")
  echo "loadgen #$rep: $rps requests/s, $(per_request "$cpu" "$requests") us CPU/request (user/sys s: $cpu) errors $errors"
  loadgen_rps+=("$rps") loadgen_cpu+=("$(per_request "$cpu" "$requests")")
done
rm -f "$log.wrk"
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
wm=$(median "${wrk_rps[@]}") lm=$(median "${loadgen_rps[@]}")
echo "median wrk $wm, loadgen $lm requests/s; loadgen/wrk = $(awk -v l="$lm" -v w="$wm" 'BEGIN {printf "%.3f", l / w}')"
echo "median CPU per request: wrk $(median "${wrk_cpu[@]}") us, loadgen $(median "${loadgen_cpu[@]}") us"

if [ "$rate" != 0 ]; then
  taskset -c "$load_cpu" "$loadgen" "$url" -t1 -c"$conns" -d"$duration" --rate "$rate" --json >"$log.lg"
  python3 - "$log.lg" "$rate" <<'PY'
import json, sys
j = json.load(open(sys.argv[1])); rate = float(sys.argv[2])
print(f"open loop at {rate:.0f}/s: {j['rps']:.1f} requests/s ({100 * (j['rps'] / rate - 1):+.2f}%), "
      f"late sends {j['late_sends']} (max {j['late_by_us']['max']} us), p50 {j['latency_us']['p50']} us, "
      f"p99 {j['latency_us']['p99']} us, errors {sum(j['errors'].values())}")
PY
fi
rm -f "$log.lg"
