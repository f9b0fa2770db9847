. scripts/gpu-build.sh gpu-trace-out
gpu_build odeon gpu_lorenz
export ODEON_CACHE_DIR=/tmp/odeon-gpu-cache
for only in tsit5 rk4; do
  ODEON_TRACE="$OUT/trace-$only.json" timeout 120 "$B/bench/gpu_lorenz" --only $only --peers bench/peers 2>&1 | grep -E "N=2\^|odeon|whole" | grep -v ptxas
  for k in 4 1; do echo "-- $only solve $k from the end"; python3 tools/trace_summary.py "$OUT/trace-$only.json" --solve $k; done
done
for only in tsit5 rk4; do timeout 120 "$B/bench/gpu_lorenz" --only $only --peers bench/peers 2>&1 | grep -E "whole solve|kernel " | tail -4; done
