#!/usr/bin/env bash
# Throwaway PostgreSQL for tests and benchmarks: installs the server with
# apt-get when missing, starts one on a free loopback port in a temp
# directory, and prints `export JIANFU_TEST_PG=…` lines. Stop it with
# `scripts/pg.sh stop DIR`.
set -euo pipefail

if [ "${1:-}" = "stop" ]; then
  dir=$2
  bin=$(cat "$dir/bin")
  if [ "$(id -u)" = 0 ]; then
    su postgres -s /bin/sh -c "$bin/pg_ctl -D '$dir/data' -m fast -w stop" >/dev/null 2>&1 || true
  else
    "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
  exit 0
fi

find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
bin=$(find_bin)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "installing PostgreSQL with apt-get…" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
  bin=$(find_bin)
fi

dir=$(mktemp -d /tmp/jianfu-pg.XXXXXX)
echo "$bin" > "$dir/bin"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_pg() {
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi
}
[ "$(id -u)" = 0 ] && chown postgres "$dir"
as_pg "$bin/initdb -D '$dir/data' -U postgres --auth=trust -E UTF8 --locale=C.UTF-8" >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; exit 1; }
# Durability is pointless for a throwaway server; speed is not. A large
# max_wal_size keeps a million-row load from checkpointing midway, as a
# production server tuned for bulk loads would.
as_pg "$bin/pg_ctl -D '$dir/data' -l '$dir/server.log' -w -o \"-p $port -k '$dir' -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -c shared_buffers=256MB -c max_wal_size=4GB\" start" >/dev/null \
  || { cat "$dir/server.log" >&2; exit 1; }
echo "export JIANFU_TEST_PG=postgres://postgres@127.0.0.1:$port/postgres"
echo "export JIANFU_PG_DIR=$dir"
