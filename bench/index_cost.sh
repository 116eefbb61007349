#!/usr/bin/env bash
# What keeping the search index costs a write (issue 14): UpdateForum and
# CreateParticipant on one server and database, with the search triggers of
# every record table enabled and disabled in turn (ALTER TABLE ... ENABLE /
# DISABLE TRIGGER), so that the same binary, the same data and drift hit
# both alike. With them, each write also rewrites its record's row of
# search_documents (its words, names, trigrams) in the same transaction.
#
# Usage: bench/index_cost.sh [SECONDS] [ROUNDS] [THREADS]   (defaults 5, 3, 2)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-5}
rounds=${2:-3}
threads=${3:-2}

source bench/lib.sh
bench_build forum-registry grpc_load
load=$build/bench/grpc_load
bench_database
bench_serve 50151
port=50151

triggers() {  # enable | disable
  bench_psql -q postgres -c "DO \$\$ DECLARE t record; BEGIN
    FOR t IN SELECT DISTINCT c.relname FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid
             WHERE tg.tgname LIKE 'search_index_%' LOOP
      EXECUTE format('ALTER TABLE %I $1 TRIGGER search_index_insert', t.relname);
      EXECUTE format('ALTER TABLE %I $1 TRIGGER search_index_update', t.relname);
    END LOOP; END \$\$"
}

echo "# $(date -u +%FT%TZ) $(nproc) cores, ${seconds}s per case, $threads client threads, $rounds rounds"
for ((i = 0; i < rounds; i++)); do
  for mode in enable disable disable enable; do
    triggers "$mode"
    for case in update_forum create_participant; do
      "$load" "127.0.0.1:$port" "$case" "$threads" "$seconds" | sed "s/^/$mode /" || true
    done
  done
done | tee "$pgdir/rounds.txt"
awk '{ key = $1 " " $2
       for (i = 3; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
       n[key]++; rps[key] += f["rps"]; p99[key] += f["p99_us"] }
     END {
       for (k in n) printf "mean %s rps=%.0f p99_us=%.0f (n=%d)\n", k, rps[k] / n[k], p99[k] / n[k], n[k]
       split("update_forum create_participant", cases, " ")
       for (c in cases) {
         e = "enable " cases[c]; d = "disable " cases[c]
         printf "ratio %s with/without the index: rps %.2fx, p99 %.2fx\n", cases[c],
                rps[e] / rps[d], (p99[e] / n[e]) / (p99[d] / n[d])
       }
     }' "$pgdir/rounds.txt" | sort
