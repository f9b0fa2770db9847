#!/usr/bin/env bash
# gpu-final.sh - the short GPU pass for the end of a session with little
# device time: build, the `gpu` tests, and both GPU benchmarks; logs under
# $OUT, a summary last. (scripts/gpu-check.sh is the full version.)
set -u
. "$(dirname "${BASH_SOURCE[0]}")/gpu-build.sh" gpu-final-out
gpu_build
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
