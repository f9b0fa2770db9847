#!/usr/bin/env python3
"""sass_walk.py SASS HEAD DECISIONS [-v] - count the SASS instructions on one
path through a step loop, from the label HEAD back to it (bench/NOTES.md,
kperf round 4).

SASS: `nvdisasm -c` of a CUBIN from `kernel_report --dump DIR`. Every
instruction on the path counts once (predicated-off ones too, as they
issue). Conditional branches are decided: taken where the fall-through
reaches a CALL within 14 instructions (the fast side of a division or square
root), not taken / taken at powf's special-case tests (x == 1, NaN, 0 or inf:
not taken; the x >= 0 sign test after the last predicated FMUL: taken); every
other branch takes the next letter of DECISIONS (T taken, N not). The walk
stops when it reaches a CALL, EXIT or RET (a wrong decision) or HEAD.

The accepted tsit5 step of kernel_report's "odeon tsit5 f32 1e-8" (commit
8c6600c): HEAD = the loop head label (the target of the long back edge),
DECISIONS = TNNNNN (not at a stop; max_steps not reached; e <= 1; not a kept
step; accepted; h >= dt_min); before that commit (7642bd6) TNNNNNNN (also
e <= FLT_MAX and e != 0 tested on the way). The floor lorenz_tsit5.cu: NNT
(loop condition true; e <= 1; the back edge taken). classical-rk4's cruise
loop (.L_x_15 there): NNT."""
import re, sys
lines = open(sys.argv[1]).read().splitlines()
head = sys.argv[2]
dec = list(sys.argv[3]) if len(sys.argv) > 3 else []
verbose = '-v' in sys.argv
ins = []; labels = {}
for l in lines:
    m = re.match(r'^(\.L_x_\d+|\$?[\w$.]+):\s*$', l.strip()) if not l.strip().startswith('/*') else None
    if m and l.strip().endswith(':') and '/*' not in l:
        labels[m.group(1)] = len(ins); continue
    m = re.match(r'\s*/\*([0-9a-f]+)\*/\s+(.*?)\s*;?\s*$', l)
    if m:
        ins.append((m.group(1), m.group(2).rstrip(' ;')))
pc = labels[head]; n = 0; di = 0; steps = 0; path = []
def target(s):
    m = re.search(r'`\((\.L_x_\d+)\)', s); return m.group(1) if m else None
while True:
    a, s = ins[pc]; n += 1; path.append((a, s)); steps += 1
    if steps > 5000: print('loop?'); break
    if verbose: print(f'{n:4d} {a} {s}')
    op = re.sub(r'^@!?U?P\w+\s+', '', s)
    if op.startswith('CALL') or op.startswith('EXIT') or op.startswith('RET'):
        print('reached', s, 'at', a); sys.exit(1)
    if op.startswith('BRA') or op.startswith('BREAK') and False:
        t = target(s); tp = labels[t]
        if s.startswith('@'):
            # auto: fallthrough reaches CALL before target?
            auto = None
            if pc < tp <= pc + 14:
                for j in range(pc + 1, tp):
                    if ins[j][1].startswith('CALL'): auto = 'T'; break
            if auto is None:
                pm = re.match(r'@!?(P\d)', s).group(1)
                prev = ''
                for j in range(pc-1, max(0, pc-12), -1):
                    if re.match(r'(@!?P\d )?[A-Z0-9.]+ ' + pm + r',', ins[j][1]):
                        prev = ins[j][1]; break
                if re.match(r'@!P\d FMUL', ins[pc-1][1]): prev = ins[pc-1][1]
                if re.match(r'FSETP\.NEU\.AND P\d, PT, R\d+, 1, PT', prev) and s.startswith('@!P'): auto = 'N'
                elif re.match(r'FSETP\.GTU\.AND P\d, PT, \|R\d+\|, \+INF', prev): auto = 'N'
                elif re.match(r'FSETP\.EQ\.OR P\d, PT, R\d+, RZ, !P\d', prev): auto = 'N'
                elif re.match(r'@!P\d FMUL', prev): auto = 'T'
                if auto and verbose: print('      auto', auto)
            if auto is None:
                if di >= len(dec):
                    print(f'NEED decision #{di} at {a}: {s}  (count so far {n})')
                    for j in range(max(0, pc - 6), min(len(ins), pc + 4)): print('   ', ins[j][0], ins[j][1])
                    sys.exit(2)
                auto = dec[di]; di += 1
                if verbose: print('      decision', auto)
            if auto == 'T': pc = tp
            else: pc += 1
        else:
            pc = tp
    else:
        pc += 1
    if pc == labels[head]: break
print('count', n, 'decisions used', di, 'of', len(dec))
