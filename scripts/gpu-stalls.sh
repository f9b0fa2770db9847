#!/usr/bin/env bash
# gpu-stalls.sh - hunts the sporadic slow warm solves: $RUNS processes of
# `gpu_lorenz --only ${ONLY:-tsit5}` with $GB_REPS solves of each size,
# each solve's time printed with the host's page faults, context switches
# and cgroup CPU throttling meanwhile; then $TRACED more processes traced,
# one line per solve (span, GPU busy share, the longest kernel-idle gap and
# what overlapped it) and the slowest warm solve of each size whole. The
# logs and traces come back as $OUT/stalls.tgz (the device tool returns 8
# files at most).
set -u
. "$(dirname "${BASH_SOURCE[0]}")/gpu-build.sh" gpu-stalls-out
gpu_build gpu_lorenz
W=/tmp/gpu-stalls
rm -rf "$W" && mkdir -p "$W"
trap 'tar -czf "$OUT/stalls.tgz" -C "$W" .' EXIT
export ODEON_CACHE_DIR=/tmp/odeon-gpu-cache GB_EVERY_SOLVE=1 GB_REPS=${GB_REPS:-15}
echo "nproc $(nproc); cpu.max $(cat /sys/fs/cgroup/cpu.max 2>/dev/null || echo none);" \
  "thp $(cat /sys/kernel/mm/transparent_hugepage/enabled) defrag" \
  "$(cat /sys/kernel/mm/transparent_hugepage/defrag)"
cat /proc/pressure/cpu /proc/pressure/memory 2>/dev/null
for i in $(seq "${RUNS:-6}"); do
  timeout 120 "$B/bench/gpu_lorenz" --only "${ONLY:-tsit5}" --peers "$ROOT/bench/peers" \
    >"$W/run$i.log" 2>&1
  echo "== run $i (exit $?)"
  grep -E "^  solve [0-9]+ of" "$W/run$i.log" | sed 's/voluntary switches/vcsw/;s/involuntary/ivcsw/;s/cgroup throttled/thr/;s/waited for a CPU/cpuwait/;s/minor faults/minflt/;s/ major 0,//'
done
for i in $(seq "${TRACED:-3}"); do
  ODEON_TRACE="$W/t$i.json" timeout 120 "$B/bench/gpu_lorenz" --only "${ONLY:-tsit5}" \
    --peers "$ROOT/bench/peers" >"$W/traced$i.log" 2>&1
  echo "== traced run $i (exit $?)"
  python3 "$ROOT/tools/trace_summary.py" "$W/t$i.json" --solves | tee "$W/t$i.solves"
  # the slowest warm solve of each size, whole (numbered from the end:
  # 2*GB_REPS..GB_REPS+1 are the first size's, GB_REPS..1 the second's)
  for k in $(python3 - "$W/t$i.solves" "$GB_REPS" <<'PY'
import re, sys
reps = int(sys.argv[2])
span = {int(m[1]): float(m[2]) for m in re.finditer(
    r"solve +(\d+) from the end: span +([\d.]+)", open(sys.argv[1]).read())}
for lo, hi in ((reps + 1, 2 * reps - 1), (1, reps - 1)):
    warm = {k: v for k, v in span.items() if lo <= k <= hi}
    if warm:
        print(max(warm, key=warm.get))
PY
  ); do
    echo "-- traced run $i, solve $k from the end"
    python3 "$ROOT/tools/trace_summary.py" "$W/t$i.json" --solve "$k" --chunks 40
  done
done
