#!/usr/bin/env bash
# Benchmark: `jianfu settle` against the same settlement written in DuckDB SQL
# (scripts/duckdb/settle.sql, reference-2023 parameters), on one claims CSV.
# Not part of the test suite; run it by hand:
#
#   scripts/bench-duckdb.sh CLAIMS.csv [RUNS]
#
# Prints each run's wall time, CPU time (user + system) and peak memory (RSS),
# the best wall time and the spread of both tools, and checks that the two
# outputs are identical byte for byte (exit status 1 when they differ; the
# two files are then kept). The machine may be shared: run several times.
#
# Environment:
#   JIANFU   the jianfu binary (default: target/release/jianfu of this repo,
#            built with `cargo build --release` when missing)
#   DUCKDB   a DuckDB CLI binary (default: installed from PyPI, package
#            duckdb-cli 1.5.6; if that fails, the Python package duckdb
#            1.5.6 runs the script instead; DUCKDB=python forces that)
#   WORK     where the outputs go (default: a fresh temporary directory)
set -euo pipefail

usage() { echo "usage: $0 CLAIMS.csv [RUNS]" >&2; exit 2; }
[ $# -ge 1 ] && [ $# -le 2 ] || usage
claims=$(realpath "$1")
runs=${2:-3}
[ -f "$claims" ] || { echo "no such file: $1" >&2; exit 2; }
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || usage

repo=$(cd "$(dirname "$0")/.." && pwd)
sql="$repo/scripts/duckdb/settle.sql"
VERSION=1.5.6

# ---------------------------------------------------------------- tools
jianfu=${JIANFU:-}
if [ -z "$jianfu" ]; then
  jianfu="${CARGO_TARGET_DIR:-$repo/target}/release/jianfu"
  if [ ! -x "$jianfu" ]; then
    echo "== building jianfu (release)"
    (cd "$repo" && cargo build --release --locked --bin jianfu)
  fi
fi
[ -x "$jianfu" ] || { echo "jianfu not found at $jianfu" >&2; exit 2; }

# The pip package duckdb-cli puts a Python wrapper on PATH that starts the
# real binary as a child; time the real binary itself.
duckdb_cli_binary() {
  python3 - <<'EOF' 2>/dev/null
import os, duckdb_cli
p = os.path.join(os.path.dirname(duckdb_cli.__file__), "duckdb")
assert os.access(p, os.X_OK)
print(p)
EOF
}

mode=cli
duckdb=${DUCKDB:-}
if [ "$duckdb" = python ]; then
  mode=python
elif [ -z "$duckdb" ]; then
  duckdb=$(duckdb_cli_binary || true)
fi
if [ "$mode" = cli ] && [ -z "$duckdb" ]; then
  echo "== installing the DuckDB CLI (pip: duckdb-cli==$VERSION)"
  if python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore "duckdb-cli==$VERSION"; then
    duckdb=$(duckdb_cli_binary || true)
  fi
fi
if [ "$mode" = python ] || [ -z "$duckdb" ]; then
  mode=python
  if ! python3 -c 'import duckdb' 2>/dev/null; then
    echo "== installing DuckDB for Python (pip: duckdb==$VERSION)"
    python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore "duckdb==$VERSION"
  fi
fi

timer=/usr/bin/time
if [ ! -x "$timer" ] && command -v apt-get >/dev/null; then
  echo "== installing GNU time (apt-get: time)"
  apt-get install -y -qq time >/dev/null 2>&1 || true
fi
[ -x "$timer" ] || timer=

work=${WORK:-$(mktemp -d)}
mkdir -p "$work"
a="$work/jianfu.csv"
b="$work/duckdb.csv"

if [ "$mode" = cli ]; then
  echo "duckdb:  $duckdb ($("$duckdb" --version))"
else
  echo "duckdb:  Python package $(python3 -c 'import duckdb; print(duckdb.__version__)')"
fi
echo "jianfu:  $jianfu"
echo "claims:  $claims ($(du -h "$claims" | cut -f1), $(($(wc -l <"$claims") - 1)) rows)"
echo "cores:   $(nproc); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "outputs: $work"

sql_quote() { printf "'%s'" "${1//\'/\'\'}"; }
set_vars="SET enable_progress_bar = false; SET VARIABLE claims = $(sql_quote "$claims"); SET VARIABLE out = $(sql_quote "$b");"
if [ "$mode" = cli ]; then
  duckdb_cmd=("$duckdb" -bail -c "$set_vars" -c ".read $(sql_quote "$sql")")
else
  duckdb_cmd=(python3 -c '
import sys, duckdb
con = duckdb.connect()
con.execute(sys.argv[1])
con.execute(open(sys.argv[2], encoding="utf-8").read())
' "$set_vars" "$sql")
fi
jianfu_cmd=("$jianfu" settle --policy reference-2023 --claims "$claims" --out "$a" --quiet)

# Runs the command "$@" once; prints "WALL KB CPU" (seconds, peak RSS in KB,
# user + system seconds; the last two empty when not measurable).
measure() {
  local f="$work/.time"
  if [ -n "$timer" ]; then
    "$timer" -o "$f" -f '%e %M %U %S' "$@" >/dev/null
    tail -n 1 "$f" | awk '{ printf "%s %s %.2f\n", $1, $2, $3 + $4 }'
  else
    local t0 t1
    t0=$(date +%s%N)
    "$@" >/dev/null
    t1=$(date +%s%N)
    printf '%d.%02d\n' $(((t1 - t0) / 1000000000)) $(((t1 - t0) / 10000000 % 100))
  fi
}

declare -a jt jm dt dm
report() { # run name wall kb cpu
  printf 'run %d  %-6s wall %7.2f s  cpu %7s s  peak RSS %6s MB\n' "$1" "$2" "$3" "${5:-?}" \
    "$([ -n "${4:-}" ] && echo $(($4 / 1024)) || echo '?')"
}
for ((i = 1; i <= runs; i++)); do
  read -r t m c < <(measure "${jianfu_cmd[@]}")
  jt+=("$t"); jm+=("${m:-0}")
  report "$i" jianfu "$t" "${m:-}" "${c:-}"
  read -r t m c < <(measure "${duckdb_cmd[@]}")
  dt+=("$t"); dm+=("${m:-0}")
  report "$i" duckdb "$t" "${m:-}" "${c:-}"
done

summary() {
  local name=$1; shift
  local -a t=("${@:1:$runs}") m=("${@:$((runs + 1))}")
  local st sm
  st=$(printf '%s\n' "${t[@]}" | sort -g)
  sm=$(printf '%s\n' "${m[@]}" | sort -g)
  printf '%-7s wall best %.2f s (spread %.2f–%.2f s), peak RSS %d–%d MB\n' "$name" \
    "$(head -n1 <<<"$st")" "$(head -n1 <<<"$st")" "$(tail -n1 <<<"$st")" \
    $(($(head -n1 <<<"$sm") / 1024)) $(($(tail -n1 <<<"$sm") / 1024))
}
echo "== summary over $runs run(s)"
summary jianfu "${jt[@]}" "${jm[@]}"
summary duckdb "${dt[@]}" "${dm[@]}"

echo "== outputs"
wc -l "$a" "$b" | sed -n 1,2p
if cmp "$a" "$b"; then
  echo "IDENTICAL: jianfu and DuckDB agree byte for byte"
  [ -n "${WORK:-}" ] || rm -rf "$work"
else
  echo "DIFFERENT: first differing rows (< jianfu, > duckdb); files kept in $work"
  diff "$a" "$b" | head -n 20 || true
  exit 1
fi
