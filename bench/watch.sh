#!/usr/bin/env bash
# The WatchChanges benchmark (results in docs/benchmarks.md): delivery latency
# from commit to watcher, the server's memory per watcher and its CPU per
# change delivered: one watcher under RATE writes a second (the baseline),
# then WATCHERS under a tenth of that rate, then WATCHERS under RATE.
#
# Usage: bench/watch.sh [WATCHERS] [WRITES_PER_SECOND] [SECONDS]
#        (defaults 1000, 100 and 20)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
watchers=${1:-1000}
rate=${2:-100}
seconds=${3:-20}

script/bootstrap
source script/lib/build.sh
source script/lib/postgres.sh
fr_build build/release-bench Release forum-registry watch_load
bin=$root/build/release-bench/src/tools/forum-registry
load=$root/build/release-bench/bench/watch_load

pgdir=$(mktemp -d /tmp/forum-registry-bench.XXXXXX)
chmod 755 "$pgdir"
server_pid=""
cleanup() {
  [[ -n "$server_pid" ]] && kill -TERM "$server_pid" 2>/dev/null && wait "$server_pid" || true
  pg_stop "$pgdir/data"
  rm -rf "$pgdir"
}
trap cleanup EXIT
pg_start "$pgdir/data" "$pgdir/socket"
url=$(pg_url "$pgdir/socket" postgres)
"$bin" migrate --database-url "$url" >/dev/null
"$bin" import --database-url "$url" data/*.textproto >/dev/null

port=50152
"$bin" serve --database-url "$url" --listen-address "127.0.0.1:$port" \
  --metrics-address "" --log-level error --drain-period 0s >"$pgdir/server.log" 2>&1 &
server_pid=$!
sleep 1

echo "# $(date -u +%FT%TZ) $(nproc) cores, $rate writes/s for ${seconds}s"
"$load" "127.0.0.1:$port" "$server_pid" 1 "$rate" "$seconds"
"$load" "127.0.0.1:$port" "$server_pid" "$watchers" $((rate / 10)) "$seconds"
"$load" "127.0.0.1:$port" "$server_pid" "$watchers" "$rate" "$seconds"
