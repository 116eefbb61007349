#!/usr/bin/env bash
# The API's wire and JSON contract does not break from one commit of main to
# the next: `buf breaking` (the FILE rules of proto/buf.yaml) compares the
# protos of the checkout with those of the previous commit.
#
# First it shows that the check can fail: a copy of today's protos with one
# field renumbered must be reported as breaking.
#
# Usage: tests/proto/check_breaking.sh SOURCE_DIR BUF
# Exit 77 (CTest: skipped) when the clone holds no previous commit.
set -euo pipefail
src=$1
buf=$2
cd "$src"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cp -r proto "$scratch/proto"
# participant_id moves from field 2 to field 20 of CreateParticipantRequest.
sed -i '/^message CreateParticipantRequest {/,/^}/ s/string participant_id = 2/string participant_id = 20/' \
  "$scratch/proto/forumregistry/v1/participant.proto"
if "$buf" breaking "$scratch/proto" --against proto >"$scratch/selfcheck.txt" 2>&1; then
  echo "FAILED: buf breaking did not notice a renumbered field"
  exit 1
fi
grep -q 'CreateParticipantRequest' "$scratch/selfcheck.txt" || {
  echo "FAILED: buf breaking failed for another reason:"
  cat "$scratch/selfcheck.txt"
  exit 1
}
echo "self-check: a renumbered field is reported as breaking"

if ! git rev-parse --verify -q HEAD~1 >/dev/null; then
  echo "SKIPPED: this clone has no previous commit to compare with (shallow?)"
  exit 77
fi
echo "comparing proto/ with $(git rev-parse --short HEAD~1)"
# One change buf counts as breaking is not: an RPC going from
# IDEMPOTENCY_UNKNOWN to NO_SIDE_EFFECTS only lets Connect clients call it by
# GET as well, which the server answers; every client that POSTs goes on.
# The reverse, or any other change of level, stays breaking. Nor is a first
# go_package (from none): it names the Go package of code nobody could
# generate before; changing one that is set stays breaking.
if ! "$buf" breaking proto --against ".git#ref=HEAD~1,subdir=proto" \
  >"$scratch/breaking.txt" 2>&1; then
  if grep -v -e 'changed option "idempotency_level" from "IDEMPOTENCY_UNKNOWN" to "NO_SIDE_EFFECTS"' \
    -e 'File option "go_package" changed from "" to ' \
    "$scratch/breaking.txt" | grep -q .; then
    cat "$scratch/breaking.txt"
    exit 1
  fi
  echo "additive changes (reads declared NO_SIDE_EFFECTS, a first go_package):"
  cat "$scratch/breaking.txt"
fi
echo "no breaking change"
