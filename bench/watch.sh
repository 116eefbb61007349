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
watchers=${1:-1000}
rate=${2:-100}
seconds=${3:-20}

source bench/lib.sh
bench_build forum-registry watch_load
load=$build/bench/watch_load
bench_database
# One caller on 10 connections: the bounds on watches (issue 23) raised to
# let every watcher in.
bench_serve 50152 --drain-period 0s --max-watches "$watchers" \
  --max-watches-per-caller "$watchers" \
  --max-watches-per-connection $(((watchers + 9) / 10))
port=50152

echo "# $(date -u +%FT%TZ) $(nproc) cores, $rate writes/s for ${seconds}s"
"$load" "127.0.0.1:$port" "$server_pid" 1 "$rate" "$seconds"
"$load" "127.0.0.1:$port" "$server_pid" "$watchers" $((rate / 10)) "$seconds"
"$load" "127.0.0.1:$port" "$server_pid" "$watchers" "$rate" "$seconds"
