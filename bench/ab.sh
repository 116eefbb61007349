#!/usr/bin/env bash
# A/B benchmark of the read path: the server built from another revision
# against the server of this checkout, in one run on one machine, each on a
# database of its own in one PostgreSQL, measured in alternating order (ABBA)
# so that a machine that speeds up or slows down during the run favours
# neither. On a shared two-core machine single runs vary by tens of percent;
# compare the means and the spread across rounds, not one pair.
#
# The other revision is checked out as a git worktree under build/ab-REV and
# built there once (`git worktree remove build/ab-REV/src` when done).
#
# Usage: bench/ab.sh REV [ROUNDS] [SECONDS] [CASES]
#   REV      a git revision to compare with, e.g. HEAD~3 or main; with
#            FR_AB_BINARY set, the label of that binary (a server built
#            earlier, e.g. a copy of build/release-bench's; a path from the
#            repository's root or absolute), which is compared instead of a
#            build of REV, on this checkout's data/
#   ROUNDS   pairs of rounds (default 3, so 6 measurements a side)
#   SECONDS  per measurement (default 5)
#   CASES    grpc_load cases (default "get_forum list_sessions")
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
rev=${1:?usage: bench/ab.sh REV [ROUNDS] [SECONDS] [CASES]}
rounds=${2:-3}
seconds=${3:-5}
cases=${4:-get_forum list_sessions}

script/bootstrap
source script/lib/build.sh
source script/lib/postgres.sh
fr_build build/release-bench Release forum-registry grpc_load
new=$root/build/release-bench/src/tools/forum-registry
load=$root/build/release-bench/bench/grpc_load

# The other revision, in a worktree of its own under build/.
if [[ -n "${FR_AB_BINARY:-}" ]]; then
  old=$(realpath "$FR_AB_BINARY")
  old_data=$root/data
else
  base=$root/build/ab-$(git rev-parse --short "$rev")
  if [[ ! -d "$base/src" ]]; then
    git worktree add --force --detach "$base/src" "$rev" >/dev/null
  fi
  (cd "$base/src" && fr_build build/release-bench Release forum-registry)
  old=$base/src/build/release-bench/src/tools/forum-registry
  old_data=$base/src/data
fi

pgdir=$(mktemp -d /tmp/forum-registry-ab.XXXXXX)
chmod 755 "$pgdir"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  pg_stop "$pgdir/data"
  rm -rf "$pgdir"
}
trap cleanup EXIT
pg_start "$pgdir/data" "$pgdir/socket"
admin=$(pg_url "$pgdir/socket" postgres)
declare -A bin=([a]=$old [b]=$new) data=([a]=$old_data [b]=$root/data)
declare -A port=([a]=50171 [b]=50172)
for side in a b; do
  psql "$admin" -qc "CREATE DATABASE ab_$side" >/dev/null
  url=$(pg_url "$pgdir/socket" "ab_$side")
  "${bin[$side]}" migrate --database-url "$url" >/dev/null
  "${bin[$side]}" import --database-url "$url" "${data[$side]}"/*.textproto >/dev/null
  # Revisions since issue 11 refuse to serve without a way to know callers.
  auth=()
  if "${bin[$side]}" serve --help | grep -q -- --no-auth; then auth=(--no-auth); fi
  "${bin[$side]}" serve --database-url "$url" \
    --listen-address "127.0.0.1:${port[$side]}" --metrics-address "" \
    --log-level error "${auth[@]}" >"$pgdir/server-$side.log" 2>&1 &
  pids+=($!)
done
sleep 2

label=$rev
if [[ -z "${FR_AB_BINARY:-}" ]]; then label="$rev ($(git rev-parse --short "$rev"))"; fi
echo "# $(date -u +%FT%TZ) $(nproc) cores; a = $label, b = this checkout; ${seconds}s a case"
for ((i = 0; i < rounds; i++)); do
  for side in a b b a; do
    for case in $cases; do
      echo "$side $("$load" "127.0.0.1:${port[$side]}" "$case" 2 "$seconds")"
    done
  done
done | tee "$pgdir/rounds.txt"
# Mean RPC/s and p99 of each side and case.
awk '{ for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
       key = $1 " " $2; n[key]++; rps[key] += f["rps"]; p99[key] += f["p99_us"] }
     END { for (k in n) printf "mean %s rps=%.0f p99_us=%.0f (n=%d)\n",
                               k, rps[k] / n[k], p99[k] / n[k], n[k] }' \
  "$pgdir/rounds.txt" | sort
