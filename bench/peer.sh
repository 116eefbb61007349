#!/usr/bin/env bash
# Our server against the Go peer of issue 29 (bench/peer: grpc-go and a pgx
# v4 pool of 4 connections, as many as our --pool-size default): both serve
# one database holding data/ and bench/dataset.sql's registry of FORUMS
# forums, one after the other under the same load, closed loop, 64 calls
# outstanding (grpc_load: a thread and a connection each):
#
#   health       grpc.health.v1.Health/Check: each side's gRPC floor, no
#                database work
#   get_forum    GetForum forums/arf: the peer reads six typed columns of
#                the row and builds a Forum of them, ours the whole record
#   list_forums  a page of 50 forums without a filter (keyset on name)
#   list_forums_bytes
#                the same page, taken by the client as bytes (not parsed):
#                the client's own work, on the same two cores, then weighs
#                less on both sides, and the servers' difference shows
#
# The peer does the least a Go service would for these reads, so the ratios
# say what our server's gRPC stack and its full records cost against a plain
# one. Each round measures every case on both sides, ours first in even
# rounds and the peer first in odd ones (ABBA), so that a machine that speeds
# up or slows down favours neither. Ends with a markdown table of the medians
# over the rounds: RPC/s, p50 and p99 of each side, ours ÷ peer, and each
# case's RPC/s ÷ its own side's health RPC/s.
#
# The peer is built with script/lib/go.sh (protoc-gen-go and
# protoc-gen-go-grpc, then Go in GOPATH mode with Debian's packages, pgx from
# golang-github-jackc-pgx-v4-dev; nothing downloaded) into build/peer, which
# keeps its Go build cache. FR_BENCH_BUILD picks the server's build as for
# the other scripts (bench/lib.sh).
#
# Usage: bench/peer.sh [ROUNDS] [SECONDS] [FORUMS]   (defaults 3, 5 and 10000)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
seconds=${2:-5}
forums=${3:-10000}
threads=64
cases=(health get_forum list_forums list_forums_bytes)
declare -A port=([ours]=50151 [peer]=50152)

source bench/lib.sh
source script/lib/go.sh
bench_build forum-registry grpc_load
load=$build/bench/grpc_load
peer_dir=$(pwd)/build/peer
rm -rf "$peer_dir/gopath"  # generated afresh from proto/
GOCACHE=$peer_dir/gocache fr_go_build "$(pwd)" "$peer_dir" "$peer_dir/peer" ./bench/peer

bench_database
bench_populate "$forums"
bench_serve "${port[ours]}"
"$peer_dir/peer" -database-url "$url" -listen "127.0.0.1:${port[peer]}" -pool 4 \
  >"$pgdir/peer.log" 2>&1 &
peer_pid=$!
trap 'kill -TERM "$peer_pid" 2>/dev/null && wait "$peer_pid" 2>/dev/null || true; bench_cleanup' EXIT
for _ in $(seq 100); do
  grep -q "serving on" "$pgdir/peer.log" && break
  kill -0 "$peer_pid" 2>/dev/null || { cat "$pgdir/peer.log" >&2; exit 1; }
  sleep 0.1
done
results=$pgdir/results

echo "# $(date -u +%FT%TZ) $(nproc) cores, load average $(cut -d" " -f1-3 /proc/loadavg), $(git rev-parse --short HEAD), server build ${build#"$(pwd)"/}, ${seconds}s per case, $threads calls outstanding, $rounds rounds, $forums forums"
echo "# side case threads rpcs errors rps p50_us p90_us p99_us max_us"
for ((round = 0; round < rounds; round++)); do
  if ((round % 2 == 0)); then order=(ours peer); else order=(peer ours); fi
  for case in "${cases[@]}"; do
    for side in "${order[@]}"; do
      echo "$side $("$load" "127.0.0.1:${port[$side]}" "$case" "$threads" "$seconds")"
    done
  done
done | tee "$results"

echo
echo "Medians of $rounds rounds of ${seconds} s, $threads calls outstanding:"
echo
bench_summary "$results" '
  END {
    n = split("'"${cases[*]}"'", cs, " ")
    print "| case | side | RPC/s | p50 µs | p99 µs | RPC/s ÷ own health | errors |"
    print "| --- | --- | ---: | ---: | ---: | ---: | ---: |"
    for (c = 1; c <= n; c++) {
      o = "ours:" cs[c]; p = "peer:" cs[c]
      for (s = 1; s <= 2; s++) {
        k = s == 1 ? o : p; side = s == 1 ? "ours" : "peer"
        printf "| %s | %s | %.0f | %.0f | %.0f | %s | %d |\n", cs[c], side,
               median(k, "rps"), median(k, "p50_us"), median(k, "p99_us"),
               ratio(median(k, "rps"), median(side ":health", "rps")), errors[k]
      }
      printf "| %s | ours ÷ peer | %s | %s | %s | | |\n", cs[c],
             ratio(median(o, "rps"), median(p, "rps")),
             ratio(median(o, "p50_us"), median(p, "p50_us")),
             ratio(median(o, "p99_us"), median(p, "p99_us"))
    }
  }
  function ratio(a, b) { return b ? sprintf("%.2f", a / b) : "-" }'
