# Shared by script/server and script/test: configure and build into $1
# (with CMAKE_BUILD_TYPE $2), all targets or those named after it.
fr_build() {
  local dir=$1 type=$2
  shift 2
  local targets=()
  if (($#)); then targets=(--target "$@"); fi
  if [[ ! -f "$dir/build.ninja" ]]; then
    cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE="$type" >/dev/null
  fi
  # Two jobs: the machines this runs on have two cores and gRPC headers are
  # heavy; more jobs only swap.
  cmake --build "$dir" -j "${FR_BUILD_JOBS:-2}" "${targets[@]}"
}
