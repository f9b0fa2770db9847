#!/usr/bin/env bash
# gpu-variants.sh - one gpu_lorenz benchmark under several environments on
# the same card, alternating, for A/Bs of settings read at run time
# ($ODEON_INIT_KERNEL, $ODEON_NVRTC_OPTIONS, ...).
#   VARIANTS="name=VAR=v VAR2=w;name2=..."  (';' between variants, the
#            environment after the first '=' of each, blank-separated; a
#            '+' in a value stands for a blank)
#   ONLY=tsit5 (gpu_lorenz --only), ROUNDS=2, GREP=regex of lines to show
set -u
. "$(dirname "${BASH_SOURCE[0]}")/gpu-build.sh" gpu-variants-out
gpu_build gpu_lorenz odeon
L="$B/bench/gpu_lorenz --peers $ROOT/bench/peers --odeon $B/odeon --only ${ONLY:-tsit5}"
IFS=';' read -r -a vs <<<"${VARIANTS:-inline=ODEON_INIT_KERNEL=off;split=ODEON_INIT_KERNEL=on}"
for ((round = 1; round <= ${ROUNDS:-2}; round++)); do
  for v in "${vs[@]}"; do
    name=${v%%=*}
    echo "== $name (round $round): ${v#*=}"
    assign=()
    for w in ${v#*=}; do assign+=("${w//+/ }"); done
    env "${assign[@]}" timeout 90 $L 2>&1 |
      grep -E "${GREP:-tsit5 N=2.*(kernel|whole)|odeon kernel:|floor kernels}"
  done
done
