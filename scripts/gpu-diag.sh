#!/usr/bin/env bash
# gpu-diag.sh - where the time of a GPU solve goes, on a machine with a GPU:
# the host paths' ceilings (bench/gpu_host_paths), Chrome traces of the
# rk4 whole-solve and output-bound benchmarks summarised by
# tools/trace_summary.py, and the float32 adaptive classical-rk4 Lorenz case
# of test_gpu_solve run through the CLI on the GPU and the CPU, listing the
# runs whose status is not 0. Logs and traces go to $OUT.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/gpu-build.sh" gpu-diag-out
gpu_build odeon gpu_host_paths gpu_lorenz
export ODEON_CACHE_DIR=/tmp/odeon-gpu-cache
echo "== host paths"
timeout 120 "$B/bench/gpu_host_paths" --gib "${GIB:-4}" 2>&1
for only in rk4 output; do
  echo "== traced gpu_lorenz --only $only"
  ODEON_TRACE="$OUT/trace-$only.json" timeout 120 "$B/bench/gpu_lorenz" \
    --only "$only" --peers "$ROOT/bench/peers" 2>&1 | grep -v "^ptxas" | tail -12
  python3 "$ROOT/tools/trace_summary.py" "$OUT/trace-$only.json" --last-solve
done
echo "== classical-rk4 adaptive float32 tol 1e-6 (test_gpu_solve's Lorenz case)"
awk -F, 'NR==1{print "rho"} NR>1{print $2}' \
  "$ROOT/tests/data/lorenz/golden.csv" >/tmp/rho.csv
for be in cuda cpu; do
  "$B/odeon" solve "$ROOT/examples/lorenz.ode" --inputs /tmp/rho.csv \
    --algorithm classical-rk4 --controller pi --atol 1e-6 --rtol 1e-6 \
    --dt 0.01 --dt-min 1e-6 --dt-max 0.5 --precision float32 --duration 1 \
    --outputs state,status,counters --backend $be --out "$OUT/rk4a-$be.csv" \
    2>&1 | tail -3
  echo "$be: runs with a status bit set (per-run table):"
  awk -F, 'NR==1{for(i=1;i<=NF;i++) if($i=="status") c=i; print; next}
           c && $c != 0' "$OUT/rk4a-$be-runs.csv" | head -8
done
