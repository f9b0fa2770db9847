#!/usr/bin/env python3
"""trace_summary.py - a text summary of an ODEON_TRACE Chrome-trace file:
per process, the wall span, and per row (thread or CUDA stream) and stage
name the count, total and longest duration, plus how much of the span had
a kernel running on some stream (the GPU's busy share) and the timeline of
each chunk's stages. Reads only the standard library.

usage: trace_summary.py TRACE.json [--chunks N] [--last-solve | --solve K |
                                    --solves]
  --chunks N    chunks to list (12)
  --solves      one line per solve instead: its span, the GPU's busy share,
                and its longest time with no kernel running, with the
                stages that overlap that gap (what a stalled solve waited
                on); --solve K then shows one of them whole
  --last-solve  only the last solve of each process: the events from its
                last "prepare" (odeon_solve's start; else its last "fill"
                of chunk 0) on (a benchmark solves repeatedly). Chunk -1
                holds the solve's own spans: prepare, setup, finish
  --solve K     only the K-th last solve (--solve 1 is --last-solve)
"""
import json
import sys
from collections import defaultdict


def union_length(intervals):
    total, end = 0.0, None
    for a, b in sorted(intervals):
        if end is None or a > end:
            total += b - a
            end = b
        elif b > end:
            total += b - end
            end = b
    return total


def list_solves(pid, mine, rows):
    """One line per solve of process pid (prepare to finish), numbered
    from the end as --solve K counts them."""
    flat = [(s[0], rows.get(k, f"thread {k[1]}"), s[2], s[3])
            for k, v in mine.items() for s in v]
    starts = sorted(a for n, _, a, _ in flat if n == "prepare")
    ends = sorted(b for n, _, _, b in flat if n == "finish")
    print(f"process {pid}: {len(starts)} solves")
    for i, t0 in enumerate(starts):
        t1 = min([b for b in ends if b > t0] or [t0])
        inside = [x for x in flat if t0 <= x[2] < t1 + 1e-3]
        kernels = sorted((a, b) for n, _, a, b in inside if n == "kernel")
        busy = union_length(kernels)
        # the longest stretch of the span with no kernel running
        gap, g0, end = 0.0, t0, t0
        for a, b in kernels + [(t1, t1)]:
            if a - end > gap:
                gap, g0 = a - end, end
            end = max(end, b)
        g1 = g0 + gap
        over = defaultdict(float)
        for n, row, a, b in inside:
            o = min(b, g1) - max(a, g0)
            if o > 0 and n not in ("prepare", "finish"):
                over[f"{n}@{row}"] += o
        top = sorted(over.items(), key=lambda kv: -kv[1])[:5]
        text = ", ".join(f"{k} {v / 1e3:.2f}" for k, v in top)
        span = (t1 - t0) / 1e3
        print(f"  solve {len(starts) - i:3d} from the end: span {span:7.3f} ms"
              f", kernels {100 * busy / (t1 - t0) if t1 > t0 else 0:3.0f} %"
              f", longest gap {gap / 1e3:6.3f} ms at +{(g0 - t0) / 1e3:.2f}"
              f" ({text})")


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    show = 12
    back = 1  # which solve from the end (--solve K)
    if "--solve" in sys.argv:
        back = int(sys.argv[sys.argv.index("--solve") + 1])
    if "--chunks" in sys.argv:
        show = int(sys.argv[sys.argv.index("--chunks") + 1])
    with open(sys.argv[1]) as f:
        events = json.load(f)
    rows = {}
    spans = defaultdict(list)  # (pid, row) -> [(name, chunk, t0, t1)]
    open_b = {}
    for e in events:
        pid, tid, ph = e.get("pid"), e.get("tid"), e.get("ph")
        if ph == "M":
            rows[(pid, tid)] = e["args"]["name"]
            continue
        chunk = e.get("args", {}).get("chunk")
        if ph == "X":
            spans[(pid, tid)].append(
                (e["name"], chunk, e["ts"], e["ts"] + e.get("dur", 0)))
        elif ph == "B":
            open_b[(pid, tid, e["name"], chunk)] = e["ts"]
        elif ph == "E":
            t0 = open_b.pop((pid, tid, e["name"], chunk), None)
            if t0 is not None:
                spans[(pid, tid)].append((e["name"], chunk, t0, e["ts"]))
    for pid in sorted({p for p, _ in spans}):
        mine = {k: v for k, v in spans.items() if k[0] == pid}
        if "--solves" in sys.argv:
            list_solves(pid, mine, rows)
            continue
        if "--last-solve" in sys.argv or "--solve" in sys.argv:
            starts = [s[2] for v in mine.values() for s in v
                      if s[0] == "prepare"]
            if not starts:  # traces of builds without the solve's spans
                starts = [s[2] for v in mine.values() for s in v
                          if s[0] == "fill" and s[1] == 0]
            if starts:
                starts.sort()
                i = len(starts) - min(back, len(starts))
                t_first = starts[i]
                t_next = starts[i + 1] if i + 1 < len(starts) else float("inf")
                # the solve ends with its "finish" (what follows, such as a
                # benchmark's kernel-only launches, is not the solve's)
                ends = [s[3] for v in mine.values() for s in v
                        if s[0] == "finish" and t_first <= s[2] < t_next]
                if ends:
                    t_next = min(ends) + 1e-3
                mine = {k: [s for s in v if t_first <= s[2] < t_next]
                        for k, v in mine.items()}
                mine = {k: v for k, v in mine.items() if v}
        t_lo = min(s[2] for v in mine.values() for s in v)
        t_hi = max(s[3] for v in mine.values() for s in v)
        span = (t_hi - t_lo) / 1e3
        kernels = [(s[2], s[3]) for v in mine.values() for s in v
                   if s[0] == "kernel"]
        busy = union_length(kernels) / 1e3
        print(f"process {pid}: span {span:.3f} ms, kernels running "
              f"{busy:.3f} ms ({100 * busy / span if span else 0:.0f} %)")
        for key in sorted(mine):
            row = rows.get(key, f"thread {key[1]}")
            by = defaultdict(list)
            for name, _, a, b in mine[key]:
                by[name].append((b - a) / 1e3)
            for name, d in sorted(by.items()):
                print(f"  {row:<18} {name:<10} n={len(d):<4} total "
                      f"{sum(d):8.3f} ms  max {max(d):7.3f} ms")
        chunks = defaultdict(list)
        for v in mine.values():
            for name, c, a, b in v:
                if c is not None:
                    chunks[c].append((a, name, b))
        print("  chunk timeline (ms from the first event: stage start-end)")
        for c in sorted(chunks)[:show]:
            items = sorted(chunks[c])
            text = "  ".join(f"{n} {(a - t_lo) / 1e3:.2f}-{(b - t_lo) / 1e3:.2f}"
                             for a, n, b in items)
            print(f"    {c}: {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
