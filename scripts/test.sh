#!/usr/bin/env bash
# The one test command: formatting, lints, and every test on SQLite and
# PostgreSQL, and the browser tests in headless Chromium. Installs what it
# needs (PostgreSQL, Chromium and its WebDriver via apt-get), starts a
# throwaway PostgreSQL server on a free loopback port and stops it after.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== toolchain"
cargo --version
if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
  rustup component add rustfmt clippy
fi

echo "== PostgreSQL"
eval "$(scripts/pg.sh)"
trap 'scripts/pg.sh stop "$JIANFU_PG_DIR"' EXIT
export JIANFU_REQUIRE_PG=1
echo "server at ${JIANFU_TEST_PG}"

echo "== Chromium for the browser tests"
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  echo "installing chromium, chromium-driver and CJK fonts with apt-get…"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium chromium-driver fonts-noto-cjk >/dev/null
fi
chromium --version
export JIANFU_REQUIRE_BROWSER=1

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== tests (SQLite and PostgreSQL)"
if cargo nextest --version >/dev/null 2>&1; then
  cargo test --workspace --locked --doc
  cargo nextest run --workspace --locked --no-fail-fast
else
  cargo test --workspace --locked --no-fail-fast
fi

echo "== API fuzzing (schemathesis, from the OpenAPI document)"
FUZZ_SECONDS=${FUZZ_SECONDS:-120} scripts/fuzz-api.sh

# CI once ran out of disk while linking; say what the build took.
echo "== disk: $(du -sh target 2>/dev/null | cut -f1) in target/, $(df -h . | awk 'NR==2 {print $4}') free"
