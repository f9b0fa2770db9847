#!/usr/bin/env bash
# gpu-final.sh - the short GPU pass for the end of a session with little
# device time: build, the `gpu` tests, and both GPU benchmarks; logs under
# $OUT, a summary last. (scripts/gpu-check.sh is the full version.)
set -u
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${OUT:-$ROOT/gpu-final-out}"
B=/tmp/odeon-gpu-build
mkdir -p "$OUT"
D="$ROOT/.gpu-deps"
L="$D/usr/lib/x86_64-linux-gnu"
export LD_LIBRARY_PATH="$L${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
cmake -S "$ROOT" -B "$B" -DCMAKE_BUILD_TYPE=Release -DODEON_WERROR=OFF \
  -DCMOCKA_INCLUDE_DIR="$D/usr/include" \
  -DCMOCKA_LIBRARY="$(ls "$L"/libcmocka.so.*.* | head -1)" >"$OUT/build.log" 2>&1
cmake --build "$B" -j "$(nproc)" >>"$OUT/build.log" 2>&1 || { tail -30 "$OUT/build.log"; exit 1; }
export ODEON_REQUIRE_GPU=1 ODEON_CACHE_DIR=/tmp/odeon-gpu-cache
(cd "$B" && timeout 240 ctest -L gpu -j 2 --output-on-failure >"$OUT/gpu-tests.log" 2>&1)
echo "gpu tests: exit $?"
grep -E "tests passed|Failed|\*\*\*" "$OUT/gpu-tests.log" | head -20
grep -E "error [0-9.e+-]+ > 2 x|FAIL" "$OUT/gpu-tests.log" | head -10
timeout 120 "$B/bench/gpu_lorenz" --peers "$ROOT/bench/peers" --odeon "$B/odeon" >"$OUT/bench-gpu-lorenz.log" 2>&1
echo "gpu_lorenz: exit $?"
timeout 60 "$B/bench/gpu_implicit" >"$OUT/bench-gpu-implicit.log" 2>&1
echo "gpu_implicit: exit $?"
grep -v "^ptxas" "$OUT/bench-gpu-lorenz.log" | awk '/^device:/{p=1} p' | head -80
tail -n 6 "$OUT/bench-gpu-implicit.log"
