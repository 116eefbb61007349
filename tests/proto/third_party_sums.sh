#!/usr/bin/env bash
# The vendored protos (proto/third_party) are the files their README names,
# unchanged: every SHA-256 it lists matches, and every .proto has a sum.
set -euo pipefail
dir=${1:?usage: third_party_sums.sh PROTO_THIRD_PARTY_DIR}
sums=$(sed -n '/^```$/,/^```$/p' "$dir/README.md" | grep '\.proto$')
listed=$(wc -l <<<"$sums")
present=$(cd "$dir" && find . -name '*.proto' | wc -l)
if ((listed != present)); then
  echo "proto/third_party: README lists $listed protos, the folder holds $present" >&2
  exit 1
fi
(cd "$dir" && sha256sum --check --quiet <<<"$sums")
