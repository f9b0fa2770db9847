#!/usr/bin/env bash
# ttfr-probe2.sh - second probe (see ttfr-probe.sh): thread migration,
# one busy CPU, CPU idle states and steal time during a cold compile.
. "$(dirname "${BASH_SOURCE[0]}")/gpu-build.sh" probe-out
gpu_build gpu_lorenz odeon kernel_report
L=$B/bench/gpu_lorenz
ttfr() { "$@" "$L" --only ttfr --peers "$ROOT/bench/peers" --odeon "$B/odeon" 2>&1 |
  grep -E "kernel program|best" | sed 's/process CPU/CPU/'; }
cat /sys/devices/system/cpu/cpuidle/current_driver /sys/devices/system/cpu/cpuidle/current_governor* 2>/dev/null
for s in /sys/devices/system/cpu/cpu0/cpuidle/state*; do echo -n "$(cat $s/name)($(cat $s/latency)us,$(cat $s/usage)) "; done; echo
steal() { awk '/^cpu /{print "steal " $9 " idle " $5}' /proc/stat; }
steal; echo "== idle"; ttfr; steal
echo "== inline, idle"; ODEON_INIT_KERNEL=off ttfr
echo "== inline, taskset -c 3"; ODEON_INIT_KERNEL=off ttfr taskset -c 3
echo "== split, taskset -c 3,9"; ttfr taskset -c 3,9
echo "== split, one busy CPU"; timeout 5 sh -c 'while :; do :; done' & ttfr; wait
echo "== split, cpu_dma_latency 0"; python3 -c "
import os,struct,subprocess,sys
fd=os.open('/dev/cpu_dma_latency',os.O_WRONLY); os.write(fd,struct.pack('i',0))
subprocess.run(['bash','-c','$L --only ttfr --peers $ROOT/bench/peers --odeon $B/odeon 2>&1 | grep -E \"kernel program|best\"'])
" 2>&1
for s in /sys/devices/system/cpu/cpu0/cpuidle/state*; do echo -n "$(cat $s/name)($(cat $s/usage)) "; done; echo
echo "== idle again"; ttfr
