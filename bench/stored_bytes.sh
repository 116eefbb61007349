#!/usr/bin/env bash
# What answering records from their stored bytes (migrations/0016,
# decisions §69) saves: the same server binary on the same rows, with the
# bytes stored (a List splices them, a Get decodes them) and with them
# cleared (every record decoded from its JSON, as before issue 29), in
# alternating order (ABBA) so that a machine speeding up or slowing down
# favours neither. The bytes are cleared without triggers (as a superuser,
# session_replication_role = replica) and filled again by `migrate`.
#
# Usage: bench/stored_bytes.sh [ROUNDS] [SECONDS] [FORUMS] [THREADS] [CASES]
#   defaults 3, 5, 10000, 64, "list_forums list_sessions"
# FR_SERVE_FLAGS: more flags for the server, e.g. --record-cache-size=0 to
# measure reads that no cache serves.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
seconds=${2:-5}
forums=${3:-10000}
threads=${4:-64}
cases=${5:-list_forums list_sessions}

source bench/lib.sh
bench_build forum-registry grpc_load
load=$build/bench/grpc_load
bench_database
bench_populate "$forums"

tables="participants forums sources memberships sessions chairmanships action_plans statements"
clear_bytes() {
  local sql="SET session_replication_role = replica;"
  for t in $tables; do sql+="UPDATE $t SET body_pb = NULL;"; done
  bench_psql -c "$sql" >/dev/null
}
fill_bytes() {
  "$bin" migrate --database-url "$url" >/dev/null
}
serve() {
  bench_serve 50161 ${FR_SERVE_FLAGS:-}
  for _ in $(seq 50); do
    "$load" 127.0.0.1:50161 health 1 1 >/dev/null 2>&1 && break
    sleep 0.2
  done
}
stop() {
  kill -TERM "$server_pid" && wait "$server_pid" || true
  server_pid=""
}

echo "# $(date -u +%FT%TZ) $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), ${seconds}s a case, $threads threads, $rounds rounds"
results=$pgdir/results
: >"$results"
measure() {  # SIDE
  serve
  for case in health $cases; do
    echo "$1 $("$load" 127.0.0.1:50161 "$case" "$threads" "$seconds")" >>"$results"
  done
  stop
}
for ((r = 0; r < rounds; r++)); do
  if ((r % 2 == 0)); then
    measure bytes; clear_bytes; measure json; fill_bytes
  else
    clear_bytes; measure json; fill_bytes; measure bytes
  fi
done
/usr/bin/python3 - "$results" <<'PY'
import re, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    side, case = line.split()[:2]
    f = dict(re.findall(r"(\w+)=([\d.]+)", line))
    rows.setdefault((case, side), []).append(f)
def med(case, side, key):
    return statistics.median(float(f[key]) for f in rows[(case, side)])
print("| case | bytes RPC/s | JSON RPC/s | bytes / JSON | bytes p50 / p99 ms | JSON p50 / p99 ms | bytes / own Health RPS |")
print("|---|---|---|---|---|---|---|")
cases = []
for case, _ in rows:
    if case not in cases: cases.append(case)
for case in cases:
    b, j = med(case, "bytes", "rps"), med(case, "json", "rps")
    h = med("health", "bytes", "rps")
    print(f"| {case} | {b:,.0f} | {j:,.0f} | {b / j:.2f} | "
          f"{med(case, 'bytes', 'p50_us') / 1000:.1f} / {med(case, 'bytes', 'p99_us') / 1000:.1f} | "
          f"{med(case, 'json', 'p50_us') / 1000:.1f} / {med(case, 'json', 'p99_us') / 1000:.1f} | {b / h:.2f} |")
PY
