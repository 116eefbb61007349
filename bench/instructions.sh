#!/usr/bin/env bash
# Instructions per RPC, counted by valgrind's callgrind in the server process:
# the server of another revision against the server of this checkout, each on
# a database of its own, under the same load. Counts, not seconds: they repeat
# to within a percent or two whatever else the machine does, where RPC/s on a
# shared two-core machine varies by tens of percent. They say nothing of
# waiting (locks, I/O, the database); bench/run.sh and bench/ab.sh do.
#
# Usage: bench/instructions.sh REV [CASE] [SECONDS]
#   REV      a git revision to compare with
#   CASE     a grpc_load case (default get_forum)
#   SECONDS  of counted load per side (default 15; the server runs ~50x
#            slower under callgrind, so this is a few hundred RPCs)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
rev=${1:?usage: bench/instructions.sh REV [CASE] [SECONDS]}
case=${2:-get_forum}
seconds=${3:-15}

script/bootstrap
command -v valgrind >/dev/null || apt-get install -y -qq valgrind >/dev/null
source script/lib/build.sh
source script/lib/postgres.sh
fr_build build/release-bench Release forum-registry grpc_load
load=$root/build/release-bench/bench/grpc_load
base=$root/build/ab-$(git rev-parse --short "$rev")
if [[ ! -d "$base/src" ]]; then
  git worktree add --force --detach "$base/src" "$rev" >/dev/null
fi
(cd "$base/src" && fr_build build/release-bench Release forum-registry)
declare -A bin=([a]=$base/src/build/release-bench/src/tools/forum-registry
                [b]=$root/build/release-bench/src/tools/forum-registry)
declare -A data=([a]=$base/src/data [b]=$root/data)

pgdir=$(mktemp -d /tmp/forum-registry-instructions.XXXXXX)
chmod 755 "$pgdir"
server=""
cleanup() {
  [[ -n "$server" ]] && kill -TERM "$server" 2>/dev/null && wait "$server" || true
  pg_stop "$pgdir/data"
  rm -rf "$pgdir"
}
trap cleanup EXIT
pg_start "$pgdir/data" "$pgdir/socket"
admin=$(pg_url "$pgdir/socket" postgres)
echo "# $(date -u +%FT%TZ) a = $rev ($(git rev-parse --short "$rev")), b = this checkout; $case, ${seconds}s counted"
for side in a b; do
  psql "$admin" -qc "CREATE DATABASE instructions_$side" >/dev/null
  url=$(pg_url "$pgdir/socket" "instructions_$side")
  "${bin[$side]}" migrate --database-url "$url" >/dev/null
  "${bin[$side]}" import --database-url "$url" "${data[$side]}"/*.textproto >/dev/null
  # Counting starts only when told, after start-up and a warm-up.
  valgrind --tool=callgrind --instr-atstart=no \
    --callgrind-out-file="$pgdir/callgrind.$side" \
    "${bin[$side]}" serve --database-url "$url" --listen-address 127.0.0.1:50191 \
    --metrics-address "" --log-level error >"$pgdir/server-$side.log" 2>&1 &
  server=$!
  sleep 8
  "$load" 127.0.0.1:50191 "$case" 1 3 >/dev/null
  callgrind_control -i on "$server" >/dev/null
  out=$("$load" 127.0.0.1:50191 "$case" 1 "$seconds")
  callgrind_control -i off "$server" >/dev/null
  callgrind_control -d "$server" >/dev/null
  sleep 1
  rpcs=$(sed 's/.*rpcs=\([0-9]*\).*/\1/' <<<"$out")
  instructions=$(grep -h -E '^(summary|totals):' "$pgdir"/callgrind."$side"* |
                 awk '{ s += $2 } END { print s }')
  echo "$side $case rpcs=$rpcs instructions=$instructions per_rpc=$((instructions / rpcs))"
  kill -TERM "$server"; wait "$server" 2>/dev/null || true
  server=""
done
