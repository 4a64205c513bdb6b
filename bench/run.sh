#!/usr/bin/env bash
# The discovery benchmark: 100,000 synthetic places, `nearby` from 32 connections for 20 s
# after a 5 s warm-up, on SQLite or PostgreSQL. Usage: bench/run.sh sqlite|postgres
set -euo pipefail
cd "$(dirname "$0")/.."

DATABASE=${1:-sqlite}
PLACES=${PLACES:-100000}
PORT=${PORT:-8088}
PG_ADMIN=${PG_ADMIN:-postgres://postgres@127.0.0.1:5432/test}

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
cargo build --release --quiet

work=$(mktemp -d)
case "$DATABASE" in
  sqlite) url="sqlite://$work/bench.db?mode=rwc" ;;
  postgres)
    psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS yizhan_bench WITH (FORCE)" -c "CREATE DATABASE yizhan_bench"
    url="${PG_ADMIN%/*}/yizhan_bench"
    ;;
  *) echo "usage: bench/run.sh sqlite|postgres" >&2; exit 2 ;;
esac
export YIZHAN_DATABASE_URL="$url" YIZHAN_LOAD_DEMO=false YIZHAN_LOG=warn
export YIZHAN_JWT_SECRET="benchmark-secret-that-is-long-enough-0123456789"
# One address sends every request here: the per-address read limit would refuse nearly all.
export YIZHAN_RATE_READS_PER_MINUTE=10000000

echo "== seeding $PLACES places into $DATABASE"
/usr/bin/time -f "seeded in %e s" target/release/yizhan seed --synthetic "$PLACES"

YIZHAN_LISTEN="127.0.0.1:$PORT" target/release/yizhan serve &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.2; done

echo "== warm-up (5 s)"
wrk -t2 -c32 -d5s -s bench/nearby.lua "http://127.0.0.1:$PORT/graphql" >/dev/null
echo "== measured run (32 connections, 20 s)"
wrk -t2 -c32 -d20s --latency -s bench/nearby.lua "http://127.0.0.1:$PORT/graphql"
echo "server RSS: $(( $(ps -o rss= -p $server) / 1024 )) MB"
