#!/usr/bin/env bash
# ttfr-probe.sh - why a cold compile is slower in one process than another:
# the host's CPU topology, quota and clock, then the time-to-first-result
# benchmark in fresh processes under several conditions (idle host, a
# warmed-up CPU, threads kept off hyperthread siblings).
. "$(dirname "${BASH_SOURCE[0]}")/gpu-build.sh" probe-out
gpu_build gpu_lorenz odeon kernel_report
L=$B/bench/gpu_lorenz
ttfr() { "$L" --only ttfr --peers "$ROOT/bench/peers" --odeon "$B/odeon" 2>&1 |
  grep -E "kernel program|best"; }
lscpu | grep -E "^(Model name|Thread|Core|Socket|CPU\(s\)|CPU MHz|NUMA node0)"
cat /sys/fs/cgroup/cpu.max 2>/dev/null; cat /sys/fs/cgroup/cpu.stat 2>/dev/null | head -6
cat /sys/devices/system/cpu/cpu0/cpufreq/scaling_governor 2>/dev/null
for c in /sys/devices/system/cpu/cpu[0-9]*; do echo -n "$(basename $c):$(cat $c/topology/core_id 2>/dev/null)/$(cat $c/topology/thread_siblings_list 2>/dev/null) "; done; echo
grep MHz /proc/cpuinfo | head -4
echo "== idle host, fresh process"; ttfr
echo "== after 2 s of busy CPUs"; for i in 1 2 3 4; do timeout 2 sh -c 'while :; do :; done' & done; wait; ttfr
echo "== while 4 busy CPUs run"; for i in 1 2 3 4; do timeout 4 sh -c 'while :; do :; done' & done; ttfr; wait
echo "== ODEON_INIT_KERNEL=off"; ODEON_INIT_KERNEL=off ttfr
cpus=$(for c in /sys/devices/system/cpu/cpu[0-9]*; do echo "$(cat $c/topology/core_id) ${c##*cpu}"; done | sort -n -k1,1 -u | awk '{print $2}' | head -8 | paste -sd,)
echo "== taskset -c $cpus (one per core)"; taskset -c "$cpus" true && { "$L" --only ttfr --peers "$ROOT/bench/peers" --odeon "$B/odeon" >/dev/null 2>&1; taskset -c "$cpus" "$L" --only ttfr --peers "$ROOT/bench/peers" --odeon "$B/odeon" 2>&1 | grep -E "kernel program|best"; }
grep MHz /proc/cpuinfo | head -4
cat /sys/fs/cgroup/cpu.stat 2>/dev/null | head -6
echo "== kernel_report"; (cd "$B" && ./kernel_report --reps 3 --only defaults 2>&1 | grep alone)
echo "== idle host again"; sleep 3; ttfr
