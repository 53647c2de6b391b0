#!/usr/bin/env bash
# Writes default.pgo, the CPU profile `go build` uses for profile-guided optimisation of this
# module (-pgo=auto: a default.pgo beside the main package). The profile is taken from the
# server itself under wrk, on the routes the benchmarks measure, in equal shares: GET /,
# GET /json, GET /user, GET /users/{id} (--live-mb 1) and POST /orders (a 10-item order).
#
# Usage: bash go-server/tuned/pgo.sh    (needs wrk, curl; SERVER_CPU=0 LOAD_CPU=1 SECONDS_PER_ROUTE=8)
set -euo pipefail
cd "$(dirname "$0")"
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
SECONDS_PER_ROUTE=${SECONDS_PER_ROUTE:-8}
PPROF_ADDR=${PPROF_ADDR:-127.0.0.1:6061}
command -v wrk >/dev/null || { echo "pgo.sh: wrk not found" >&2; exit 3; }

work=$(mktemp -d)
server_pid=""
cleanup() {
  [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# The profile is of a build without PGO, so that each new profile does not feed on the last.
go build -tags pgo -pgo=off -o "$work/server" .
HELLOBENCH_PPROF_ADDR=$PPROF_ADDR taskset -c "$SERVER_CPU" "$work/server" --port 0 --threads 1 --live-mb 1 \
  >"$work/out" 2>"$work/err" &
server_pid=$!
for _ in $(seq 100); do
  port=$(sed -n 's/^listening on .*:\([0-9][0-9]*\)$/\1/p' "$work/out")
  [[ -n $port ]] && break
  sleep 0.05
done
[[ -n $port ]] || { echo "pgo.sh: no listening line: $(cat "$work/err")" >&2; exit 1; }
base=http://127.0.0.1:$port
printf 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = [==[%s]==]\n' \
  "$(<../../contract/payloads/order-10.json)" >"$work/post.lua"

routes=5
curl -sS -o "$work/cpu.pprof" "http://$PPROF_ADDR/debug/pprof/profile?seconds=$((routes * SECONDS_PER_ROUTE))" &
curl_pid=$!
for target in / /json /user /users/512; do
  taskset -c "$LOAD_CPU" wrk -t1 -c64 -d"${SECONDS_PER_ROUTE}s" "$base$target" >/dev/null
done
taskset -c "$LOAD_CPU" wrk -t1 -c64 -d"${SECONDS_PER_ROUTE}s" -s "$work/post.lua" "$base/orders" >/dev/null
wait "$curl_pid"
mv "$work/cpu.pprof" default.pgo
echo "pgo.sh: wrote $(pwd)/default.pgo ($(wc -c <default.pgo) bytes)"
