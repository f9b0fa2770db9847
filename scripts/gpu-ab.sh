#!/usr/bin/env bash
# gpu-ab.sh - an A/B comparison on one GPU machine: bench/gpu_lorenz built
# from the sources in $ROOT/ab-a (make them with `git archive COMMIT | tar -x
# -C ab-a` before the call: the device's copy of the tree has no history)
# and from the working tree, run alternately ($REPS times, benchmarks
# $ONLY), each beside its floors. Logs in $OUT.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/gpu-build.sh" gpu-ab-out
A=$ROOT/ab-a
[ -d "$A/src" ] || { echo "no sources in $A"; exit 1; }
gpu_build gpu_lorenz
rm -rf /tmp/odeon-a && cp -r "$A" /tmp/odeon-a && cp -r "$ROOT/.gpu-deps" /tmp/odeon-a/
(BUILD=/tmp/odeon-a-build OUT="$OUT/a" &&
  . /tmp/odeon-a/scripts/gpu-build.sh >/dev/null && gpu_build gpu_lorenz) || exit 1
for i in $(seq "${REPS:-2}"); do
  for v in a b; do
    bin=$B/bench/gpu_lorenz
    [ $v = a ] && bin=/tmp/odeon-a-build/bench/gpu_lorenz
    for only in ${ONLY:-rk4 tsit5}; do
      echo "== $v ($([ $v = a ] && echo ab-a || echo tree)) $only"
      ODEON_CACHE_DIR=/tmp/odeon-ab-$v timeout 120 "$bin" --peers "$ROOT/bench/peers" \
        --only "$only" 2>&1 | grep -E "N=2\^2[23] (kernel|whole)"
    done
  done
done
