#!/usr/bin/env bash
# What a retention purge of a large backlog costs the load around it (issue
# 25; results in docs/benchmarks.md): BACKLOG changes older than the
# retention (2,000,000 by default) are purged in batches of BATCH
# (--change-purge-batch) while one client thread Gets a forum and another
# updates one, closed-loop (bench/grpc_load.cc). The same load runs on the
# same server and database with the purge paused, in alternation: ROUNDS
# times SECONDS without, then SECONDS with, so that whatever else the
# machine does hits both alike. The purge is paused by holding its advisory
# lock from another session, as another replica running a batch would: the
# server then skips its rounds. Once the rounds are done the purge runs to
# the end, and how long that takes is measured too.
#
# Usage: bench/purge.sh [SECONDS] [ROUNDS] [BACKLOG] [BATCH]
#        (defaults 5, 3, 2000000, 5000)
# Prints each run's line (rps, p50/p90/p99/max in microseconds), the mean
# p50 and p99 of Gets and writes with and without the purge and their
# ratios, and the purge's rate while the load ran and after.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-5}
rounds=${2:-3}
backlog=${3:-2000000}
batch=${4:-5000}

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
bench_psql -c "VACUUM ANALYZE changes" -c "CHECKPOINT"
echo "# $(date -u +%FT%TZ) $(nproc) cores; backlog of $(bench_psql -tAc 'SELECT count(*) FROM changes') changes loaded in $(($(date +%s) - start)) s"

# The purge's lock ("fr-purge", store/change_log.cc: classid and objid are
# its two halves), held by a psql session of its own (the server's
# connections have no application_name, so its batches' locks are not
# counted).
lock_key="x'66722d7075726765'::bigint"
held="FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE l.locktype = 'advisory' AND l.granted AND l.classid = x'66722d70'::int::oid AND l.objid = x'75726765'::int::oid AND a.application_name = 'psql'"
hold_lock() {
  bench_psql -c "SELECT pg_advisory_lock($lock_key)" -c "SELECT pg_sleep(86400)" >/dev/null 2>&1 &
  until [[ $(bench_psql -tAc "SELECT count(*) $held") -ge 1 ]]; do
    sleep 0.05
  done
}
release_lock() {
  bench_psql -tAc "SELECT pg_terminate_backend(pid) $held" >/dev/null
}
hold_lock

metrics_port=50159
bench_serve 50153 --metrics-address "127.0.0.1:$metrics_port" \
  --change-retention 720h --change-purge-interval 1s \
  --change-purge-batch "$batch"
port=50153
metric() {
  curl -s "http://127.0.0.1:$metrics_port/metrics" | awk -v m="$1" '$1 == m { print $2 }'
}
batches() {
  metric 'forum_registry_change_purge_batches_total{table="changes"}'
}
old_changes() {
  bench_psql -tAc "SELECT count(*) FROM changes WHERE change_time < now() - interval '720 hours'"
}

# One Get thread and one write thread, at once, for $seconds; `label` goes
# first on each line, and the lines into runs.txt too.
run_load() {
  local label=$1
  "$load" "127.0.0.1:$port" get_forum 1 "$seconds" | sed "s/^/$label /" >"$pgdir/gets.txt" &
  local gets=$!
  "$load" "127.0.0.1:$port" update_forum 1 "$seconds" | sed "s/^/$label /" >"$pgdir/writes.txt"
  wait "$gets"
  cat "$pgdir/gets.txt" "$pgdir/writes.txt" | tee -a "$pgdir/runs.txt"
}

# The load with the purge running: from the first batch after the lock is
# let go until the lock is held again (after the batch in flight).
purged_during=0
with_purge() {
  local left now_left b
  left=$(old_changes)
  b=$(batches)
  release_lock
  until [[ $(batches) -gt $b ]]; do sleep 0.05; done
  run_load with
  hold_lock
  now_left=$(old_changes)
  purged_during=$((purged_during + left - now_left))
  echo "# $((left - now_left)) changes purged in the ${seconds}s with load, $now_left old ones left"
  if ((now_left == 0)); then
    echo "# the backlog ran out: part of that window had no purge (use a larger BACKLOG or fewer ROUNDS)"
  fi
}
# Rounds in alternating order (without-with, with-without, ...), so that
# neither always follows the other.
for ((r = 0; r < rounds; r++)); do
  if ((r % 2 == 0)); then
    run_load without
    with_purge
  else
    with_purge
    run_load without
  fi
done
echo "# purge while the load ran: $purged_during changes in $rounds windows of ${seconds}s"

# The rest, with no load.
left=$(old_changes)
before_batches=$(batches)
release_lock
start=$(date +%s.%N)
until [[ $(old_changes) -eq 0 ]]; do sleep 0.2; done
end=$(date +%s.%N)
echo "# purge with no load: $left changes in $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }') s, $(($(batches) - before_batches)) batches; in all $(metric forum_registry_changes_purged_total) purged, failures $(metric forum_registry_change_purge_failures_total)"

awk '{ for (i = 3; i <= NF; i++) { split($i, kv, "="); sum[$1, $2, kv[1]] += kv[2] } n[$1, $2]++ }
     END {
       split("get_forum update_forum", cases, " ")
       for (c = 1; c <= 2; c++) {
         k = cases[c]
         for (q = 1; q <= 3; q++) {
           p = q == 1 ? "p50_us" : q == 2 ? "p99_us" : "rps"
           w = sum["with", k, p] / n["with", k]; wo = sum["without", k, p] / n["without", k]
           printf "mean %s %s: %.0f with the purge, %.0f without: %.2fx (n=%d)\n", k, p, w, wo, w / wo, n["with", k]
         }
       }
     }' "$pgdir/runs.txt"
