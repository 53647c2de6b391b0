#!/usr/bin/env bash
# A private, throwaway PostgreSQL for tests: `pg-scratch.sh start DIR [RECORDS]` makes a cluster
# in DIR (initdb as the postgres user, since initdb refuses root), starts it on a Unix socket in
# DIR and on a free loopback port, loads contract/db/users.sql with RECORDS rows (default 1024)
# and prints one line: a libpq URI for it. `pg-scratch.sh stop DIR` stops it and deletes DIR.
# Faults for tests: `kill DIR` stops the server at once (immediate mode) and keeps DIR;
# `restart DIR` starts it again with the same port and options.
# Exit 3 when PostgreSQL is not installed (Debian: apt-get install postgresql).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)"
[ -x "$bindir/initdb" ] || { echo "pg-scratch: PostgreSQL not found (apt-get install postgresql)" >&2; exit 3; }
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cmd="${1:-}"; dir="${2:-}"
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: pg-scratch.sh start|stop|kill|restart DIR [RECORDS]" >&2; exit 2; }
case "$cmd" in
  start)
    records="${3:-1024}"
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
    as_pg "$bindir/initdb" -D "$dir/data" -A trust -U postgres --no-sync >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
    opts="-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=200"
    echo "$opts" > "$dir/port.opts"
    as_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 -o "$opts" start >/dev/null \
      || { cat "$dir/server.log" >&2; exit 1; }
    psql -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d postgres \
      -v records="$records" -f "$here/contract/db/users.sql" >/dev/null
    echo "postgresql://postgres@127.0.0.1:$port/postgres"
    ;;
  kill)
    as_pg "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null
    ;;
  restart)
    opts="$(cat "$dir/port.opts")"
    as_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 -o "$opts" start >/dev/null \
      || { tail -n 20 "$dir/server.log" >&2; exit 1; }
    ;;
  stop)
    [ -d "$dir/data" ] && as_pg "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
  *) echo "usage: pg-scratch.sh start|stop|kill|restart DIR [RECORDS]" >&2; exit 2 ;;
esac
