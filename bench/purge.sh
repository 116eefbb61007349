#!/usr/bin/env bash
# What a retention purge of a large backlog costs the load around it (issue
# 25; results in docs/benchmarks.md): BACKLOG changes older than the
# retention (2,000,000 by default) are purged in batches of BATCH
# (--change-purge-batch) while one client thread Gets a forum and another
# updates one, closed-loop (bench/grpc_load.cc). The same load runs on the
# same server and database with no purge just before, and again once the
# purge is done; the purge is held back meanwhile by holding its advisory
# lock, which the server takes for each batch (a replica holding it), so
# nothing but the purge differs.
#
# Usage: bench/purge.sh [SECONDS] [BACKLOG] [BATCH]   (defaults 15, 2000000,
#        5000)
# Prints each run's line (rps, p50/p90/p99/max in microseconds), then the
# ratios of Get and write p50 and p99 during the purge to those without,
# and the purge's own count and duration from the server's metrics.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-15}
backlog=${2:-2000000}
batch=${3:-5000}

source bench/lib.sh
bench_build forum-registry grpc_load
load=$build/bench/grpc_load
bench_database

# The backlog: changes 40 days old, a millisecond apart, each with a small
# record, inserted in transactions of 250,000 and analysed.
start=$(date +%s)
for ((lo = 1; lo <= backlog; lo += 250000)); do
  hi=$((lo + 249999 < backlog ? lo + 249999 : backlog))
  bench_psql -c "INSERT INTO changes (resource, operation, version, body, change_time)
    SELECT 'forums/old-' || i, 'UPDATE', 2,
           jsonb_build_object('kind', 'FORUM_KIND_SUMMIT', 'display_name', 'Old ' || i),
           now() - interval '40 days' + i * interval '1 ms'
      FROM generate_series($lo, $hi) i"
done
bench_psql -c "VACUUM ANALYZE changes"
echo "# $(date -u +%FT%TZ) $(nproc) cores; backlog of $(bench_psql -tAc 'SELECT count(*) FROM changes') changes loaded in $(($(date +%s) - start)) s"

# The purge's lock ("fr-purge", store/change_log.cc: classid and objid are
# its two halves), held by another session until that is ended: the server
# skips every round meanwhile.
lock_key="x'66722d7075726765'::bigint"
held="FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = x'66722d70'::int::oid AND objid = x'75726765'::int::oid"
bench_psql -c "SELECT pg_advisory_lock($lock_key)" -c "SELECT pg_sleep(86400)" >/dev/null 2>&1 &
until [[ $(bench_psql -tAc "SELECT count(*) $held") -ge 1 ]]; do
  sleep 0.1
done
release_lock() {
  bench_psql -tAc "SELECT pg_terminate_backend(pid) $held" >/dev/null
}

metrics_port=50159
bench_serve 50153 --metrics-address "127.0.0.1:$metrics_port" \
  --change-retention 720h --change-purge-interval 1s \
  --change-purge-batch "$batch"
port=50153
metric() {
  curl -s "http://127.0.0.1:$metrics_port/metrics" | awk -v m="$1" '$1 == m { print $2 }'
}

# One Get thread and one write thread, at once, for $seconds; `label` goes
# first on each line.
run_load() {
  local label=$1
  "$load" "127.0.0.1:$port" get_forum 1 "$seconds" | sed "s/^/$label /" &
  local gets=$!
  "$load" "127.0.0.1:$port" update_forum 1 "$seconds" | sed "s/^/$label /"
  wait "$gets"
}

{
  run_load before
  release_lock
  purge_start=$(date +%s.%N)
  until [[ $(metric 'forum_registry_change_purge_batches_total{table="changes"}') -ge 1 ]]; do
    sleep 0.05
  done
  run_load during
  left=$(bench_psql -tAc 'SELECT count(*) FROM changes')
  echo "# changes left when the load during the purge ended: $left"
  until [[ $(bench_psql -tAc 'SELECT count(*) FROM changes') -le 1 ]] ||
    [[ $(bench_psql -tAc "SELECT count(*) FROM changes WHERE change_time < now() - interval '720 hours'") -eq 0 ]]; do
    sleep 0.5
  done
  purge_end=$(date +%s.%N)
  run_load after
} | tee "$pgdir/runs.txt"

echo "# purge: $(metric forum_registry_changes_purged_total) changes in $(metric 'forum_registry_change_purge_batches_total{table="changes"}') batches, $(awk -v a="$purge_start" -v b="$purge_end" 'BEGIN { printf "%.1f", b - a }') s (the round that ended last: $(metric forum_registry_change_purge_last_seconds) s), failures $(metric forum_registry_change_purge_failures_total)"
awk '{ for (i = 3; i <= NF; i++) { split($i, kv, "="); f[$1 " " $2, kv[1]] = kv[2] } }
     END {
       for (c = 1; c <= 2; c++) {
         k = c == 1 ? "get_forum" : "update_forum"
         for (q = 1; q <= 2; q++) {
           p = q == 1 ? "p50_us" : "p99_us"
           base = (f["before " k, p] + f["after " k, p]) / 2
           printf "ratio %s %s during/without purge: %.2fx (%d us vs %d us before, %d us after)\n",
                  k, p, f["during " k, p] / base, f["during " k, p], f["before " k, p], f["after " k, p]
         }
         printf "ratio %s rps during/without purge: %.2fx\n", k,
                f["during " k, "rps"] / ((f["before " k, "rps"] + f["after " k, "rps"]) / 2)
       }
     }' "$pgdir/runs.txt"
