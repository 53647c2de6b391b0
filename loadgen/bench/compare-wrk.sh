#!/usr/bin/env bash
# Closed-loop throughput of loadgen (each engine) against wrk and, when installed, h2load: the
# same server pinned to one core, each generator with one thread pinned to another, taking
# turns (wrk, loadgen epoll, loadgen uring, h2load, then again) REPS times; prints every sample
# with the generator's CPU time (user/system) and CPU per request, then the medians and their
# ratios to wrk. CPU per request is the steadier figure on a shared machine: a generator that
# only got part of its core shows fewer requests/s, not more CPU per request.
#
#   bench/compare-wrk.sh BUILD_DIR [SERVER...]
#
# SERVER: a command that prints "listening on ADDR:PORT" (default: BUILD_DIR/bin/cpp-server
# --port 0 --threads 1 if built, else BUILD_DIR/loadgen/bench/loadgen-fast-responder).
# Environment: CONNS (64), DURATION (5s), REPS (5), PATH_ (/), SERVER_CPU (1), LOAD_CPU (0),
# ENGINES ("epoll uring"), H2LOAD (1: run h2load when installed; 0: not), RATE (10000, for the
# open-loop rate check at the end; 0 skips it).
set -euo pipefail
build="${1:?usage: compare-wrk.sh BUILD_DIR [SERVER...]}"
shift
conns="${CONNS:-64}" duration="${DURATION:-5s}" reps="${REPS:-5}" path="${PATH_:-/}"
server_cpu="${SERVER_CPU:-1}" load_cpu="${LOAD_CPU:-0}" rate="${RATE:-10000}"
engines="${ENGINES:-epoll uring}"
loadgen="$build/bin/loadgen"
[ -x "$loadgen" ] || { echo "compare-wrk.sh: $loadgen not built" >&2; exit 3; }
command -v wrk >/dev/null || { echo "compare-wrk.sh: wrk not found (apt-get install wrk)" >&2; exit 3; }
h2load=""
if [ "${H2LOAD:-1}" = 1 ] && command -v h2load >/dev/null; then h2load=h2load; fi
duration_s="${duration%s}"  # h2load takes seconds

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
trap 'kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; rm -f "$log" "$log".*' EXIT
for _ in $(seq 100); do grep -q '^listening on' "$log" && break; sleep 0.05; done
address="$(sed -n 's/^listening on //p' "$log" | head -n1)"
[ -n "$address" ] || { echo "compare-wrk.sh: the server did not start: $(cat "$log")" >&2; exit 1; }
url="http://$address$path"
echo "$(date -u '+%Y-%m-%d %H:%M:%S UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "server: $* on CPU $server_cpu; generators on CPU $load_cpu; $conns connections, $duration, $url"
echo "generators: wrk, loadgen ($engines)${h2load:+, h2load --h1}"

# CPU seconds (user, system) of one command, from bash's time keyword.
TIMEFORMAT='%U %S'
per_request() { awk -v cpu="$1" -v n="$2" 'BEGIN {split(cpu, t, " "); printf "%.2f", (t[1] + t[2]) * 1e6 / n}'; }
declare -A rps_of cpu_of
record() {  # NAME RPS CPU REQUESTS NOTE
  local us; us=$(per_request "$3" "$4")
  printf '%-14s #%s: %10s requests/s, %6s us CPU/request (user/sys s: %s) %s\n' "$1" "$rep" "$2" "$us" "$3" "$5"
  rps_of[$1]+="$2 " cpu_of[$1]+="$us "
}
run_wrk() {
  local cpu
  cpu=$( { time taskset -c "$load_cpu" wrk -t1 -c"$conns" -d"$duration" "$url" >"$log.out" 2>&1; } 2>&1 )
  record wrk "$(awk '/^Requests\/sec:/ {print $2}' "$log.out")" "$cpu" \
    "$(awk '/requests in/ {print $1}' "$log.out")" "$(grep -E 'Non-2xx|Socket errors' "$log.out" | tr -s ' ' || true)"
}
run_loadgen() {  # ENGINE
  local cpu rps requests errors
  cpu=$( { time taskset -c "$load_cpu" "$loadgen" "$url" -t1 -c"$conns" -d"$duration" --engine "$1" --json >"$log.out" 2>&1; } 2>&1 )
  read -r rps requests errors < <(python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(round(j["rps"],2), j["requests"], sum(j["errors"].values()))' "$log.out")
  record "loadgen-$1" "$rps" "$cpu" "$requests" "errors $errors"
}
run_h2load() {
  local cpu
  cpu=$( { time taskset -c "$load_cpu" h2load --h1 -t1 -c"$conns" -D"$duration_s" "$url" >"$log.out" 2>&1; } 2>&1 )
  # "finished in 5.00s, 123456.78 req/s, ..." and "requests: N total, N started, N done, N succeeded, ..."
  record h2load "$(sed -n 's/^finished in [^,]*, \([0-9.]*\) req\/s.*/\1/p' "$log.out")" "$cpu" \
    "$(sed -n 's/^requests: .* \([0-9]*\) succeeded.*/\1/p' "$log.out")" "$(grep -E '^status codes' "$log.out" || true)"
}

names=(wrk)
for engine in $engines; do names+=("loadgen-$engine"); done
[ -n "$h2load" ] && names+=(h2load)
for rep in $(seq "$reps"); do
  run_wrk
  for engine in $engines; do run_loadgen "$engine"; done
  [ -n "$h2load" ] && run_h2load
done

median() { printf '%s\n' $@ | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
echo "medians of $reps ($(date -u '+%H:%M:%S UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)):"
wrk_rps=$(median ${rps_of[wrk]}) wrk_cpu=$(median ${cpu_of[wrk]})
for name in "${names[@]}"; do
  r=$(median ${rps_of[$name]}) c=$(median ${cpu_of[$name]})
  printf '  %-14s %10s requests/s (x%s wrk), %6s us CPU/request (wrk needs x%s)\n' "$name" "$r" \
    "$(awk -v a="$r" -v b="$wrk_rps" 'BEGIN {printf "%.3f", a / b}')" "$c" \
    "$(awk -v a="$wrk_cpu" -v b="$c" 'BEGIN {printf "%.3f", a / b}')"
done

if [ "$rate" != 0 ]; then
  for engine in $engines; do
    taskset -c "$load_cpu" "$loadgen" "$url" -t1 -c"$conns" -d"$duration" --rate "$rate" --engine "$engine" --json >"$log.out"
    python3 - "$log.out" "$rate" <<'PY'
import json, sys
j = json.load(open(sys.argv[1])); rate = float(sys.argv[2])
print(f"open loop at {rate:.0f}/s ({j['engine']}): {j['rps']:.1f} requests/s ({100 * (j['rps'] / rate - 1):+.2f}%), "
      f"late sends {j['late_sends']} (max {j['late_by_us']['max']} us), p50 {j['latency_us']['p50']} us, "
      f"p99 {j['latency_us']['p99']} us, errors {sum(j['errors'].values())}")
PY
  done
fi
