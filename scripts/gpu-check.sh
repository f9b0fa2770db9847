#!/usr/bin/env bash
# gpu-check.sh - on a machine with an NVIDIA GPU (bare: cmake, gcc, the CUDA
# toolkit; no cmocka, maybe no pkg-config, no internet): build odeon, run the
# NVRTC and GPU tests, a CLI smoke run with a Chrome trace, and the GPU
# benchmarks; logs go to $OUT (default ./gpu-check-out); a short table last.
#
# cmocka comes from .gpu-deps/ (the Debian package unpacked with dpkg -x,
# carried next to the sources; git-ignored). Every step runs even when an
# earlier one failed; each prints one PASS/FAIL line.
#
# usage: scripts/gpu-check.sh [--quick] [--all] [--no-bench]
#   --quick     benchmarks at small sizes (a smoke run of every path)
#   --all       also run the whole CPU test suite (ctest -LE gpu)
#   --no-bench  skip the benchmarks
#   --no-nvrtc  skip the NVRTC tests (CI runs them without a GPU)
# Environment: OUT (log folder), BUILD (build folder, default build-gpu),
# JOBS (parallel build jobs, default nproc).
set -u

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${OUT:-$ROOT/gpu-check-out}"
BUILD="${BUILD:-$ROOT/build-gpu}"
JOBS="${JOBS:-$(nproc 2>/dev/null || echo 4)}"
QUICK=""
ALL=0
BENCH=1
NVRTC=1
for a in "$@"; do
  case "$a" in
  --quick) QUICK="--quick" ;;
  --all) ALL=1 ;;
  --no-bench) BENCH=0 ;;
  --no-nvrtc) NVRTC=0 ;;
  *)
    echo "usage: $0 [--quick] [--all] [--no-bench] [--no-nvrtc]" >&2
    exit 2
    ;;
  esac
done
mkdir -p "$OUT"

RESULTS=()
FAILED=0
# step NAME SECONDS_LIMIT COMMAND...: run with a time limit, log to
# $OUT/NAME.log, record PASS/FAIL and the time.
step() {
  local name="$1" limit="$2"
  shift 2
  local log="$OUT/$name.log" t0 t1 rc
  t0=$(date +%s.%N)
  echo "=== $name: $*" | tee "$log"
  timeout --kill-after=30 "$limit" "$@" >>"$log" 2>&1
  rc=$?
  t1=$(date +%s.%N)
  local secs
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}')
  if [ $rc -eq 0 ]; then
    echo "PASS $name (${secs}s)"
    RESULTS+=("PASS|$name|${secs}s|$log")
  else
    [ $rc -eq 124 ] && echo "(timed out after ${limit}s)" >>"$log"
    echo "FAIL $name (exit $rc, ${secs}s; log: $log)"
    tail -n 25 "$log" | sed 's/^/    /'
    RESULTS+=("FAIL|$name|${secs}s (exit $rc)|$log")
    FAILED=$((FAILED + 1))
  fi
  return 0
}

# ------------------------------------------------------------- environment
{
  echo "date: $(date -u)"
  echo "host: $(uname -a)"
  command -v nvidia-smi >/dev/null && nvidia-smi
  command -v nvcc >/dev/null && nvcc --version
  cmake --version | head -1
  gcc --version | head -1
  echo "git: $(git -C "$ROOT" rev-parse HEAD 2>/dev/null) $(git -C "$ROOT" status --short 2>/dev/null | wc -l) changed files"
} >"$OUT/environment.log" 2>&1
grep -E "NVIDIA-SMI|H100|H200|A100|Driver Version|release" "$OUT/environment.log" | head -5

# -------------------------------------------------------------- cmocka
DEPS="$ROOT/.gpu-deps"
LIBDIR="$DEPS/usr/lib/x86_64-linux-gnu"
CMAKE_CMOCKA=()
if [ -f "$DEPS/usr/include/cmocka.h" ] && ls "$LIBDIR"/libcmocka.so* >/dev/null 2>&1; then
  # The library file itself (libcmocka.so may be a dangling link into /usr
  # when the package was unpacked elsewhere).
  LIB="$(ls "$LIBDIR"/libcmocka.so.*.* 2>/dev/null | head -1)"
  [ -n "$LIB" ] || LIB="$LIBDIR/libcmocka.so"
  CMAKE_CMOCKA=(-DCMOCKA_INCLUDE_DIR="$DEPS/usr/include" -DCMOCKA_LIBRARY="$LIB")
  export LD_LIBRARY_PATH="$LIBDIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  # For anything that asks pkg-config: a copy of the .pc with its paths
  # moved under .gpu-deps.
  if [ -f "$LIBDIR/pkgconfig/cmocka.pc" ]; then
    mkdir -p "$OUT/pkgconfig"
    sed -e "s#/usr/#$DEPS/usr/#g" -e "s#^prefix=/usr\$#prefix=$DEPS/usr#" \
      "$LIBDIR/pkgconfig/cmocka.pc" >"$OUT/pkgconfig/cmocka.pc"
    export PKG_CONFIG_PATH="$OUT/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
  fi
  echo "cmocka: $LIB"
else
  echo "cmocka: not in .gpu-deps; relying on a system cmocka (pkg-config)"
fi

# NVRTC: the toolkit's, found by the library itself under
# /usr/local/cuda/lib64; CUDA_HOME helps when the toolkit is elsewhere.
if [ -z "${CUDA_HOME:-}" ] && command -v nvcc >/dev/null; then
  CUDA_HOME="$(dirname "$(dirname "$(command -v nvcc)")")"
  export CUDA_HOME
