#!/usr/bin/env bash
# What the change log costs on disk when it keeps every change (issue 27:
# retention is opt-in; results in docs/benchmarks.md and docs/operations.md,
# "Retention"). On the real data (data/*.textproto), WRITES edits (100,000
# by default) of records of every kind that has a display name, each one
# write through the tables' triggers as the server's writes are (a change
# row with the record's whole body, its indexes, the search index), in
# transactions of 1,000. The log's size (table, TOAST and indexes) before
# and after gives the bytes one change costs; a year of writes at a few
# rates follows from it. The records themselves do not grow: an edit
# replaces a name.
#
# Usage: bench/history_disk.sh [WRITES]   (default 100000)
set -euo pipefail
cd "$(dirname "$0")/.."
writes=${1:-100000}

source bench/lib.sh
bench_build forum-registry
bench_database

log_bytes() {
  bench_psql -tAc "VACUUM ANALYZE changes" >/dev/null
  bench_psql -tAc "SELECT pg_total_relation_size('changes')"
}
before_bytes=$(log_bytes)
before_changes=$(bench_psql -tAc "SELECT count(*) FROM changes")

# One edit: the display name of one record, picked in turn from a kind in
# turn, with a number so every edit writes a new version.
start=$(date +%s)
tables=(participants forums sources sessions action_plans statements)
for ((lo = 1; lo <= writes; lo += 1000)); do
  {
    echo "BEGIN;"
    for ((i = lo; i < lo + 1000 && i <= writes; i++)); do
      table=${tables[i % ${#tables[@]}]}
      echo "UPDATE $table SET body = jsonb_set(body, '{display_name}', to_jsonb(split_part(body->>'display_name', ' #', 1) || ' #$i')), version = version + 1, update_time = clock_timestamp() WHERE name = (SELECT name FROM $table ORDER BY name OFFSET ($i / ${#tables[@]}) % (SELECT count(*) FROM $table) LIMIT 1);"
    done
    echo "COMMIT;"
  } | bench_psql >/dev/null
done
seconds=$(($(date +%s) - start))
after_bytes=$(log_bytes)
after_changes=$(bench_psql -tAc "SELECT count(*) FROM changes")
added=$((after_changes - before_changes))
average_body=$(bench_psql -tAc "SELECT round(avg(octet_length(body::text))) FROM changes WHERE body IS NOT NULL")

per_change=$(((after_bytes - before_bytes) / added))
echo "# $(date -u +%FT%TZ) $(nproc) cores; $added changes written in $seconds s"
echo "log before: $before_changes changes, $before_bytes bytes; after: $after_changes changes, $after_bytes bytes"
echo "average record body in the log: $average_body bytes of JSON"
echo "bytes per change (table, TOAST, indexes): $per_change"
for per_day in 100 1000 10000; do
  year=$((per_day * 365 * per_change))
  echo "a year at $per_day writes a day: $((year / 1048576)) MiB"
done
