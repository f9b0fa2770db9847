#!/usr/bin/env python3
"""lorenz_reference.py - distils the Lorenz ensemble reference of
DifferentialEquations.jl (../shared/reference/lorenz-julia) into the small
files the numerics tests read from tests/data/lorenz/, so that the tests run
on a clone where the reference directory does not exist.

usage: tools/lorenz_reference.py [REFERENCE_DIR] [OUT_DIR]

Writes:
  golden.csv        copy of the float64 golden final states (traj,rho,x,y,z)
  julia_errors.csv  method,mode,param,error: Julia's error per fixed dt or
                    adaptive tol, computed by the reference's protocol: the
                    max over trajectories of |final - golden| / scale with
                    scale = max |golden| over the ensemble (per component,
                    max over x, y, z)
  controller_constants.csv, algorithms.csv: copies (explicit methods only)
  pins.csv          the adaptive pins: dt0, dt_min, dt_max
"""
import csv
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
ref = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    here, "..", "..", "shared", "reference", "lorenz-julia")
out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(
    here, "..", "tests", "data", "lorenz")
os.makedirs(out, exist_ok=True)


def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


golden = rows(os.path.join(ref, "golden.csv"))
g = {int(r["traj"]): (float(r["x"]), float(r["y"]), float(r["z"]))
     for r in golden}
scale = max(abs(v) for s in g.values() for v in s)

with open(os.path.join(ref, "golden.csv")) as f, \
        open(os.path.join(out, "golden.csv"), "w") as o:
    o.write(f.read())

algs = rows(os.path.join(ref, "algorithms.csv"))
explicit = [a["cubie_alias"] for a in algs if a["family"] == "erk"]
# Julia's errors are distilled for the implicit methods too (their tests
# live in tests/implicit); the table copies stay explicit-only.
every = [a["cubie_alias"] for a in algs]

errors = []
for mode, key in (("fixed", "dt"), ("adaptive", "tol")):
    for name in every:
        path = os.path.join(ref, mode, name + ".csv")
        if not os.path.exists(path):
            continue
        err = {}
        for r in rows(path):
            p = r[key]
            t = int(r["traj"])
            gx = g[t]
            e = max(abs(float(r[c]) - gx[i]) for i, c in enumerate("xyz"))
            e = e / scale if e == e else float("inf")
            err[p] = max(err.get(p, 0.0), e)
        for p, e in sorted(err.items(), key=lambda kv: -float(kv[0])):
            errors.append((name, mode, p, e))

with open(os.path.join(out, "julia_errors.csv"), "w") as o:
    o.write("method,mode,param,error\n")
    for name, mode, p, e in errors:
        o.write("%s,%s,%s,%.9g\n" % (name, mode, p, e))

for fn in ("controller_constants.csv", "algorithms.csv"):
    with open(os.path.join(ref, fn)) as f, open(os.path.join(out, fn), "w") as o:
        lines = f.read().splitlines()
        o.write(lines[0] + "\n")
        for line in lines[1:]:
            if line.split(",")[0] in explicit:
                o.write(line + "\n")

with open(os.path.join(out, "pins.csv"), "w") as o:
    o.write("dt0,dt_min,dt_max,scale\n0.01,1e-06,0.5,%.17g\n" % scale)
print("wrote %d error rows for %d methods to %s" %
      (len(errors), len(every), out))
