#!/usr/bin/env bash
# Search at scale (issue 14): SearchService/Search against GetForum, the
# baseline, interleaved on the same server and database of bench/dataset.sql
# (120000 forums: about 1,000,000 records, every one of them in the search
# index), so that drift hits every case alike. The cases are grpc_load's:
# search_seed ("ASEAN Regional Forum"), search_name ("Forum N", N random),
# search_typo ("Frum N": only the trigram index finds it) and search_common
# ("session", a word of 480,000 records: the bound of 1,000 candidates).
#
# Usage: bench/search.sh [SECONDS] [ROUNDS] [THREADS] [FORUMS]
#                        (defaults 10, 3, 2, 120000)
# Prints every run, then each case's mean RPC/s and p99 and its p99 over
# GetForum's.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
rounds=${2:-3}
threads=${3:-2}
forums=${4:-120000}

source bench/lib.sh
bench_build forum-registry grpc_load
load=$build/bench/grpc_load
bench_database
bench_populate "$forums"
echo "# search_documents: $(bench_psql -tAc 'SELECT count(*) FROM search_documents') rows, $(bench_psql -tAc "SELECT pg_size_pretty(pg_total_relation_size('search_documents'))")"
bench_serve 50151
port=50151
export FR_BENCH_FORUMS=$forums

echo "# $(date -u +%FT%TZ) $(nproc) cores, ${seconds}s per case, $threads client threads, $rounds rounds"
for ((i = 0; i < rounds; i++)); do
  for case in get_forum search_seed search_name search_typo search_common; do
    "$load" "127.0.0.1:$port" "$case" "$threads" "$seconds" || true  # errors are counted in its line
  done
done | tee "$pgdir/rounds.txt"
awk '{ for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
       n[$1]++; rps[$1] += f["rps"]; p50[$1] += f["p50_us"]; p99[$1] += f["p99_us"]
       err[$1] += f["errors"] }
     END {
       for (k in n) printf "mean %s rps=%.0f p50_us=%.0f p99_us=%.0f errors=%d (n=%d)\n",
                           k, rps[k] / n[k], p50[k] / n[k], p99[k] / n[k], err[k], n[k]
       for (k in n) if (k != "get_forum")
         printf "ratio %s / get_forum: p99 %.2fx, p50 %.2fx\n", k,
                p99[k] / p99["get_forum"], p50[k] / p50["get_forum"]
     }' "$pgdir/rounds.txt" | sort
