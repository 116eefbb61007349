#!/usr/bin/env bash
# The README's tour, run as written: every command of the "A tour of the real
# data" block against a server loaded with data/, its output compared with the
# "# ..." lines the README shows under it.
#
# Usage: readme_tour_test.sh BINARY SOURCE_DIR BUF
set -euo pipefail
binary=$1 source_dir=$2 buf_bin=$3
: "${FORUM_REGISTRY_TEST_ADMIN_URL:?run through script/test}"

db=fr_tour_$$
admin=$FORUM_REGISTRY_TEST_ADMIN_URL
url=${admin/\/\/\/postgres?/\/\/\/$db?}
psql -X -q "$admin" -c "CREATE DATABASE $db"
work=$(mktemp -d)
server_pid=""
cleanup() {
  [[ -n "$server_pid" ]] && kill -TERM "$server_pid" 2>/dev/null && wait "$server_pid" || true
  psql -X -q "$admin" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" || true
  rm -rf "$work"
}
trap cleanup EXIT

"$binary" migrate --database-url "$url" >/dev/null
"$binary" import --database-url "$url" "$source_dir"/data/*.textproto >/dev/null

# A free port: the kernel's choice, released just before the server takes it.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null ||
       echo $((20000 + RANDOM % 20000)))
http_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null ||
       echo $((20000 + RANDOM % 20000)))
"$binary" serve --database-url "$url" --listen-address "127.0.0.1:$port" \
  --http-address "127.0.0.1:$http_port" \
  --metrics-address 127.0.0.1:0 --drain-period 0s --shutdown-timeout 2s --no-auth >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do
  if "$buf_bin" curl --protocol grpc -d '{}' "http://127.0.0.1:$port/grpc.health.v1.Health/Check" 2>/dev/null |
     grep -q SERVING; then break; fi
  sleep 0.1
done

# Cut the tour's sh block into (command, expected output) pairs.
awk '/^## A tour of the real data/ {in_section=1}
     in_section && /^```sh/ {in_block=1; next}
     in_block && /^```/ {exit}
     in_block {print}' "$source_dir/README.md" >"$work/tour.sh"
[[ -s "$work/tour.sh" ]] || { echo "no tour found in README.md"; exit 1; }

buf="$buf_bin curl --protocol grpc"
api=http://127.0.0.1:$port/forumregistry.v1
export buf api

passed=0 failed=0
command="" expected="" state=setup
run_case() {
  [[ -z "$command" ]] && return
  actual=$(bash -c "buf=\"$buf\"; api=\"$api\"; $command" 2>&1 || true)
  if [[ "$actual" == "$expected" ]]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    printf 'FAILED: %s\n--- expected\n%s\n--- actual\n%s\n' "$command" "$expected" "$actual"
  fi
  command="" expected=""
}
while IFS= read -r line; do
  case "$line" in
    buf=*|api=*) ;;                      # set up above, for this port
    "") run_case; state=between ;;
    "# "*)
      if [[ "$state" == command || "$state" == output ]]; then
        expected+="${expected:+$'\n'}${line#\# }"
        state=output
      fi ;;                               # else: a question before a command
    *)
      [[ "$state" == output ]] && run_case
      command+="${command:+$'\n'}$line"
      state=command ;;
  esac
done <"$work/tour.sh"
run_case

# "Follow every change": its four sh blocks in order (watch, create, update,
# resume), run as written but for the port, with the outputs the prose
# promises. The watches stream until stopped, so they run in the background.
awk '/^## Follow every change/ {in_section=1; next}
     in_section && /^## / {exit}
     in_section && /^```sh/ {in_block=1; n++; next}
     in_block && /^```/ {in_block=0; next}
     in_block {print > (dir "/watch" n ".sh")}' dir="$work" "$source_dir/README.md"
for n in 1 2 3 4; do
  [[ -s "$work/watch$n.sh" ]] || { echo "FAILED: no block $n under 'Follow every change'"; exit 1; }
  sed -i "s#http://127.0.0.1:50051#http://127.0.0.1:$port#; s#tools/node_modules/.bin/buf#$buf_bin#" \
    "$work/watch$n.sh"
done
check() {  # check NAME FILE PATTERN...: every extended regex matches FILE
  local name=$1 file=$2 ok=1
  shift 2
  for pattern in "$@"; do grep -Eq -- "$pattern" "$file" || ok=0; done
  if ((ok)); then passed=$((passed + 1)); else
    failed=$((failed + 1)); printf 'FAILED: %s\n--- output\n%s\n' "$name" "$(cat "$file")"; fi
}
wait_for() {  # wait_for FILE PATTERN: up to 10 s
  for _ in $(seq 100); do grep -Eq -- "$2" "$1" && return 0; sleep 0.1; done
  return 1
}
# Blocks 3 and 4 run in the terminals where blocks 2 and 1 set $buf.
export buf=$buf_bin
bash "$work/watch1.sh" >"$work/watch1.out" 2>&1 &
watch_pid=$!
wait_for "$work/watch1.out" '"revision"' || true
check "the watch starts with a bookmark of revision 69" "$work/watch1.out" '"revision": "69"'
bash "$work/watch2.sh" >"$work/watch2.out" 2>&1 || true
wait_for "$work/watch1.out" 'forums/watch-demo' || true
kill "$watch_pid" 2>/dev/null; wait "$watch_pid" 2>/dev/null || true
check "the watch prints the created forum at revision 70" "$work/watch1.out" \
  '"revision": "70"' '"resource": "forums/watch-demo"' 'CHANGE_OPERATION_CREATE' '"displayName": "Watch demo"'
bash "$work/watch3.sh" >"$work/watch3.out" 2>&1 || true
check "the update is accepted" "$work/watch3.out" '"description": "Changed while nobody watched."'
timeout 3 bash "$work/watch4.sh" >"$work/watch4.out" 2>&1 || true
check "the resumed watch gets the update at revision 71" "$work/watch4.out" \
  '"revision": "71"' 'CHANGE_OPERATION_UPDATE' 'Changed while nobody watched.'
if grep -q '"revision": "70"' "$work/watch4.out"; then
  failed=$((failed + 1)); echo "FAILED: the resumed watch repeated revision 70"
fi

# "Over HTTP": its sh block run as the tour is (after "Follow every change",
# whose writes its revisions count on), against the HTTP door.
awk '/^## Over HTTP/ {in_section=1}
     in_section && /^```sh/ {in_block=1; next}
     in_block && /^```/ {exit}
     in_block {print}' "$source_dir/README.md" >"$work/http.sh"
[[ -s "$work/http.sh" ]] || { echo "FAILED: no sh block under 'Over HTTP'"; exit 1; }
sed -i "s#tools/node_modules/.bin/buf#$buf_bin#; s#--schema proto#--schema $source_dir/proto#" "$work/http.sh"
http=http://127.0.0.1:$http_port
command="" expected="" state=setup
run_http_case() {
  [[ -z "$command" ]] && return
  actual=$(bash -c "http=\"$http\"; $command" 2>&1 || true)
  if [[ "$actual" == "$expected" ]]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    printf 'FAILED: %s\n--- expected\n%s\n--- actual\n%s\n' "$command" "$expected" "$actual"
  fi
  command="" expected=""
}
http_cases=0
while IFS= read -r line; do
  case "$line" in
    http=*) ;;                           # set up above, for this port
    "") run_http_case; state=between ;;
    "# "*)
      if [[ "$state" == command || "$state" == output ]]; then
        expected+="${expected:+$'\n'}${line#\# }"
        state=output
      else
        run_http_case                    # a comment before the next command
      fi ;;
    *)
      if [[ "$state" == output ]]; then run_http_case; fi
      [[ -z "$command" ]] && http_cases=$((http_cases + 1))
      command+="${command:+$'\n'}$line"
      state=command ;;
  esac
done <"$work/http.sh"
run_http_case
((http_cases >= 8)) || { failed=$((failed + 1)); echo "FAILED: only $http_cases commands under 'Over HTTP'"; }

echo "$passed passed, $failed failed"
[[ $failed -eq 0 && $passed -gt 0 ]]
