#!/usr/bin/env bash
# The flag tables of docs/operations.md against the flags' own table
# (src/server/serve_flags.cc), rendered by `forum-registry serve
# --help-markdown`.
#
#   tests/docs/flags_table.sh check BINARY SOURCE_DIR   fails on a difference
#   tests/docs/flags_table.sh write BINARY SOURCE_DIR   rewrites the docs
#
# script/docs-flags runs `write` with the binary of build/test.
set -euo pipefail
mode=$1 binary=$2 source_dir=$3
doc=$source_dir/docs/operations.md
begin='<!-- BEGIN serve flags: written by script/docs-flags; edit src/server/serve_flags.cc -->'
end='<!-- END serve flags -->'

generated=$(mktemp)
current=$(mktemp)
trap 'rm -f "$generated" "$current"' EXIT
"$binary" serve --help-markdown >"$generated"
if ! grep -qxF "$begin" "$doc" || ! grep -qxF "$end" "$doc"; then
  echo "$doc: the markers of the serve flags' tables are missing:" >&2
  echo "  $begin" >&2
  echo "  $end" >&2
  exit 1
fi
# What lies between the markers, without them.
awk -v b="$begin" -v e="$end" '
  $0 == e { inside = 0 }
  inside { print }
  $0 == b { inside = 1 }' "$doc" >"$current"

case $mode in
  check)
    if ! diff -u --label docs/operations.md --label "forum-registry serve --help-markdown" \
        "$current" "$generated"; then
      echo >&2
      echo "docs/operations.md and the serve flags differ: run script/docs-flags" >&2
      echo "(the flags' table, src/server/serve_flags.cc, is the source)." >&2
      exit 1
    fi
    echo "docs/operations.md lists every serve flag as the binary does"
    ;;
  write)
    awk -v b="$begin" -v e="$end" -v gen="$generated" '
      $0 == b { print; while ((getline line < gen) > 0) print line; skip = 1; next }
      $0 == e { skip = 0 }
      !skip { print }' "$doc" >"$doc.new"
    mv "$doc.new" "$doc"
    echo "wrote the serve flags into $doc"
    ;;
  *)
    echo "usage: $0 check|write BINARY SOURCE_DIR" >&2
    exit 2
    ;;
esac
