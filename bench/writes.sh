#!/usr/bin/env bash
# What request ids cost a write (issue 13): UpdateForum and CreateParticipant,
# each without and with a request_id, interleaved on the same server and
# database so that drift hits both alike. A write with a request id claims
# it in write_requests and stores its answer there, in the same transaction.
#
# Usage: bench/writes.sh [SECONDS] [ROUNDS] [THREADS]   (defaults 5, 3, 2)
# Prints every run, then the mean RPC/s and p99 of each case and the ratio
# with / without.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-5}
rounds=${2:-3}
threads=${3:-2}

source bench/lib.sh
bench_build forum-registry grpc_load
load=$build/bench/grpc_load
bench_database
bench_serve 50151
port=50151

echo "# $(date -u +%FT%TZ) $(nproc) cores, ${seconds}s per case, $threads client threads, $rounds rounds"
for ((i = 0; i < rounds; i++)); do
  for case in update_forum update_forum_rid create_participant_rid create_participant; do
    "$load" "127.0.0.1:$port" "$case" "$threads" "$seconds" || true  # errors are counted in its line
  done
done | tee "$pgdir/rounds.txt"
awk '{ for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
       n[$1]++; rps[$1] += f["rps"]; p99[$1] += f["p99_us"]; err[$1] += f["errors"] }
     END {
       for (k in n) printf "mean %s rps=%.0f p99_us=%.0f errors=%d (n=%d)\n",
                           k, rps[k] / n[k], p99[k] / n[k], err[k], n[k]
       for (k in n) if (k ~ /_rid$/) {
         base = substr(k, 1, length(k) - 4)
         printf "ratio %s with/without request_id: rps %.2fx, p99 %.2fx\n",
                base, rps[k] / rps[base], (p99[k] / n[k]) / (p99[base] / n[base])
       }
     }' "$pgdir/rounds.txt" | sort
echo "write_requests rows: $(bench_psql -tAc 'SELECT count(*) FROM write_requests')"
