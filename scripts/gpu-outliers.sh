#!/usr/bin/env bash
# gpu-outliers.sh - the tsit5 whole solves $RUNS times in fresh processes,
# each traced; for each run the whole-solve ratios and, of its last 2^22
# solve (the third of three), the chunk timeline: to see what a slow run
# (a best of three far above the others) spent its time on. Logs in $OUT.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/gpu-build.sh" gpu-outliers-out
gpu_build gpu_lorenz
export ODEON_CACHE_DIR=/tmp/odeon-gpu-cache
for i in $(seq "${RUNS:-6}"); do
  ODEON_TRACE="$OUT/t$i.json" timeout 120 "$B/bench/gpu_lorenz" --only "${ONLY:-tsit5}" \
    --peers "$ROOT/bench/peers" >"$OUT/run$i.log" 2>&1
  echo "== run $i: $(grep -E 'N=2\^22 whole solve  ' "$OUT/run$i.log" | awk '{print $(NF-3)}') $(grep -E 'best solve' "$OUT/run$i.log" | head -1 | sed 's/.*best solve//')"
  for k in 6 5 4; do
    python3 "$ROOT/tools/trace_summary.py" "$OUT/t$i.json" --solve $k --chunks 60 |
      grep -E "^process|^    -1:" | tr '\n' ' '
    echo
  done
done
