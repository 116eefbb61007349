# Shared by script/server and script/test: a private PostgreSQL cluster.
#
# The cluster listens only on a Unix socket in a directory of its own, so it
# can never clash with a system cluster or another checkout. initdb refuses to
# run as root, so as root the cluster is owned and run by the `postgres` user.

PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}

# Runs a command as the cluster's owner.
pg_as_owner() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# pg_start DATADIR SOCKETDIR: initialises DATADIR if it is new, then starts.
pg_start() {
  local data=$1 socket=$2
  mkdir -p "$data" "$socket"
  if [[ $(id -u) -eq 0 ]]; then
    chown postgres:postgres "$data" "$socket"
    chmod 700 "$data"
    if ! runuser -u postgres -- test -w "$data"; then
      echo "postgres: the postgres user cannot reach $data (a parent folder is closed to it)" >&2
      return 1
    fi
  fi
  if [[ ! -f "$data/PG_VERSION" ]]; then
    pg_as_owner "$PG_BIN/initdb" -D "$data" -U postgres --auth=trust \
      --encoding=UTF8 --locale=C.UTF-8 >"$data.initdb.log" 2>&1 || {
        cat "$data.initdb.log" >&2; return 1; }
  fi
  pg_as_owner "$PG_BIN/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 \
    -o "-c listen_addresses='' -c unix_socket_directories='$socket' -c fsync=${PG_FSYNC:-on} -c max_connections=200" \
    start >/dev/null || { tail -n 20 "$data/server.log" >&2; return 1; }
}

# pg_stop DATADIR
pg_stop() {
  local data=$1
  if [[ -f "$data/postmaster.pid" ]]; then
    pg_as_owner "$PG_BIN/pg_ctl" -D "$data" -m fast -w stop >/dev/null || true
  fi
}

# pg_url SOCKETDIR DATABASE
pg_url() {
  echo "postgresql:///$2?host=$1&user=postgres"
}
