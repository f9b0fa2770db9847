#!/usr/bin/env bash
# gpu-multi.sh - on a machine with several GPUs: the multi-device test
# (every device, and all of them together, against device 0, bit for bit)
# and one large Lorenz sweep through the CLI on device 0 and on all
# devices, timed, with the results compared byte for byte. Logs in $OUT.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/gpu-build.sh" gpu-multi-out
gpu_build odeon test_multi_device
export ODEON_CACHE_DIR=/tmp/odeon-gpu-cache ODEON_REQUIRE_GPU=1
timeout 300 "$B/tests/pipeline/test_multi_device" --gpu >"$OUT/multi.log" 2>&1
echo "test_multi_device --gpu: exit $?"
grep -E "OK|FAIL|PASSED|rror|device" "$OUT/multi.log" | head -20
N=${RUNS:-16777216}
for dev in 0 all; do
  # the first call compiles and caches the kernel; the second is timed
  for rep in 1 2; do
    TIMEFORMAT="devices $dev, run $rep: %R s wall"
    time "$B/odeon" solve "$ROOT/examples/lorenz.ode" \
      --sweep rho=0:21:$N --algorithm tsit5 --atol 1e-8 --rtol 1e-8 \
      --duration 10 --precision float32 --backend cuda --devices $dev --quiet \
      --out "/tmp/multi-$dev.npy"
  done
done
cmp /tmp/multi-0.npy /tmp/multi-all.npy && echo "device 0 and all devices: identical results"
