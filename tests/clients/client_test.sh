#!/usr/bin/env bash
# The example clients of clients/, run against the real server on a
# throwaway database loaded with data/, as a user would run them: stubs
# generated from proto/ with Debian's tools into a scratch folder, then the
# client, whose output and exit status are checked.
#
#   python  clients/python: stubs by protoc + grpc_python_plugin
#   go      clients/go: code by protoc-gen-go + protoc-gen-go-grpc into a
#           scratch GOPATH, built in GOPATH mode with Debian's Go packages
#           (no module downloads); $GOCACHE, when set, keeps the compiled
#           gRPC between runs (script/lib/go.sh, which bench/peer.sh uses too)
#   schema  the descriptor set: buf curl --schema calls GetForum and the
#           server's log shows that no reflection request was made
#
# Usage: client_test.sh python|go|schema BINARY SOURCE_DIR BUF DESCRIPTOR_SET
set -euo pipefail
mode=$1 binary=$2 source_dir=$3 buf_bin=$4 descriptor_set=$5
: "${FORUM_REGISTRY_TEST_ADMIN_URL:?run through script/test}"

db=fr_client_${mode}_$$
admin=$FORUM_REGISTRY_TEST_ADMIN_URL
url=${admin/\/\/\/postgres?/\/\/\/$db?}
work=$(mktemp -d)
server_pid=""
cleanup() {
  [[ -n "$server_pid" ]] && kill -TERM "$server_pid" 2>/dev/null && wait "$server_pid" || true
  psql -X -q "$admin" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

passed=0 failed=0
check() {  # check NAME FILE PATTERN...: every extended regex matches FILE
  local name=$1 file=$2 ok=1
  shift 2
  for pattern in "$@"; do grep -Eq -- "$pattern" "$file" || ok=0; done
  if ((ok)); then passed=$((passed + 1)); echo "ok: $name"; else
    failed=$((failed + 1)); printf 'FAILED: %s\n--- output\n%s\n' "$name" "$(cat "$file")"; fi
}
wait_for() {  # wait_for FILE PATTERN: up to 10 s
  for _ in $(seq 100); do grep -Eq -- "$2" "$1" && return 0; sleep 0.1; done
  return 1
}
free_port() {  # the kernel's choice, released just before the server takes it
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# The clients are generated before the server starts: nothing waits on it.
case "$mode" in
  python)
    mkdir "$work/stubs"
    (cd "$source_dir/proto" &&
     protoc -I . -I third_party --python_out="$work/stubs" --grpc_python_out="$work/stubs" \
       --plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin \
       forumregistry/v1/*.proto) &&
    (cd "$source_dir/proto/third_party" &&
     protoc -I . --python_out="$work/stubs" google/api/*.proto)
    client=(env PYTHONPATH="$work/stubs" /usr/bin/python3
            "$source_dir/clients/python/forum_registry_example.py")
    code_of_not_found=NOT_FOUND prefix=python-example ;;
  go)
    source "$source_dir/script/lib/go.sh"
    fr_go_build "$source_dir" "$work" "$work/forum_registry_example" \
      "$source_dir/clients/go/forum_registry_example.go"
    client=("$work/forum_registry_example")
    code_of_not_found=NotFound prefix=go-example ;;
  schema) ;;
  *) echo "unknown mode $mode" >&2; exit 2 ;;
esac

psql -X -q "$admin" -c "CREATE DATABASE $db"
"$binary" migrate --database-url "$url" >/dev/null
"$binary" import --database-url "$url" "$source_dir"/data/*.textproto >/dev/null
port=$(free_port)
"$binary" serve --database-url "$url" --listen-address "127.0.0.1:$port" \
  --metrics-address 127.0.0.1:0 --drain-period 0s --shutdown-timeout 2s --no-auth \
  >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do
  if "$buf_bin" curl --protocol grpc -d '{}' "http://127.0.0.1:$port/grpc.health.v1.Health/Check" 2>/dev/null |
     grep -q SERVING; then break; fi
  sleep 0.1
done

if [[ "$mode" == schema ]]; then
  reflections() { grep -c 'ServerReflection/ServerReflectionInfo' "$work/server.log" || true; }
  get_arf() {  # get_arf OUTPUT BUF_ARGS...
    local out=$1
    shift
    "$buf_bin" curl "$@" --protocol grpc -d '{"name": "forums/arf"}' \
      "http://127.0.0.1:$port/forumregistry.v1.ForumService/GetForum" >"$out" 2>&1 || true
  }
  get_count() { grep -c 'ForumService/GetForum' "$work/server.log" || true; }
  wait_for_calls() {  # the server logs a call as it ends: up to 10 s
    for _ in $(seq 100); do (($(get_count) >= $1)) && return 0; sleep 0.1; done
  }

  # Self-check: a call through reflection shows in the log, so the count
  # below can tell.
  before=$(reflections) calls=$(get_count)
  get_arf "$work/reflected.out"
  wait_for_calls $((calls + 1))
  echo "reflection requests: $before before a call by reflection, $(reflections) after" >"$work/selfcheck.txt"
  if (($(reflections) > before)); then passed=$((passed + 1)); echo "ok: a call by reflection is seen in the log"
  else failed=$((failed + 1)); echo "FAILED: a call by reflection left no trace:"; cat "$work/selfcheck.txt"; fi

  before=$(reflections) calls=$(get_count)
  get_arf "$work/schema.out" --schema "$descriptor_set" --reflect=false
  wait_for_calls $((calls + 1))
  check "buf curl --schema calls GetForum" "$work/schema.out" \
    '"name": "forums/arf"' '"displayName": "ASEAN Regional Forum"'
  if (($(reflections) == before)) && (($(get_count) == calls + 1)); then
    passed=$((passed + 1)); echo "ok: the call asked nothing of reflection"
  else
    failed=$((failed + 1)); echo "FAILED: reflection requests $before -> $(reflections)"
  fi
  # And without the descriptor set nothing is known offline.
  "$buf_bin" curl --reflect=false --protocol grpc -d '{"name": "forums/arf"}' \
    "http://127.0.0.1:$port/forumregistry.v1.ForumService/GetForum" >"$work/none.out" 2>&1 &&
    echo "unexpected success" >>"$work/none.out"
  check "without --schema or reflection the call is refused" "$work/none.out" 'must specify --schema'
else
  # Self-check: the client fails where nothing listens.
  if timeout 30 "${client[@]}" "127.0.0.1:$(free_port)" >"$work/nowhere.out" 2>&1; then
    failed=$((failed + 1)); echo "FAILED: the client succeeded with no server"
  else
    passed=$((passed + 1)); echo "ok: the client fails where no server listens"
  fi

  status=0
  timeout 40 "${client[@]}" "127.0.0.1:$port" >"$work/client.out" 2>&1 || status=$?
  cat "$work/client.out"
  if ((status == 0)); then passed=$((passed + 1)); echo "ok: the client exits 0"
  else failed=$((failed + 1)); echo "FAILED: the client exited $status"; fi
  check "GetForum" "$work/client.out" '^get: forums/arf is .ASEAN Regional Forum. \(FORUM_KIND_MINISTERIAL\)'
  check "ListSessions, filtered, over pages" "$work/client.out" '^list: 14 sessions over 3 pages'
  check "NOT_FOUND with the server's message" "$work/client.out" \
    "^error: $code_of_not_found: forum forums/no-such-forum does not exist\$"
  check "CreateForum retried with its request_id" "$work/client.out" \
    "^create: forums/$prefix-" "^create again: forums/$prefix-"
  check "the watch resumed after the create sees both updates" "$work/client.out" \
    '^resumed: revision [0-9]+ CHANGE_OPERATION_UPDATE' \
    '^history: CHANGE_OPERATION_CREATE CHANGE_OPERATION_UPDATE CHANGE_OPERATION_UPDATE$'
  check "the client says ok" "$work/client.out" '^ok$'

  # What the server recorded, read apart from the client: one new forum,
  # created once (the seed's changes have no request_id).
  "$buf_bin" curl --protocol grpc -d '{"filter": "collection = \"forums\"", "pageSize": 1000}' \
    "http://127.0.0.1:$port/forumregistry.v1.ChangeService/ListChanges" |
    jq -r '.changes[] | select(.requestId != null) | "\(.operation) \(.resource)"' \
      >"$work/changes.txt"
  sort "$work/changes.txt" | uniq -c >"$work/changes.count"
  if [[ $(grep -c CREATE "$work/changes.txt") -eq 1 &&
        $(grep -c UPDATE "$work/changes.txt") -eq 2 ]] &&
     grep -Eq "^ +1 CHANGE_OPERATION_CREATE forums/$prefix-" "$work/changes.count"; then
    passed=$((passed + 1)); echo "ok: the server recorded one create and two updates"
  else
    failed=$((failed + 1)); printf 'FAILED: the changes the clients made:\n%s\n' "$(cat "$work/changes.txt")"
  fi
fi

echo "$passed passed, $failed failed"
[[ $failed -eq 0 && $passed -gt 0 ]]
