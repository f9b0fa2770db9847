#!/usr/bin/env bash
# gpu-pipeline-sweep.sh - on a machine with a GPU: the whole-solve and
# output-bound benchmarks of bench/gpu_lorenz under several pipeline depths
# and staging sizes, one traced run summarised, and test_gpu_solve (the
# Lorenz protocol and CPU-versus-GPU cases). Logs and traces go to $OUT.
# Environment: SLOTS ("2 3 4"), PINNED_MB ("256 1024"), ONLY ("rk4 tsit5").
set -u
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${OUT:-$ROOT/gpu-sweep-out}"
B=${BUILD:-/tmp/odeon-gpu-build}
D="$ROOT/.gpu-deps"
L="$D/usr/lib/x86_64-linux-gnu"
export LD_LIBRARY_PATH="$L${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
mkdir -p "$OUT"
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
cmake -S "$ROOT" -B "$B" -DCMAKE_BUILD_TYPE=Release -DODEON_WERROR=OFF \
  -DCMOCKA_INCLUDE_DIR="$D/usr/include" \
  -DCMOCKA_LIBRARY="$(ls "$L"/libcmocka.so.*.* | head -1)" >"$OUT/build.log" 2>&1
cmake --build "$B" -j "$(nproc)" --target odeon gpu_lorenz test_gpu_solve \
  >>"$OUT/build.log" 2>&1 || { tail -30 "$OUT/build.log"; exit 1; }
export ODEON_CACHE_DIR=/tmp/odeon-gpu-cache ODEON_REQUIRE_GPU=1
lorenz() { timeout 120 "$B/bench/gpu_lorenz" --peers "$ROOT/bench/peers" "$@" 2>&1; }
for only in ${ONLY:-rk4 tsit5}; do
  for s in ${SLOTS:-2 3 4}; do
    echo "== $only, slots $s"
    GB_SLOTS=$s lorenz --only "$only" | grep -E "N=2\^2[23] (kernel|whole)"
  done
done
for p in ${PINNED_MB:-256 1024}; do
  echo "== output-bound, pinned $p MiB"
  GB_PINNED_MB=$p lorenz --only output | grep -E "odeon:|output-bound rk4"
done
echo "== traced rk4 (default pipeline)"
ODEON_TRACE="$OUT/trace-rk4.json" lorenz --only rk4 >/dev/null
python3 "$ROOT/tools/trace_summary.py" "$OUT/trace-rk4.json" --last-solve
echo "== test_gpu_solve"
timeout 300 "$B/tests/gpu/test_gpu_solve" >"$OUT/test_gpu_solve.log" 2>&1
echo "test_gpu_solve: exit $?"
grep -E "equivalence:|error .* > 2 x|PASSED|FAILED" "$OUT/test_gpu_solve.log" | head
