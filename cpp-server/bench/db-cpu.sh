#!/usr/bin/env bash
# CPU per request of cpp-server's database routes, beside their in-memory and timer twins, and
# the highest rate of GET /db/users/{id} on one core. A private PostgreSQL from
# scripts/pg-scratch.sh (1024 users), pinned with the load generator to OTHER_CPU; the server
# alone on SERVER_CPU with one worker thread. CPU time is read from /proc/PID/task/*/schedstat
# (nanoseconds on a CPU, all threads) before and after each window.
#
#   BUILD=/tmp/build bash cpp-server/bench/db-cpu.sh
#
# Settings (environment): BUILD (the CMake build folder: bin/cpp-server, bin/loadgen), SERVER_CPU
# (0), OTHER_CPU (1), DURATION (5s), RATE (2000), CONNECTIONS (32), POOL (32), MAX_POOLS ("2 8
# 32": the pool sizes tried for the highest rate).
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
build="${BUILD:-$here/build}"
server_cpu="${SERVER_CPU:-0}"
other_cpu="${OTHER_CPU:-1}"
duration="${DURATION:-5s}"
rate="${RATE:-2000}"
connections="${CONNECTIONS:-32}"
pool="${POOL:-32}"
max_pools="${MAX_POOLS:-2 8 32}"

work="$(mktemp -d /tmp/cpp-db-cpu-XXXXXX)"
chmod 755 "$work"  # the postgres user makes its cluster inside
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  bash "$here/scripts/pg-scratch.sh" stop "$work/pg"
  rm -rf "$work"
}
trap cleanup EXIT

uri="$(bash "$here/scripts/pg-scratch.sh" start "$work/pg" 1024)"
postmaster="$(head -n1 "$work/pg/data/postmaster.pid")"
# Backends forked from now on inherit the postmaster's CPU.
taskset -a -p -c "$other_cpu" "$postmaster" >/dev/null

# Nanoseconds on a CPU of every thread of the given processes.
cpu_ns() {
  local total=0 pid task
  for pid in "$@"; do
    for task in /proc/"$pid"/task/*/schedstat; do
      [ -r "$task" ] && total=$((total + $(cut -d' ' -f1 "$task" 2>/dev/null || echo 0)))
    done
  done
  echo "$total"
}
postgres_pids() { echo "$postmaster" $(pgrep -P "$postmaster" || true); }

start_server() {  # extra flags...
  [ -n "$server_pid" ] && kill "$server_pid" && wait "$server_pid" 2>/dev/null || true
  coproc SERVER { exec taskset -c "$server_cpu" "$build/bin/cpp-server" --port 0 --threads 1 \
    --live-mb 1 --db "$uri" "$@"; }
  server_pid="$SERVER_PID"
  local line
  read -r line <&"${SERVER[0]}"
  port="${line##*:}"
}

# One window: url, then loadgen flags. Prints a table row.
measure() {
  local name="$1" url="$2"
  shift 2
  local pg_before server_before
  pg_before="$(cpu_ns $(postgres_pids))"
  server_before="$(cpu_ns "$server_pid")"
  taskset -c "$other_cpu" "$build/bin/loadgen" "$url" -c "$connections" -d "$duration" \
    --no-progress --json "$@" >"$work/report.json" 2>/dev/null
  local server_after pg_after
  server_after="$(cpu_ns "$server_pid")"
  pg_after="$(cpu_ns $(postgres_pids))"
  python3 - "$name" "$work/report.json" "$server_before" "$server_after" "$pg_before" \
    "$pg_after" <<'EOF'
import json, sys
name, path = sys.argv[1], sys.argv[2]
server_ns = int(sys.argv[4]) - int(sys.argv[3])
pg_ns = int(sys.argv[6]) - int(sys.argv[5])
r = json.load(open(path))
errors = sum(v for v in r["errors"].values())
n = max(r["requests"], 1)
print(f"| {name} | {r['rps']:.0f} | {server_ns / 1e3 / n:.1f} | "
      f"{server_ns / 1e9 / r['duration_s'] * 100:.0f}% | {pg_ns / 1e3 / n:.1f} | "
      f"{r['latency_us']['p50']:.0f} | {r['latency_us']['p99']:.0f} | {errors} |")
EOF
}

echo "server on CPU $server_cpu (1 thread), PostgreSQL $("$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)/postgres" --version | awk '{print $3}') and loadgen on CPU $other_cpu; $duration windows"
echo
echo "| route (--db-pool $pool, $rate/s, -c $connections) | req/s | server CPU us/req | server CPU share | PostgreSQL CPU us/req | p50 us | p99 us | errors |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
start_server --db-pool "$pool"
taskset -c "$other_cpu" "$build/bin/loadgen" "http://127.0.0.1:$port/db/users/{id}" \
  --id uniform:0:1023 -c "$connections" -d 1s --rate "$rate" --no-progress >/dev/null 2>&1
measure "GET /db/users/{id}" "http://127.0.0.1:$port/db/users/{id}" --id uniform:0:1023 \
  --rate "$rate"
measure "GET /users/{id} (the store)" "http://127.0.0.1:$port/users/{id}" \
  --id uniform:0:1023 --rate "$rate"
measure "GET /db/sleep?ms=10" "http://127.0.0.1:$port/db/sleep?ms=10" --rate "$rate"
measure "GET /io?ms=10 (a timer)" "http://127.0.0.1:$port/io?ms=10" --rate "$rate"

echo
echo "| GET /db/users/{id}, closed loop, -c $connections | req/s | server CPU us/req | server CPU share | PostgreSQL CPU us/req | p50 us | p99 us | errors |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
for size in $max_pools; do
  start_server --db-pool "$size"
  taskset -c "$other_cpu" "$build/bin/loadgen" "http://127.0.0.1:$port/db/users/{id}" \
    --id uniform:0:1023 -c "$connections" -d 1s --no-progress >/dev/null 2>&1
  measure "--db-pool $size" "http://127.0.0.1:$port/db/users/{id}" --id uniform:0:1023
done
