#!/usr/bin/env bash
# The vendored Popolo schemas (third_party/popolo) are the files their README
# names: every sum it lists matches, and every schema has a sum.
set -euo pipefail
dir=${1:?usage: popolo_schemas.sh THIRD_PARTY_POPOLO_DIR}
sums=$(sed -n '/^```$/,/^```$/p' "$dir/README.md" | grep '\.json$')
listed=$(wc -l <<<"$sums")
present=$(find "$dir/schemas" -name '*.json' | wc -l)
if ((listed != present)); then
  echo "third_party/popolo: README lists $listed schemas, schemas/ holds $present" >&2
  exit 1
fi
(cd "$dir/schemas" && sha256sum --check --quiet <<<"$sums")
