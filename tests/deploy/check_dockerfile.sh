#!/usr/bin/env bash
# deploy/Dockerfile cannot be built here (no container engine), so it is
# checked statically:
#  - every file or folder it COPYs from the build context exists, and the
#    build stage copies every folder the top CMakeLists.txt adds (else
#    configuring fails inside the image);
#  - the runtime stage installs every shared library the built binary links:
#    the Debian package of each library `ldd` lists must be among the runtime
#    packages or their dependencies (or in the base image: libc, libstdc++);
#  - it runs as a numeric non-root user, with `serve` as the default command.
# Closes with "N passed, M failed".
#
# Usage: check_dockerfile.sh SOURCE_DIR BINARY
set -uo pipefail
source_dir=$1 binary=$2
dockerfile=$source_dir/deploy/Dockerfile
passed=0 failed=0
check() {  # check CONDITION-EXIT-CODE DESCRIPTION
  if [[ $1 -eq 0 ]]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: $2"; fi
}

# COPY sources (not --from=stage copies) exist in the context.
while read -r _ rest; do
  [[ "$rest" == --from=* ]] && continue
  read -ra parts <<<"$rest"
  for src in "${parts[@]:0:${#parts[@]}-1}"; do
    test -e "$source_dir/$src"; check $? "COPY source $src exists"
  done
done < <(grep -E '^COPY ' "$dockerfile")

# Every add_subdirectory of the top CMakeLists.txt is copied in (its first
# path component is enough: `COPY src/ src/` covers src/domain).
copied=$(awk '/^FROM .* AS runtime/ {exit} /^COPY / && !/--from=/ {print $2}' "$dockerfile" | sed 's:/$::')
while read -r dir; do
  top=${dir%%/*}
  grep -qx "$top" <<<"$copied"; check $? "the build stage copies $top/ (add_subdirectory($dir))"
done < <(sed -nE 's/^add_subdirectory\(([^) ]+)\).*/\1/p' "$source_dir/CMakeLists.txt")

# The runtime stage's packages, and everything they pull in.
runtime_packages=$(awk '/^FROM .* AS runtime/ {r=1} r && /apt-get install/ {i=1} r && i {print} r && i && !/\\$/ {exit}' "$dockerfile" |
  tr ' \\' '\n\n' | grep -E '^lib|^ca-certificates' | sort -u)
test -n "$runtime_packages"; check $? "the runtime stage installs packages"
closure=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
            --no-breaks --no-replaces --no-enhances $runtime_packages 2>/dev/null |
          grep -v '^ ' | sed 's/:amd64$//' | sort -u)
base_image="libc6 libstdc++6 libgcc-s1"

while read -r library; do
  # With merged /usr, dpkg may know the library under /lib instead.
  package=$( (dpkg -S "$library" || dpkg -S "${library#/usr}") 2>/dev/null | head -n 1 | cut -d: -f1)
  [[ -z "$package" ]] && { check 1 "$library belongs to a Debian package"; continue; }
  if grep -qx "$package" <<<"$closure" || grep -qw "$package" <<<"$base_image"; then
    check 0 "$library"
  else
    check 1 "$library ($package) is not installed by the runtime stage"
  fi
done < <(ldd "$binary" | awk '/=> \// {print $3}' | xargs -r readlink -f | sort -u)

# The edge runs from the same image: HAProxy and socat installed, its
# supervisor and configuration copied where the supervisor looks.
runtime_stage=$(awk '/^FROM .* AS runtime/ {r=1} r' "$dockerfile")
grep -qE '^\s+haproxy socat' <<<"$runtime_stage"; check $? "the runtime stage installs haproxy and socat"
grep -q 'COPY deploy/edge/forum-registry-edge /usr/local/bin/forum-registry-edge' <<<"$runtime_stage"
check $? "the edge's supervisor is at /usr/local/bin/forum-registry-edge"
grep -q 'COPY deploy/edge/haproxy.cfg deploy/edge/grpc_status.lua /etc/forum-registry/edge/' <<<"$runtime_stage"
check $? "the edge's configuration is in /etc/forum-registry/edge"
grep -q '/etc/forum-registry/edge/haproxy.cfg' "$source_dir/deploy/edge/forum-registry-edge"
check $? "the supervisor looks for its configuration there"

grep -qE '^USER [0-9]+:[0-9]+$' "$dockerfile"; check $? "runs as a numeric user"
! grep -qE '^USER 0(:|$)' "$dockerfile"; check $? "the user is not root"
grep -qE '^CMD \["serve"\]$' "$dockerfile"; check $? "serve is the default command"
grep -qE '^ENTRYPOINT \["/usr/local/bin/forum-registry"\]$' "$dockerfile"; check $? "the binary is the entry point"

echo "$passed passed, $failed failed"
[[ $failed -eq 0 && $passed -gt 0 ]]
