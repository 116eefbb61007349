#!/usr/bin/env bash
# The server's footprint, goal 6 of issue 10: the time from exec to the first
# health SERVING (read from the server's own log line), and its resident
# memory once idle, over ROUNDS starts on the seed data.
#
# Usage: bench/footprint.sh [ROUNDS]   (default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}

source bench/lib.sh
bench_build forum-registry
bench_database
for ((round = 1; round <= rounds; round++)); do
  log=$pgdir/footprint.log
  start=$(date +%s.%N)
  "$bin" serve --database-url "$url" --listen-address 127.0.0.1:50155 \
    --metrics-address "" --drain-period 0s >"$log" 2>&1 &
  server_pid=$!
  for ((i = 0; i < 2000; i++)); do
    grep -q '"status":"SERVING"' "$log" && break
    sleep 0.005
  done
  serving=$(grep -m1 '"status":"SERVING"' "$log" | sed -E 's/.*"time":"([^"]+)".*/\1/')
  sleep 3
  rss_kib=$(awk '/^VmRSS/ {print $2}' "/proc/$server_pid/status")
  kill -TERM "$server_pid"
  wait "$server_pid" || true
  server_pid=""
  awk -v a="$start" -v b="$(date -d "$serving" +%s.%N)" -v r="$rss_kib" \
    'BEGIN { printf "footprint start_to_serving_ms=%.0f idle_rss_mib=%.1f\n", (b - a) * 1000, r / 1024 }'
done
