# Shared by bench/run.sh and bench/watch.sh: a Release build, a throwaway
# PostgreSQL holding data/, and the server on it; everything stops and is
# removed when the script exits.
#
#   source bench/lib.sh
#   bench_build forum-registry grpc_load   # sets $bin (and $build)
#   bench_database                         # sets $url
#   bench_populate FORUMS [DATABASE]       # bench/dataset.sql, that many forums
#                                          # (stored bytes filled by migrate)
#   bench_serve 50151 [FLAGS...]           # sets $server_pid
set -euo pipefail

# FR_BENCH_BUILD names another build folder and type ("build/test
# RelWithDebInfo": script/test's), to measure without a Release build of
# its own; say so beside the results. The folder may be absolute, another
# checkout's (that checkout's sources are built there).
bench_build() {
  script/bootstrap
  source script/lib/build.sh
  source script/lib/postgres.sh
  local spec=${FR_BENCH_BUILD:-build/release-bench Release}
  build=${spec%% *}
  if [[ $build != /* ]]; then build=$(pwd)/$build; fi
  fr_build "$build" "${spec#* }" "$@"
  bin=$build/src/tools/forum-registry
}

bench_database() {
  pgdir=$(mktemp -d /tmp/forum-registry-bench.XXXXXX)
  chmod 755 "$pgdir"
  server_pid=""
  trap bench_cleanup EXIT
  pg_start "$pgdir/data" "$pgdir/socket"
  url=$(pg_url "$pgdir/socket" postgres)
  "$bin" migrate --database-url "$url" >/dev/null
  "$bin" import --database-url "$url" data/*.textproto >/dev/null
}

# The synthetic registry of bench/dataset.sql with FORUMS forums (120000:
# about 1,000,000 records), in transactions of 10,000 records of a kind,
# every parent first, into DATABASE (postgres).
bench_psql() {
  pg_as_owner "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$pgdir/socket" -U postgres "$@"
}

bench_populate() {
  local forums=$1 database=${2:-postgres} start lo
  start=$(date +%s)
  {
    cat bench/dataset.sql
    for ((lo = 1; lo <= forums; lo += 10000)); do
      echo "SELECT pg_temp.populate_parents($forums, $lo, $((lo + 9999)));"
    done
    for ((lo = 1; lo <= 4 * forums; lo += 10000)); do
      echo "SELECT pg_temp.populate_children($forums, $lo, $((lo + 9999)));"
    done
    echo "ANALYZE;"
  } | bench_psql "$database" >/dev/null
  echo "# loaded bench/dataset.sql with $forums forums: $(bench_records "$database") records in $(($(date +%s) - start)) s"
  # SQL writes no stored bytes (migrations/0016): migrate encodes them, as
  # after an upgrade, so reads measure the path the server's own writes get.
  start=$(date +%s)
  "$bin" migrate --database-url "$(pg_url "$pgdir/socket" "$database")" |
    sed -n 's/.*"stored_bytes_filled":\([0-9]*\).*/# stored bytes filled: \1 records/p'
  echo "#   in $(($(date +%s) - start)) s"
}

bench_records() {
  bench_psql -At "${1:-postgres}" -c \
    "SELECT (SELECT count(*) FROM participants) + (SELECT count(*) FROM forums) + (SELECT count(*) FROM sessions) + (SELECT count(*) FROM memberships) + (SELECT count(*) FROM chairmanships) + (SELECT count(*) FROM sources) + (SELECT count(*) FROM action_plans) + (SELECT count(*) FROM statements)"
}

bench_serve() {
  local port=$1
  shift
  "$bin" serve --database-url "$url" --listen-address "127.0.0.1:$port" \
    --metrics-address "" --log-level error --no-auth "$@" >"$pgdir/server.log" 2>&1 &
  server_pid=$!
  sleep 1
}

bench_cleanup() {
  [[ -n "$server_pid" ]] && kill -TERM "$server_pid" 2>/dev/null && wait "$server_pid" || true
  pg_stop "$pgdir/data"
  rm -rf "$pgdir"
}

# bench_summary FILE AWK: the medians over rounds of FILE's lines
# "SIDE CASE key=value ..." (a load tool's line with the side before it).
# AWK is awk code, an END block that prints them and any functions it needs,
# given
#   keys[1..nkeys]       each "SIDE:CASE", in the order first seen
#   median(KEY, FIELD)   the median of FIELD over KEY's lines
#   errors[KEY]          KEY's errors, summed
bench_summary() {
  awk '
    function median(key, field,   n, i, j, v, t) {
      n = split(vals[key, field], v, " ")
      for (i = 2; i <= n; i++) for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
      return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
    }
    {
      key = $1 ":" $2; if (!(key in seen)) { seen[key] = 1; keys[++nkeys] = key }
      for (i = 3; i <= NF; i++) {
        split($i, kv, "="); vals[key, kv[1]] = vals[key, kv[1]] " " kv[2]
        if (kv[1] == "errors") errors[key] += kv[2]
      }
    }
  '"$2" "$1"
}
