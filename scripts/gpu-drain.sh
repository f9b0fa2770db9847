#!/usr/bin/env bash
# gpu-drain.sh - the drain lanes on a GPU machine: build, the drained GPU
# test and the CUDA backend test, then bench/gpu_lorenz's output-bound case
# (and $DRAIN_ONLY, default "output") under each environment setting in
# $DRAINS ('|'-separated, e.g. "ODEON_DRAIN=on:16:4096 GB_CHUNK_RUNS=1048576";
# "" = the defaults), $REPS rounds; NOTEST=1 skips the tests. Logs in $OUT.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/gpu-build.sh" gpu-drain-out
gpu_build
[ -n "${NOTEST:-}" ] || {
(cd "$B" && timeout 200 ./tests/gpu/test_gpu_solve >"$OUT/gpu-solve.log" 2>&1)
echo "test_gpu_solve: exit $?"
grep -E "^\[  (PASSED|FAILED) |differs|ODEON_DRAIN" "$OUT/gpu-solve.log" | head -20
(cd "$B" && timeout 100 ./tests/gpu/test_cuda_backend >"$OUT/cuda-backend.log" 2>&1)
echo "test_cuda_backend: exit $?"
}
IFS='|' read -r -a drains <<<"${DRAINS:-|ODEON_DRAIN=off}"
for i in $(seq "${REPS:-1}"); do
  for d in "${drains[@]}"; do
    for only in ${DRAIN_ONLY:-output}; do
      echo "== [$d] $only"
      env $d timeout 120 "$B/bench/gpu_lorenz" \
        --peers "$ROOT/bench/peers" --only "$only" 2>&1 |
        grep -E "${GREP:-odeon, into|N=2\^2[23] whole}"
    done
  done
done
