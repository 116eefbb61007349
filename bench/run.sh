#!/usr/bin/env bash
# Benchmarks of the read path, each against a baseline measured in the same
# run on the same machine (see docs/benchmarks.md for results):
#
#   health          grpc.health.v1.Health/Check: the server with no database
#                   work — the cost of gRPC itself, the floor for any RPC
#   get_forum       GetForum forums/arf over gRPC
#   pgbench         the same row read with plain SQL by pgbench, prepared:
#                   the floor for the database work behind GetForum
#   list_sessions   ListSessions across forums with a date-range filter and
#                   order_by: the filter compiler and the planner at work
#
# Usage: bench/run.sh [SECONDS] [THREADS]   (defaults 10 and 2)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
seconds=${1:-10}
threads=${2:-2}

script/bootstrap
source script/lib/build.sh
source script/lib/postgres.sh
fr_build build/release-bench Release forum-registry grpc_load
bin=$root/build/release-bench/src/tools/forum-registry
load=$root/build/release-bench/bench/grpc_load

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

port=50151
"$bin" serve --database-url "$url" --listen-address "127.0.0.1:$port" \
  --metrics-address "" --log-level error >"$pgdir/server.log" 2>&1 &
server_pid=$!
sleep 1

echo "# $(date -u +%FT%TZ) $(nproc) cores, ${seconds}s per case, $threads client threads"
for case in health get_forum list_sessions; do
  "$load" "127.0.0.1:$port" "$case" "$threads" "$seconds"
done
echo "SELECT body FROM forums WHERE name = 'forums/arf';" >"$pgdir/get_forum.sql"
pg_as_owner "$PG_BIN/pgbench" -n -M prepared -c "$threads" -j "$threads" -T "$seconds" \
  -h "$pgdir/socket" -U postgres -f "$pgdir/get_forum.sql" postgres |
  grep -E "^(number of transactions actually processed|latency average|tps)"
