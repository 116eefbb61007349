#!/usr/bin/env bash
# What the HTTP door costs against gRPC (results in docs/benchmarks.md): one
# server with --http-address, bench/dataset.sql's registry of FORUMS forums,
# and the same reads over both doors in one run, closed loop, THREADS calls
# outstanding on each (a thread each, a connection each: grpc_load's
# channels, http_load's HTTP/1.1 keep-alive connections):
#
#   health / head_openapi        the floors: gRPC Health/Check, and HEAD
#                                /openapi.json (the door answering without
#                                the API: no in-process call, no JSON;
#                                but it copies a 208 KB document, see
#                                docs/benchmarks.md, issue 26)
#   get_forum                    GetForum forums/arf over gRPC, GET
#                                /v1/forums/arf (HTTP/JSON) and Connect
#                                unary JSON (connect_get_forum)
#   list_forums                  a page of 50 forums over gRPC and GET
#                                /v1/forums?page_size=50
#
# Each round runs every case once, the order within each group reversed in
# every other round so that drift favours no side. Besides each tool's line
# (calls, errors, RPC/s, p50/p90/p99/max µs) it records the CPU the server
# and the client used per call (server: /proc/PID/stat, 10 ms ticks; client:
# bash's `time`). Ends with the medians over the rounds and each HTTP case's
# ratio to its gRPC counterpart.
#
# Usage: bench/http.sh [SECONDS] [THREADS] [ROUNDS] [FORUMS]
#        (defaults 5, 64, 3 and 10000)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-5}
threads=${2:-64}
rounds=${3:-3}
forums=${4:-10000}

source bench/lib.sh
bench_build forum-registry grpc_load http_load
grpc_load=$build/bench/grpc_load
http_load=$build/bench/http_load
bench_database
bench_populate "$forums"
bench_serve 50151 --http-address 127.0.0.1:50161
results=$pgdir/results

# Server CPU in clock ticks (utime + stime).
server_ticks() { awk '{ print $14 + $15 }' "/proc/$server_pid/stat"; }
ticks_per_s=$(getconf CLK_TCK)

# measure SIDE CASE: one run, one line.
measure() {
  local side=$1 case=$2 tool before after line client
  if [[ $side == grpc ]]; then tool=("$grpc_load" 127.0.0.1:50151); else tool=("$http_load" 127.0.0.1:50161); fi
  before=$(server_ticks)
  TIMEFORMAT="%3U %3S"
  { time "${tool[@]}" "$case" "$threads" "$seconds" >"$pgdir/line" 2>"$pgdir/stderr"; } 2>"$pgdir/time" || true
  after=$(server_ticks)
  line=$(cat "$pgdir/line")
  client=$(tail -n 1 "$pgdir/time")
  awk -v side="$side" -v line="$line" -v client="$client" -v ticks=$((after - before)) -v hz="$ticks_per_s" '
    BEGIN {
      n = split(line, f, " "); calls = 0
      for (i = 2; i <= n; i++) { split(f[i], kv, "="); if (kv[1] == "rpcs") calls = kv[2] }
      split(client, c, " ")
      printf "%s %s server_cpu_us=%.0f client_cpu_us=%.0f\n", side, line,
             calls ? ticks / hz * 1e6 / calls : 0, calls ? (c[1] + c[2]) * 1e6 / calls : 0
    }' | tee -a "$results"
  if [[ -s $pgdir/stderr ]]; then sed 's/^/#   stderr: /' "$pgdir/stderr" | head -n 5; fi
}

echo "# $(date -u +%FT%TZ) $(nproc) cores, load average $(cut -d" " -f1-3 /proc/loadavg), $(git rev-parse --short HEAD), ${seconds}s per case, $threads calls outstanding, $rounds rounds, $forums forums"
echo "# side case threads rpcs errors rps p50_us p90_us p99_us max_us [body_bytes] server_cpu_us client_cpu_us (per call)"
groups=("grpc:health http:head_openapi"
  "grpc:get_forum http:get_forum http:connect_get_forum"
  "grpc:list_forums http:list_forums")
for ((round = 0; round < rounds; round++)); do
  for group in "${groups[@]}"; do
    read -ra order <<<"$group"
    if ((round % 2 == 1)); then
      for ((i = 0, j = ${#order[@]} - 1; i < j; i++, j--)); do
        t=${order[i]}; order[i]=${order[j]}; order[j]=$t
      done
    fi
    for entry in "${order[@]}"; do measure "${entry%%:*}" "${entry#*:}"; done
  done
done

# Medians over the rounds; each HTTP case against its gRPC counterpart.
echo "# medians of $rounds rounds"
bench_summary "$results" '
  END {
    base["http:head_openapi"] = "grpc:health"; base["http:get_forum"] = "grpc:get_forum"
    base["http:connect_get_forum"] = "grpc:get_forum"; base["http:list_forums"] = "grpc:list_forums"
    for (k = 1; k <= nkeys; k++) {
      key = keys[k]
      printf "median %s rps=%.0f p50_us=%.0f p99_us=%.0f server_cpu_us=%.0f client_cpu_us=%.0f errors=%d",
             key, median(key, "rps"), median(key, "p50_us"), median(key, "p99_us"),
             median(key, "server_cpu_us"), median(key, "client_cpu_us"), errors[key]
      if (key in base) {
        b = base[key]
        printf " | vs %s: rps %.2fx p50 %.2fx p99 %.2fx server_cpu %.2fx", b,
               median(key, "rps") / median(b, "rps"), median(key, "p50_us") / median(b, "p50_us"),
               median(key, "p99_us") / median(b, "p99_us"),
               median(key, "server_cpu_us") / median(b, "server_cpu_us")
      }
      printf "\n"
    }
  }'
