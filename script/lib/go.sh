# Shared by tests/clients/client_test.sh and bench/peer.sh: a Go program that
# uses proto/'s generated code, built in GOPATH mode (GO111MODULE=off) from
# Debian's Go packages, which script/bootstrap installs. Nothing is
# downloaded.
#
#   fr_go_build SOURCE_DIR WORK OUTPUT PACKAGE...
#
# generates proto/'s Go code with protoc-gen-go and protoc-gen-go-grpc into
# the scratch GOPATH WORK/gopath, then builds PACKAGE (.go files or a folder)
# into OUTPUT. $GOCACHE, when set, keeps the compiled gRPC between runs
# (WORK/gocache otherwise).
fr_go_build() {
  local source_dir=$1 work=$2 output=$3
  shift 3
  local gopath=$work/gopath
  mkdir -p "$gopath/src"
  # google/api's Go package (genproto's annotations) is generated too: the
  # Debian package's is from 2020 and lacks field_info.proto. The scratch
  # GOPATH comes first, so its copy is the one imported.
  (cd "$source_dir/proto" &&
   protoc -I . -I third_party --go_out="$gopath/src" --go-grpc_out="$gopath/src" \
     forumregistry/v1/*.proto) &&
  (cd "$source_dir/proto/third_party" &&
   protoc -I . --go_out="$gopath/src" google/api/*.proto) &&
  GO111MODULE=off GOPATH="$gopath:/usr/share/gocode" GOFLAGS="" GOPROXY=off \
    GOCACHE="${GOCACHE:-$work/gocache}" \
    go build -o "$output" "$@"
}
