#!/usr/bin/env bash
# gpu-ab.sh - an A/B comparison on one GPU machine: bench/gpu_lorenz built
# from each source tree named in $AB_DIRS (default "ab-a"; folders under
# the repository root, made before the call with `git archive COMMIT | tar
# -x -C DIR`, as the device's copy of the tree has no history) and from the
# working tree, run in turn ($REPS rounds, benchmarks $ONLY, each under
# every environment setting in $ENVS, '|'-separated), each beside its
# floors; $GREP picks the lines shown. Logs in $OUT.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/gpu-build.sh" gpu-ab-out
gpu_build gpu_lorenz
bins=("tree:$B/bench/gpu_lorenz")
for d in ${AB_DIRS:-ab-a}; do
  [ -d "$ROOT/$d/src" ] || { echo "no sources in $ROOT/$d"; exit 1; }
  rm -rf "/tmp/odeon-$d" && cp -r "$ROOT/$d" "/tmp/odeon-$d" &&
    cp -r "$ROOT/.gpu-deps" "/tmp/odeon-$d/"
  (BUILD="/tmp/odeon-$d-build" OUT="$OUT/$d" &&
    . "/tmp/odeon-$d/scripts/gpu-build.sh" >/dev/null && gpu_build gpu_lorenz) ||
    exit 1
  bins+=("$d:/tmp/odeon-$d-build/bench/gpu_lorenz")
done
for i in $(seq "${REPS:-2}"); do
  for vb in "${bins[@]}"; do
    v=${vb%%:*} bin=${vb#*:}
    IFS='|' read -r -a envs <<<"${ENVS:-}"
    [ ${#envs[@]} -eq 0 ] && envs=("")
    for only in ${ONLY:-rk4 tsit5}; do
      for en in "${envs[@]}"; do
        echo "== $v $only [$en]"
        env $en ODEON_CACHE_DIR=/tmp/odeon-ab-$v timeout 120 "$bin" \
          --peers "$ROOT/bench/peers" --only "$only" 2>&1 |
          grep -E "${GREP:-N=2\^2[23] (kernel|whole)}"
      done
    done
  done
done
