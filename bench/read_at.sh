#!/usr/bin/env bash
# A Get naming a revision against Health, in the same server (issue 29's
# goal: at least 0.9 of Health's RPC/s, p99 at most 1.2 of Health's), for
# this checkout's server and optionally another binary, each started in
# turn (A B B A a round) on one database of bench/dataset.sql's registry.
# Each start runs `grpc_load health` then `grpc_load get_forum_at` (64
# calls outstanding) and reads the server's CPU time from /proc around
# each, so that a run also says what a call costs the server.
#
# Usage: bench/read_at.sh [ROUNDS] [SECONDS] [FORUMS]
#   ROUNDS   rounds (default 3; with FR_AB_BINARY, 2 runs a side a round)
#   SECONDS  per case (default 4)
#   FORUMS   bench/dataset.sql's size (default 10000: about 84,000 records)
# FR_AB_BINARY: another server binary (e.g. a copy of build/release-bench's
# from an earlier revision) measured as side a; without it only this
# checkout's server (side b) runs.
#
# Prints one line a run ("SIDE get_forum_at ratio=… p99_ratio=… …") and
# the medians of each side.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
seconds=${2:-4}
forums=${3:-10000}

source bench/lib.sh
bench_build forum-registry grpc_load
load=$build/bench/grpc_load
new=$bin
old=${FR_AB_BINARY:+$(realpath "$FR_AB_BINARY")}
bench_database
bench_populate "$forums"
port=50157

# The server's user + system time, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# A value of a grpc_load line: field NAME.
field() { sed -n "s/.* $2=\([0-9.]*\).*/\1/p" <<<"$1"; }

# One start of `binary` labelled `side`: health, then get_forum_at.
measure() {
  local side=$1 binary=$2 line before after calls ticks
  local -A rps p99 cost
  bin=$binary bench_serve "$port"
  for case in health get_forum_at; do
    before=$(cpu_ticks "$server_pid")
    line=$("$load" "127.0.0.1:$port" "$case" 64 "$seconds")
    after=$(cpu_ticks "$server_pid")
    calls=$(field "$line" rpcs)
    ticks=$((after - before))
    rps[$case]=$(field "$line" rps)
    p99[$case]=$(field "$line" p99_us)
    cost[$case]=$(awk -v t="$ticks" -v n="$calls" -v hz="$(getconf CLK_TCK)" \
      'BEGIN { printf "%.0f", (n > 0 ? t * 1e6 / hz / n : 0) }')
  done
  kill -TERM "$server_pid" && wait "$server_pid" || true
  server_pid=""
  awk -v s="$side" -v h="${rps[health]}" -v g="${rps[get_forum_at]}" \
    -v hp="${p99[health]}" -v gp="${p99[get_forum_at]}" \
    -v hc="${cost[health]}" -v gc="${cost[get_forum_at]}" 'BEGIN {
      printf "%s get_forum_at ratio=%.2f p99_ratio=%.2f health_rps=%d get_at_rps=%d health_p99_us=%d get_at_p99_us=%d health_server_us=%d get_at_server_us=%d\n",
        s, g / h, gp / hp, h, g, hp, gp, hc, gc }'
}

echo "# $(date -u +%FT%TZ) $(nproc) cores, $forums forums, $seconds s a case"
results=$(mktemp)
for ((round = 0; round < rounds; round++)); do
  if [[ -n "$old" ]]; then measure a "$old" | tee -a "$results"; fi
  measure b "$new" | tee -a "$results"
  if [[ -n "$old" ]]; then
    measure b "$new" | tee -a "$results"
    measure a "$old" | tee -a "$results"
  fi
done
bench_summary "$results" '
  END {
    for (k = 1; k <= nkeys; k++)
      printf "median %s ratio=%.2f p99_ratio=%.2f health_server_us=%d get_at_server_us=%d\n",
        keys[k], median(keys[k], "ratio"), median(keys[k], "p99_ratio"),
        median(keys[k], "health_server_us"), median(keys[k], "get_at_server_us")
  }'
rm -f "$results"
