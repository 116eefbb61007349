#!/usr/bin/env bash
# The import of a large dataset, against the floor of the same rows written
# set-based into tables without triggers (see docs/benchmarks.md, "Import"):
#
#   1. bench/dataset.sql with FORUMS forums into a first database, exported
#      with `forum-registry export` (one textproto file);
#   2. `forum-registry import` of that file into a second, empty, migrated
#      database: every constraint and trigger of the schema at work;
#   3. the floor: the same (name, body) rows copied with one INSERT ... SELECT
#      per table into copies of the tables with their indexes but without
#      triggers or foreign keys.
#
# Usage: bench/import.sh [FORUMS]   (default 12000: about 100,000 records)
set -euo pipefail
cd "$(dirname "$0")/.."
forums=${1:-12000}

source bench/lib.sh
bench_build forum-registry
bench_database
bench_populate "$forums"
dataset=$pgdir/dataset.textproto
"$bin" export --database-url "$url" --output "$dataset"
echo "# exported $(du -m "$dataset" | cut -f1) MiB"

bench_psql postgres -c "CREATE DATABASE imported"
imported=$(pg_url "$pgdir/socket" imported)
"$bin" migrate --database-url "$imported" >/dev/null
# The writes of the steps before (a million rows' worth of WAL and dirty
# pages at the larger sizes) are flushed first, not during the import.
bench_psql postgres -qc "VACUUM ANALYZE" -c "CHECKPOINT"
start=$(date +%s.%N)
"$bin" import --database-url "$imported" "$dataset" >/dev/null
end=$(date +%s.%N)
records=$(bench_records imported)
awk -v a="$start" -v b="$end" -v n="$records" \
  'BEGIN { printf "import records=%d seconds=%.1f us_per_record=%.0f\n", n, b - a, (b - a) * 1e6 / n }'

tables="participants forums sources sessions memberships chairmanships action_plans statements"
{
  echo "\\timing on"
  echo "BEGIN;"
  for t in $tables; do
    echo "CREATE TEMP TABLE floor_$t (LIKE $t INCLUDING DEFAULTS INCLUDING GENERATED INCLUDING INDEXES);"
  done
  for t in $tables; do
    echo "INSERT INTO floor_$t (name, body) SELECT name, body FROM $t;"
  done
  echo "COMMIT;"
} | bench_psql postgres | awk '/^Time:/ {sum += $2} END {printf "floor (INSERT ... SELECT, no triggers) ms=%.0f\n", sum}'
