#!/usr/bin/env bash
# gpu-drain.sh - the drain lanes on a GPU machine: build, the drained GPU
# test and the CUDA backend test, then bench/gpu_lorenz's output-bound case
# (and $DRAIN_ONLY, default "output") under each $ODEON_DRAIN setting in
# $DRAINS ('|'-separated; "" = the default), $REPS rounds. Logs in $OUT.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/gpu-build.sh" gpu-drain-out
gpu_build
(cd "$B" && timeout 200 ./tests/gpu/test_gpu_solve >"$OUT/gpu-solve.log" 2>&1)
echo "test_gpu_solve: exit $?"
grep -E "^\[  (PASSED|FAILED) |differs|ODEON_DRAIN" "$OUT/gpu-solve.log" | head -20
(cd "$B" && timeout 100 ./tests/gpu/test_cuda_backend >"$OUT/cuda-backend.log" 2>&1)
echo "test_cuda_backend: exit $?"
IFS='|' read -r -a drains <<<"${DRAINS:-|off|on:8:4096|on:16:4096|on:8:8192|on:15:2048}"
for i in $(seq "${REPS:-1}"); do
  for d in "${drains[@]}"; do
    for only in ${DRAIN_ONLY:-output}; do
      echo "== ODEON_DRAIN=$d $only"
      ODEON_DRAIN="$d" timeout 120 "$B/bench/gpu_lorenz" \
        --peers "$ROOT/bench/peers" --only "$only" 2>&1 |
        grep -E "${GREP:-odeon, into|N=2\^2[23] whole}"
    done
  done
done
