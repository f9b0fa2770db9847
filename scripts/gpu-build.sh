# gpu-build.sh - sourced by the scripts/gpu-*.sh that run on a GPU machine:
# sets ROOT, OUT (default $ROOT/$1), B (the build folder, $BUILD or
# /tmp/odeon-gpu-build), puts the cmocka of .gpu-deps/ (the Debian package
# unpacked with dpkg -x, carried beside the sources) on the library path,
# prints the GPUs and defines gpu_build TARGET... (a Release build of those
# targets, or of everything when none is named; its log in $OUT/build.log;
# on failure the log's tail and exit 1).
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${OUT:-$ROOT/${1:-gpu-out}}"
B=${BUILD:-/tmp/odeon-gpu-build}
GPU_DEPS="$ROOT/.gpu-deps"
GPU_DEPS_LIB="$GPU_DEPS/usr/lib/x86_64-linux-gnu"
export LD_LIBRARY_PATH="$GPU_DEPS_LIB${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
mkdir -p "$OUT"
nvidia-smi --query-gpu=index,name,driver_version --format=csv,noheader

gpu_build() {
  local targets=()
  for t in "$@"; do targets+=(--target "$t"); done
  cmake -S "$ROOT" -B "$B" -DCMAKE_BUILD_TYPE=Release -DODEON_WERROR=OFF \
    -DCMOCKA_INCLUDE_DIR="$GPU_DEPS/usr/include" \
    -DCMOCKA_LIBRARY="$(ls "$GPU_DEPS_LIB"/libcmocka.so.*.* | head -1)" \
    >"$OUT/build.log" 2>&1 &&
    cmake --build "$B" -j "$(nproc)" "${targets[@]}" >>"$OUT/build.log" 2>&1 ||
    { tail -30 "$OUT/build.log"; exit 1; }
}
