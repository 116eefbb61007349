#!/usr/bin/env bash
# Rapid reset (issue 12, CVE-2023-44487): while a client opens and resets
# GetForum streams as fast as it can on loopback, reconnecting whenever the
# server closes its connection (tests/e2e/rapid_reset.py, python3-h2), 2
# clients Get forums/arf with a 200 ms deadline on connections opened
# before the flood. Reports the Gets' latency and errors, the flood's
# streams and connections, and the server's peak resident set and threads
# sampled every 100 ms; then the same Gets without the flood, as the
# baseline of the same run.
#
# Usage: bench/rapid_reset.sh [SECONDS] [FLAGS...]   (default 10)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
shift || true

source bench/lib.sh
bench_build forum-registry grpc_load
load=$build/bench/grpc_load
bench_database
bench_serve 50171 "$@"
port=50171

echo "# $(date -u +%FT%TZ) $(nproc) cores, ${seconds}s"
echo "baseline (no flood):"
"$load" "127.0.0.1:$port" get_forum 2 "$seconds" 200 || true

sample() {
  while kill -0 "$server_pid" 2>/dev/null; do
    awk '/^VmRSS/ {r=$2} /^Threads/ {t=$2} END {print r, t}' "/proc/$server_pid/status"
    sleep 0.1
  done
}
sample >"$pgdir/samples" &
sampler=$!
echo "during the flood:"
"$load" "127.0.0.1:$port" get_forum 2 "$seconds" 200 >"$pgdir/gets.out" || true &
gets=$!
sleep 0.5
/usr/bin/python3 tests/e2e/rapid_reset.py 127.0.0.1 "$port" \
  /forumregistry.v1.ForumService/GetForum "$((seconds - 1))"
wait "$gets" || true
cat "$pgdir/gets.out"
kill "$sampler" 2>/dev/null || true
awk '{ if ($1 > r) r = $1; if ($2 > t) t = $2 } END {
       printf "server peak: rss=%.0f MiB threads=%d\n", r / 1024, t }' "$pgdir/samples"
