#!/usr/bin/env bash
# Overload (issue 12): while CALLERS calls of ListForums (pages of 1,000)
# never read their answers (tests/e2e/slow_callers.py: zero flow-control window,
# 100 streams a connection) and 8 clients run a filter no index serves
# (grpc_load scan_forums), 2 clients Get with a 200 ms deadline. Reports the
# Gets' latency and errors, and the server's peak resident set and threads
# sampled every 200 ms.
#
# Usage: bench/overload.sh [SECONDS] [CALLERS] [FORUMS]   (defaults 20, 2000, 12000)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
callers=${2:-2000}
forums=${3:-12000}

source bench/lib.sh
bench_build forum-registry grpc_load
load=$build/bench/grpc_load
bench_database
bench_populate "$forums"
bench_serve 50161
port=50161

peak_rss=0 peak_threads=0
sample() {
  while kill -0 "$server_pid" 2>/dev/null; do
    read -r rss threads < <(awk '/^VmRSS/ {r=$2} /^Threads/ {t=$2} END {print r, t}' \
      "/proc/$server_pid/status")
    echo "$rss $threads"
    sleep 0.2
  done
}
sample >"$pgdir/samples" &
sampler=$!
echo "# $(date -u +%FT%TZ) $(nproc) cores, ${seconds}s, $callers slow callers, $forums forums"
/usr/bin/python3 tests/e2e/slow_callers.py 127.0.0.1 "$port" $((callers / 100)) 100 \
  $((seconds + 5)) >"$pgdir/slow.out" &
slow=$!
sleep 3
"$load" "127.0.0.1:$port" scan_forums 8 "$seconds" 5000 >"$pgdir/scan.out" || true &
scan=$!
sleep 1
"$load" "127.0.0.1:$port" get_forum 2 "$((seconds - 2))" 200 || true
wait "$scan" || true
cat "$pgdir/scan.out"
wait "$slow" || true
cat "$pgdir/slow.out"
kill "$sampler" 2>/dev/null || true
awk '{ if ($1 > r) r = $1; if ($2 > t) t = $2 } END {
       printf "server peak: rss=%.0f MiB threads=%d\n", r / 1024, t }' "$pgdir/samples"
