#!/usr/bin/env bash
# Fuzzes the JSON API from its own OpenAPI document with schemathesis:
# a demo database, `jianfu serve` on a free loopback port, a signed-in
# county administrator, and every documented operation exercised with
# generated input for a bounded time. Fails on any 5xx, any answer whose
# status, content type or body the document does not describe.
#
#   scripts/fuzz-api.sh            (FUZZ_SECONDS=120 by default)
#
# Environment: JIANFU_BIN (default target/debug/jianfu, built when
# missing), FUZZ_SECONDS (the time budget), FUZZ_SEED (reproduce a run),
# FUZZ_ARGS (more schemathesis options, e.g. --phases stateful).
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${JIANFU_BIN:-target/debug/jianfu}
budget=${FUZZ_SECONDS:-120}
seed=${FUZZ_SEED:-$RANDOM}
venv=target/fuzz-venv
version=4.32.5

[ -x "$bin" ] || cargo build --locked --bin jianfu
if [ ! -x "$venv/bin/st" ] || ! "$venv/bin/st" --version | grep -q "$version"; then
  echo "installing schemathesis $version into $venv…"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "schemathesis==$version"
fi

dir=$(mktemp -d /tmp/jianfu-fuzz.XXXXXX)
db="sqlite://$dir/fuzz.db"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
echo "== demo database ($dir)"
"$bin" --db "$db" demo --persons 2000 --no-serve >"$dir/demo.log" 2>&1 \
  || { cat "$dir/demo.log"; exit 1; }
"$bin" --db "$db" serve --addr "127.0.0.1:$port" --insecure-cookies >"$dir/serve.log" 2>&1 &
server=$!
cleanup() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
for _ in $(seq 1 100); do
  curl -sf "$base/login" >/dev/null && break
  sleep 0.2
done

# A county administrator of its own, signed in: the session cookie and
# its CSRF token. (The demo accounts are fair game for the fuzzer, which
# may disable or reset them; this one it cannot reach: it may not manage
# itself, and the operations that would end its session are left out.)
fuzz_password="Fuzz-password-2026"
JIANFU_PASSWORD="$fuzz_password" "$bin" --db "$db" user add fuzzer --role county_admin \
  --region 130624 --name 接口测试 --keep-password >/dev/null
answer=$(curl -sf -c "$dir/cookies" -H 'Content-Type: application/json' \
  -d "{\"username\":\"fuzzer\",\"password\":\"$fuzz_password\"}" "$base/api/v1/session")
csrf=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["csrf_token"])' "$answer")
session=$(awk '$6 == "jianfu_session" {print $7}' "$dir/cookies")
# A real person's address (/api/v1/persons/{county}/{no}/{person}) for the
# hooks to use in most generated paths.
hit=$(curl -sf -b "$dir/cookies" "$base/api/v1/persons?village=130624&per=1")
read -r FUZZ_COUNTY FUZZ_HOUSEHOLD FUZZ_PERSON < <(python3 -c '
import json, sys, urllib.parse
p = json.loads(sys.argv[1])["items"][0]["person"].split("/")
print(p[4], urllib.parse.unquote(p[5]), p[6])' "$hit")
export FUZZ_COUNTY FUZZ_HOUSEHOLD FUZZ_PERSON

echo "== schemathesis $version, ${budget}s, seed $seed"
# Signing out, changing or resetting a password would end the session the
# run depends on. One worker: with two, Python 3.11's ast module (which
# hypothesis uses to describe its strategies) can fail with "AST
# constructor recursion depth mismatch" when two threads parse at once,
# an error of the tool, not of the API.
status=0
SCHEMATHESIS_HOOKS=fuzz_hooks PYTHONPATH=scripts "$venv/bin/st" run "$base/api/openapi.json" \
  --header "Cookie: jianfu_session=$session" \
  --header "X-CSRF-Token: $csrf" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
  --exclude-operation-id sign_out \
  --exclude-operation-id change_password \
  --exclude-operation-id reset_password \
  --max-time "$budget" \
  --seed "$seed" \
  --request-timeout 30 \
  --workers 1 \
  --generation-with-security-parameters false \
  --no-color \
  ${FUZZ_ARGS:-} 2>&1 | tee "$dir/run.log" || status=$?
# A case that errored (the server dropped the connection, say) is a
# finding too, though schemathesis may still exit 0 for it.
if grep -qE '^ +[0-9]+ generated, .*(failed|errored)' "$dir/run.log"; then
  status=1
fi
if [ "$status" -ne 0 ]; then
  echo "API fuzzing found problems (seed $seed; rerun with FUZZ_SEED=$seed)"
  tail -n 20 "$dir/serve.log"
fi
exit "$status"
