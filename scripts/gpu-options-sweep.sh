#!/usr/bin/env bash
# gpu-options-sweep.sh - the tsit5 benchmarks (kernel, whole solve) and the
# time to first result under several sets of extra NVRTC options
# ($ODEON_NVRTC_OPTIONS), each beside the floors of the same process, plus a
# trace of the default tsit5 whole solve (tools/trace_summary.py). Option sets
# come from $SETS, separated by '|' (an empty set is the default build).
# Logs go to $OUT.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/gpu-build.sh" gpu-options-out
gpu_build odeon gpu_lorenz kernel_report
export ODEON_CACHE_DIR=/tmp/odeon-gpu-cache
SETS=${SETS:-"|-maxrregcount=56|-maxrregcount=48|--Ofast-compile=mid|--Ofast-compile=min|-Xptxas=-O1"}
IFS='|' read -r -a sets <<<"$SETS"
i=0
for s in "${sets[@]}"; do
  i=$((i + 1))
  echo "== options [${s}]"
  for only in tsit5 ttfr; do
    ODEON_NVRTC_OPTIONS="$s" timeout 120 "$B/bench/gpu_lorenz" --only "$only" \
      --peers "$ROOT/bench/peers" --odeon "$B/odeon" >"$OUT/set$i-$only.log" 2>&1
    grep -E "^(tsit5|NVRTC|cached)|odeon kernel|cold NVRTC" "$OUT/set$i-$only.log" |
      grep -v "whole solve" | head -12
  done
  ODEON_NVRTC_OPTIONS="$s" "$B/kernel_report" --reps 2 --peers "$ROOT/bench/peers" 2>&1 |
    grep "odeon tsit5"
done
echo "== traced default tsit5 whole solve"
ODEON_TRACE="$OUT/trace-tsit5.json" timeout 120 "$B/bench/gpu_lorenz" \
  --only tsit5 --peers "$ROOT/bench/peers" >/dev/null 2>&1
python3 "$ROOT/tools/trace_summary.py" "$OUT/trace-tsit5.json" --last-solve
ODEON_TRACE="$OUT/trace-rk4.json" timeout 120 "$B/bench/gpu_lorenz" \
  --only rk4 --peers "$ROOT/bench/peers" >/dev/null 2>&1
python3 "$ROOT/tools/trace_summary.py" "$OUT/trace-rk4.json" --last-solve
