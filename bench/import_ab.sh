#!/usr/bin/env bash
# A/B benchmark of `forum-registry import`: the binary built from another
# revision against this checkout's, importing the same exported dataset
# into a fresh database (each migrated by the binary that imports into it),
# in alternating order (ABBA), in one throwaway PostgreSQL. On this shared
# two-core machine single imports vary by tens of percent (more with
# fsync on: set PG_FSYNC=off to measure the work rather than the disk);
# compare the medians.
#
# The other revision is built as bench/ab.sh builds it (a git worktree
# under build/ab-REV).
#
# Usage: bench/import_ab.sh REV [FORUMS] [ROUNDS]
#   REV      a git revision to compare with
#   FORUMS   bench/dataset.sql's size (default 10000: about 84,000 records)
#   ROUNDS   pairs of rounds (default 2, so 4 imports a side)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
rev=${1:?usage: bench/import_ab.sh REV [FORUMS] [ROUNDS]}
forums=${2:-10000}
rounds=${3:-2}

source bench/lib.sh
bench_build forum-registry
new=$bin
base=$root/build/ab-$(git rev-parse --short "$rev")
if [[ ! -d "$base/src" ]]; then
  git worktree add --force --detach "$base/src" "$rev" >/dev/null
fi
(cd "$base/src" && fr_build build/release-bench Release forum-registry)
old=$base/src/build/release-bench/src/tools/forum-registry

bench_database
bench_populate "$forums"
dataset=$pgdir/dataset.textproto
"$new" export --database-url "$url" --output "$dataset"
echo "# exported $(du -m "$dataset" | cut -f1) MiB"

# One import by `binary` into a new database; prints its seconds.
import_once() {
  local binary=$1 target start end
  bench_psql postgres -c "DROP DATABASE IF EXISTS imported" \
    -c "CREATE DATABASE imported"
  target=$(pg_url "$pgdir/socket" imported)
  "$binary" migrate --database-url "$target" >/dev/null
  start=$(date +%s.%N)
  "$binary" import --database-url "$target" "$dataset" >/dev/null
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f\n", b - a }'
}

a_times=()
b_times=()
for ((round = 0; round < rounds; round++)); do
  a_times+=("$(import_once "$old")")
  b_times+=("$(import_once "$new")")
  b_times+=("$(import_once "$new")")
  a_times+=("$(import_once "$old")")
done
median() { printf '%s\n' "$@" | sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
ma=$(median "${a_times[@]}")
mb=$(median "${b_times[@]}")
echo "a=$rev seconds: ${a_times[*]} median=$ma"
echo "b=this checkout seconds: ${b_times[*]} median=$mb"
awk -v a="$ma" -v b="$mb" 'BEGIN { printf "b/a=%.2f\n", b / a }'
