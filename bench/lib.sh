# Shared by bench/run.sh and bench/watch.sh: a Release build, a throwaway
# PostgreSQL holding data/, and the server on it; everything stops and is
# removed when the script exits.
#
#   source bench/lib.sh
#   bench_build forum-registry grpc_load   # sets $bin (and $build)
#   bench_database                         # sets $url
#   bench_serve 50151 [FLAGS...]           # sets $server_pid
set -euo pipefail

bench_build() {
  script/bootstrap
  source script/lib/build.sh
  source script/lib/postgres.sh
  build=$(pwd)/build/release-bench
  fr_build "$build" Release "$@"
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

bench_serve() {
  local port=$1
  shift
  "$bin" serve --database-url "$url" --listen-address "127.0.0.1:$port" \
    --metrics-address "" --log-level error "$@" >"$pgdir/server.log" 2>&1 &
  server_pid=$!
  sleep 1
}

bench_cleanup() {
  [[ -n "$server_pid" ]] && kill -TERM "$server_pid" 2>/dev/null && wait "$server_pid" || true
  pg_stop "$pgdir/data"
  rm -rf "$pgdir"
}
