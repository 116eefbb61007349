#!/usr/bin/env bash
# The open-data exports at scale (issue 28): Popolo JSON, CSV (a directory
# and a zip) and the calendar of bench/dataset.sql (120000 forums: about
# 1,000,000 records), each timed with its peak RSS (/usr/bin/time), and the
# Popolo export again as of a revision (from the change log). Baselines in
# the same run: PostgreSQL's own COPY of every record's JSON body to
# /dev/null (what reading costs at all), and the Dataset export, which holds
# the whole registry in memory (so memory that grows with the registry
# shows as such).
#
# Usage: bench/export.sh [FORUMS]   (default 120000)
set -euo pipefail
cd "$(dirname "$0")/.."
forums=${1:-120000}

source bench/lib.sh
bench_build forum-registry
bench_database
bench_populate "$forums"
records=$(bench_records)
revision=$(bench_psql -tAc "SELECT max(sequence) FROM changes")
out=$pgdir/out
mkdir -p "$out"

measure() {  # NAME COMMAND...: "name seconds peak_rss_kib bytes"
  local name=$1
  shift
  /usr/bin/time -f '%e %M' -o "$pgdir/time" "$@" >/dev/null 2>"$pgdir/stderr" ||
    { cat "$pgdir/stderr"; return 1; }
  read -r seconds rss <"$pgdir/time"
  local bytes
  bytes=$(du -sb "$out" | cut -f1)
  printf '%-22s %8.1f s %9d KiB RSS %12d bytes\n' "$name" "$seconds" "$rss" "$bytes"
  rm -rf "${out:?}"/*
}

echo "# $(date -u +%FT%TZ) $(nproc) cores; $records records, revision $revision"
measure "copy (baseline)" "$PG_BIN/psql" -X -q -h "$pgdir/socket" -U postgres -c "COPY (SELECT body FROM participants UNION ALL SELECT body FROM forums UNION ALL SELECT body FROM sources UNION ALL SELECT body FROM memberships UNION ALL SELECT body FROM sessions UNION ALL SELECT body FROM chairmanships UNION ALL SELECT body FROM action_plans UNION ALL SELECT body FROM statements) TO STDOUT"
measure "dataset json" "$bin" export --database-url "$url" --format json --output "$out/dataset.json"
measure "popolo" "$bin" export --database-url "$url" --format popolo --progress never --output "$out/popolo.json"
measure "csv (directory)" "$bin" export --database-url "$url" --format csv --progress never --output "$out/csv"
measure "csv (zip)" "$bin" export --database-url "$url" --format csv --progress never --output "$out/csv.zip"
measure "ics" "$bin" export --database-url "$url" --format ics --progress never --output "$out/sessions.ics"
measure "popolo at revision" "$bin" export --database-url "$url" --format popolo --progress never --revision "$revision" --output "$out/popolo.json"

# Over HTTP: the server's resident memory while it streams the Popolo file
# and the CSV zip to curl, sampled every 0.1 s, against its memory before.
http_port=18481
bench_serve 50181 --http-address "127.0.0.1:$http_port"
rss() { awk '/^VmRSS/ {print $2}' "/proc/$server_pid/status"; }
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$http_port/v1/forums/arf" >/dev/null && break
  sleep 0.1
done
for path in exports/popolo.json exports/csv.zip forums/-/sessions.ics; do
  before=$(rss)
  peak=$before
  start=$(date +%s.%N)
  curl -sf -o "$out/http" "http://127.0.0.1:$http_port/v1/$path" &
  curl_pid=$!
  while kill -0 "$curl_pid" 2>/dev/null; do
    now=$(rss)
    ((now > peak)) && peak=$now
    sleep 0.1
  done
  wait "$curl_pid"
  printf '%-22s %8.1f s server RSS %d KiB before, %d KiB peak %12d bytes\n' "http $path" \
    "$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN {print b - a}')" "$before" "$peak" "$(stat -c %s "$out/http")"
done
