#!/usr/bin/env bash
# Benchmarks of the read path, each against a baseline measured in the same
# run on the same machine (see docs/benchmarks.md for results):
#
#   health          grpc.health.v1.Health/Check: the server with no database
#                   work — the cost of gRPC itself, the floor for any RPC
#   get_forum       GetForum forums/arf over gRPC
#   get_forum_at    the same naming the revision a write returned (min_revision)
#   pgbench         the same row read with plain SQL by pgbench, prepared:
#                   the floor for the database work behind GetForum
#   list_forums     a page of 50 forums without a filter
#   list_forums_at  the same naming the revision a write returned
#   list_sessions   ListSessions across forums with a date-range filter and
#                   order_by: the filter compiler and the planner at work
#
# With FORUMS, the database also holds bench/dataset.sql's synthetic registry
# of that many forums (120000: about 1,000,000 records).
#
# Usage: bench/run.sh [SECONDS] [THREADS] [FORUMS]   (defaults 10, 2 and 0)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
threads=${2:-2}
forums=${3:-0}

source bench/lib.sh
bench_build forum-registry grpc_load
load=$build/bench/grpc_load
bench_database
if ((forums > 0)); then bench_populate "$forums"; fi
bench_serve 50151
port=50151

echo "# $(date -u +%FT%TZ) $(nproc) cores, ${seconds}s per case, $threads client threads"
for case in health get_forum get_forum_at list_forums list_forums_at list_sessions; do
  "$load" "127.0.0.1:$port" "$case" "$threads" "$seconds"
done
echo "SELECT body FROM forums WHERE name = 'forums/arf';" >"$pgdir/get_forum.sql"
pg_as_owner "$PG_BIN/pgbench" -n -M prepared -c "$threads" -j "$threads" -T "$seconds" \
  -h "$pgdir/socket" -U postgres -f "$pgdir/get_forum.sql" postgres |
  grep -E "^(number of transactions actually processed|latency average|tps)"
