#!/usr/bin/env bash
# gpu-pipeline-sweep.sh - on a machine with a GPU: the whole-solve and
# output-bound benchmarks of bench/gpu_lorenz under several pipeline depths
# and staging sizes, one traced run summarised, and test_gpu_solve (the
# Lorenz protocol and CPU-versus-GPU cases). Logs and traces go to $OUT.
# Environment: SLOTS ("2 3 4"), PINNED_MB ("256 1024"), ONLY ("rk4 tsit5").
set -u
. "$(dirname "${BASH_SOURCE[0]}")/gpu-build.sh" gpu-sweep-out
gpu_build odeon gpu_lorenz test_gpu_solve
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
