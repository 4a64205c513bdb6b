#!/usr/bin/env bash
# The discovery benchmarks: 100,000 synthetic places, one scenario from 32 connections for
# 20 s after a 5 s warm-up, on SQLite or PostgreSQL. The server starts twice: from the
# database (which writes the directory's snapshot), then from the snapshot; both times
# to ready are printed.
#   Usage: [SCENARIO=nearby|mix|search] [PLACES=100000] bench/run.sh sqlite|postgres
# YIZHAN_BIN=<path> runs that binary instead of building the release one.
# With PERF_DATA=<file>, `perf record -a` samples the whole machine (server and wrk) at
# 499 Hz for PERF_SECONDS (10) of the measured run, with DWARF call graphs (release builds
# keep no frame pointers); the run's own figures are then lowered by the sampling.
set -euo pipefail
cd "$(dirname "$0")/.."

DATABASE=${1:-sqlite}
SCENARIO=${SCENARIO:-nearby}
PLACES=${PLACES:-100000}
PORT=${PORT:-8088}
PG_ADMIN=${PG_ADMIN:-postgres://postgres@127.0.0.1:5432/test}
PERF_DATA=${PERF_DATA:-}
PERF_SECONDS=${PERF_SECONDS:-10}
export PLACES # mix.lua draws place ids from 1..PLACES

for scenario in $SCENARIO; do
  case "$scenario" in
    nearby | mix | search) ;;
    *) echo "SCENARIO is nearby, mix or search (or several, space-separated), not $scenario" >&2; exit 2 ;;
  esac
done

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
if [ -n "${YIZHAN_BIN:-}" ]; then
  yizhan=$YIZHAN_BIN # a binary built earlier, to compare two builds run after run
else
  cargo build --release --quiet
  yizhan="${CARGO_TARGET_DIR:-target}/release/yizhan"
fi

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
/usr/bin/time -f "seeded in %e s" "$yizhan" seed --synthetic "$PLACES"

# The first start reads the database and then writes the directory's snapshot; the second
# restores from it, and serves the runs.
export YIZHAN_SNAPSHOT_FILE="$work/directory.snapshot" YIZHAN_LISTEN="127.0.0.1:$PORT"
server=
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
start_server() {
  "$yizhan" serve &
  server=$!
  local started
  started=$(date +%s.%N)
  for _ in $(seq 1 1200); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.05; done
  echo "ready $1 in $(echo "$(date +%s.%N) - $started" | bc) s, RSS $(( $(ps -o rss= -p $server) / 1024 )) MB"
}
start_server "from the database"
for _ in $(seq 1 1200); do [ -f "$YIZHAN_SNAPSHOT_FILE" ] && break; sleep 0.1; done
kill -TERM $server && wait $server || true
echo "snapshot: $(( $(stat -c %s "$YIZHAN_SNAPSHOT_FILE") / 1048576 )) MB"
start_server "from the snapshot"
curl -s "http://127.0.0.1:$PORT/metrics" | grep -q '^yizhan_directory_restored_from_snapshot 1' ||
  { echo "the second start did not use the snapshot" >&2; exit 1; }

# mix.lua asks for `place(id:)` with ids 1..PLACES: check that the first and the last are
# the synthetic places (a fresh database numbers them from 1), and that there is no more.
place_name() {
  local id
  id=$(printf 'Place:%s' "$1" | base64 -w0 | tr '+/' '-_' | tr -d '=')
  curl -s "http://127.0.0.1:$PORT/graphql" -H 'Content-Type: application/json' \
    -d "{\"query\":\"query(\$id: ID!) { place(id: \$id) { name } }\",\"variables\":{\"id\":\"$id\"}}"
}
if [[ " $SCENARIO " == *" mix "* ]]; then
  first=$(place_name 1) last=$(place_name "$PLACES") beyond=$(place_name $((PLACES + 1)))
  echo "place 1: $first; place $PLACES: $last; place $((PLACES + 1)): $beyond"
  case "$first$last$beyond" in
    *'合成'*'1号'*'合成'*"${PLACES}号"*'"place":null'*) ;;
    *) echo "the synthetic places are not numbered 1..$PLACES" >&2; exit 1 ;;
  esac
fi

for scenario in $SCENARIO; do
  script="bench/$scenario.lua"
  echo "== warm-up (5 s)"
  wrk -t2 -c32 -d5s -s "$script" "http://127.0.0.1:$PORT/graphql" >/dev/null
  echo "== measured run ($scenario, 32 connections, 20 s)"
  if [ -n "$PERF_DATA" ]; then
    (sleep 3 && perf record -a -F 499 --call-graph dwarf,16384 -o "$PERF_DATA" -- sleep "$PERF_SECONDS" 2>&1 | tail -1) &
    sampler=$!
  fi
  cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$server/stat"; } # user + system
  ticks=$(cpu_ticks)
  wrk -t2 -c32 -d20s --latency -s "$script" "http://127.0.0.1:$PORT/graphql" | tee "$work/wrk.out"
  ticks=$(( $(cpu_ticks) - ticks ))
  # The server's own CPU per request holds steadier than requests/s when the machine is shared.
  requests=$(sed -n 's/^graphql or http errors [0-9]* of \([0-9]*\) requests.*/\1/p' "$work/wrk.out")
  awk -v ticks="$ticks" -v hz="$(getconf CLK_TCK)" -v requests="$requests" 'BEGIN {
    printf "server CPU: %.1f s in the measured run, %.0f us a request\n", ticks / hz, 1e6 * ticks / hz / requests }'
  echo "server RSS: $(( $(ps -o rss= -p $server) / 1024 )) MB"
  if [ -n "$PERF_DATA" ]; then wait "$sampler"; fi
done
