#!/usr/bin/env bash
# gpu-split.sh - the GPU pass for the initial-step split (kernel_args.h):
# build, the `gpu` tests (split by default), the whole gpu_lorenz benchmark,
# then time to first result and the tsit5 kernel with the step inline
# (ODEON_INIT_KERNEL=off) and split, alternating, in the same process
# environment and on the same card; logs under $OUT, figures last.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/gpu-build.sh" gpu-split-out
gpu_build
if [ -z "${NOTEST:-}" ]; then
  (cd "$B" && timeout 240 ctest -L gpu -j 2 --output-on-failure >"$OUT/gpu-tests.log" 2>&1)
  echo "gpu tests: exit $?"
  grep -E "tests passed|Failed|\*\*\*" "$OUT/gpu-tests.log" | head -20
  ODEON_INIT_KERNEL=off timeout 120 "$B/tests/gpu/test_gpu_solve" >"$OUT/gpu-solve-inline.log" 2>&1
  echo "test_gpu_solve with the step inline: exit $?"
fi
L="$B/bench/gpu_lorenz --peers $ROOT/bench/peers --odeon $B/odeon"
timeout 150 $L >"$OUT/bench-gpu-lorenz.log" 2>&1
echo "gpu_lorenz: exit $?"
grep -v "^ptxas" "$OUT/bench-gpu-lorenz.log" | awk '/^device:/{p=1} p' | head -60
for rep in 1 2; do
  for mode in off on; do
    echo "== ODEON_INIT_KERNEL=$mode, round $rep"
    ODEON_INIT_KERNEL=$mode timeout 60 $L --only ttfr 2>&1 | grep -E "model [0-9]:|best|second process|floor kernels"
    ODEON_INIT_KERNEL=$mode timeout 60 $L --only tsit5 2>&1 | grep -E "tsit5 N=2.*kernel|floor kernels" | head -6
  done
done
