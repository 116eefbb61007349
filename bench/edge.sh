#!/usr/bin/env bash
# What the edge costs (results in docs/benchmarks.md): Health, GetForum and
# a page of ListForums through the edge (deploy/edge: HAProxy in front, the
# server's --edge-address behind it) against the same server reached
# directly on its client port, in one run, the two sides interleaved in
# every round (direct, edge, edge, direct, ...) so that a machine that
# speeds up or slows down favours neither.
#
# Usage: bench/edge.sh [SECONDS] [THREADS] [ROUNDS]   (defaults 5, 2 and 3)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-5}
threads=${2:-2}
rounds=${3:-3}

source bench/lib.sh
bench_build forum-registry grpc_load
load=$build/bench/grpc_load
bench_database
bench_serve 50151 --edge-address 127.0.0.1:50152
FORUM_REGISTRY_EDGE_LISTEN_ADDRESS=127.0.0.1:50153 \
FORUM_REGISTRY_EDGE_UPSTREAM=127.0.0.1:50152 \
FORUM_REGISTRY_EDGE_MONITOR_ADDRESS=127.0.0.1:50154 \
FORUM_REGISTRY_EDGE_LOG_LEVEL=err \
  deploy/edge/forum-registry-edge >"$pgdir/edge.log" 2>&1 &
edge_pid=$!
trap 'kill -TERM $edge_pid 2>/dev/null; wait $edge_pid 2>/dev/null; bench_cleanup' EXIT
sleep 1

echo "# $(date -u +%FT%TZ) $(nproc) cores, ${seconds}s per case, $threads client threads, $rounds rounds"
echo "# side case threads rpcs errors rps p50_us p90_us p99_us max_us"
for ((round = 0; round < rounds; round++)); do
  if ((round % 2 == 0)); then order="direct edge"; else order="edge direct"; fi
  for case in health get_forum list_forums; do
    for side in $order; do
      if [[ $side == direct ]]; then port=50151; else port=50153; fi
      echo "$side $("$load" "127.0.0.1:$port" "$case" "$threads" "$seconds")"
    done
  done
done