fi

# --------------------------------------------------------------- build
step configure 300 cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release \
  -DODEON_WERROR=OFF "${CMAKE_CMOCKA[@]}"
step build 1200 cmake --build "$BUILD" -j "$JOBS"

# --------------------------------------------------------------- tests
export ODEON_REQUIRE_GPU=1 ODEON_REQUIRE_NVRTC=1
export ODEON_CACHE_DIR="$BUILD/gpu-check-cache"
step nvrtc-tests 1200 ctest --test-dir "$BUILD" -L nvrtc -j 4 --output-on-failure
step gpu-tests 1800 ctest --test-dir "$BUILD" -L gpu --output-on-failure
# The same tests as concurrent processes on one GPU (issue 6: several
# processes sharing a device all finish correctly).
step gpu-tests-parallel 1800 ctest --test-dir "$BUILD" -L gpu -j 6 \
  --output-on-failure --repeat until-fail:2
if [ $ALL -eq 1 ]; then
  step cpu-tests 3600 ctest --test-dir "$BUILD" -LE gpu -j "$JOBS" \
    --output-on-failure
fi

# ------------------------------------------------- CLI smoke with a trace
MODEL="$OUT/lorenz.odeon"
cat >"$MODEL" <<'EOF'
states:      x = 1, y = 0, z = 0
parameters:  rho = 21
constants:   sigma = 10, beta = 8/3
dx = sigma*(y - x)
dy = x*(rho - z) - y
dz = x*y - beta*z
EOF
if [ -x "$BUILD/odeon" ]; then
  step cli-cuda 300 env ODEON_VERBOSE=1 ODEON_TRACE="$OUT/trace-cuda.json" \
    "$BUILD/odeon" solve "$MODEL" --backend cuda --precision float32 \
    --algorithm tsit5 --sweep rho=0:21:100000 --save-every 0.01 \
    --chunk-runs 25000 --out "$OUT/cli-cuda.npy"
  step cli-auto 300 env ODEON_VERBOSE=1 "$BUILD/odeon" solve "$MODEL" \
    --backend auto --sweep rho=0:21:1000 --out "$OUT/cli-auto.csv"
  # CPU and GPU agree on the same solve (float64, adaptive).
  step cli-cpu-vs-cuda 600 bash -c "
    '$BUILD/odeon' solve '$MODEL' --backend cpu --algorithm dormand-prince-54 \
      --atol 1e-10 --rtol 1e-10 --sweep rho=0:21:500 --out '$OUT/cmp-cpu.csv' &&
    '$BUILD/odeon' solve '$MODEL' --backend cuda --algorithm dormand-prince-54 \
      --atol 1e-10 --rtol 1e-10 --sweep rho=0:21:500 --out '$OUT/cmp-cuda.csv' &&
    awk -F, 'NR==FNR { if (FNR > 1) for (i = 3; i <= NF; i++) a[FNR, i] = \$i; next }
             FNR > 1 { for (i = 3; i <= NF; i++) { d = a[FNR, i] - \$i; if (d < 0) d = -d;
                       s = (\$i < 0 ? -\$i : \$i) + 1; if (d / s > m) m = d / s } }
             END { printf \"max relative difference cpu vs cuda: %g\\n\", m; exit (m < 1e-6 ? 0 : 1) }' \
      '$OUT/cmp-cpu.csv' '$OUT/cmp-cuda.csv'"
else
  echo "SKIP cli steps: $BUILD/odeon was not built"
  RESULTS+=("FAIL|cli (no odeon program)|-|$OUT/build.log")
  FAILED=$((FAILED + 1))
fi

# ---------------------------------------------------------- benchmarks
if [ $BENCH -eq 1 ]; then
  if [ -x "$BUILD/bench/gpu_lorenz" ]; then
    step bench-gpu-lorenz 1800 "$BUILD/bench/gpu_lorenz" $QUICK \
      --peers "$ROOT/bench/peers" --odeon "$BUILD/odeon"
  else
    echo "SKIP bench: $BUILD/bench/gpu_lorenz was not built"
    RESULTS+=("FAIL|bench (not built)|-|$OUT/build.log")
    FAILED=$((FAILED + 1))
  fi
fi

if [ $BENCH -eq 1 ] && [ -x "$BUILD/bench/gpu_implicit" ]; then
  if [ -n "$QUICK" ]; then
    step bench-gpu-implicit 600 "$BUILD/bench/gpu_implicit" --runs 65536
  else
    step bench-gpu-implicit 900 "$BUILD/bench/gpu_implicit"
  fi
fi

# --------------------------------------------------------------- summary
echo
echo "gpu-check summary ($(date -u '+%Y-%m-%d %H:%M UTC'), logs in $OUT)"
printf "%-6s %-22s %-18s %s\n" "result" "step" "time" "log"
for r in "${RESULTS[@]}"; do
  IFS='|' read -r res name secs log <<<"$r"
  printf "%-6s %-22s %-18s %s\n" "$res" "$name" "$secs" "$log"
done
if [ -f "$OUT/bench-gpu-lorenz.log" ]; then
  # The benchmark's own table is the last thing it prints.
  awk '/^odeon GPU benchmarks on/{p=1} p' "$OUT/bench-gpu-lorenz.log"
fi
if [ -f "$OUT/bench-gpu-implicit.log" ]; then
  tail -n 8 "$OUT/bench-gpu-implicit.log"
fi
echo "$FAILED step(s) failed"
[ $FAILED -eq 0 ]
