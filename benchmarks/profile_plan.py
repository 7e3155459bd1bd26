"""Where the plan spends its cycles, per op type and per node: ``python benchmarks/profile_plan.py MODEL.onnx``.

Options: ``--T`` (default 32), ``--batch`` (default 1), ``--top`` nodes (default 15).
Cycles come from the CPU's time-stamp counter around each node (wall time:
a loaded machine inflates them, so compare shares, not totals, across runs).
"""
import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import mstsim  # noqa: E402
from mstsim.engine import Simulator  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model")
    ap.add_argument("--T", type=int, default=32)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--top", type=int, default=15)
    args = ap.parse_args(argv)
    g = mstsim.from_onnx(args.model).graph
    x = np.random.default_rng(0).normal(size=(args.batch,) + g.input_node().shape).astype(np.float32)
    sim = Simulator(g, dtype=np.float32)
    sim.run(x, 2)  # compile
    start = time.perf_counter()
    res, cyc = sim.profile(x, args.T)
    wall = time.perf_counter() - start
    steps = args.T * args.batch
    print(f"{wall / steps * 1e3:.3f} ms per sample-step, load average {os.getloadavg()[0]:.2f}")
    kinds = {}
    for i, n in enumerate(g):
        key = type(n).__name__ + ("" if not n.inputs else f" on {g.kinds[n.inputs[0]]}")
        kinds.setdefault(key, []).append(i)
    total = max(int(cyc.sum()), 1)
    print(f"\n{'op (first input kind)':28s} {'nodes':>5s} {'share':>7s} {'kcycles/step':>13s}")
    for key, idx in sorted(kinds.items(), key=lambda kv: -cyc[kv[1]].sum()):
        c = int(cyc[idx].sum())
        print(f"{key:28s} {len(idx):5d} {c / total:7.1%} {c / steps / 1e3:13.1f}")
    print(f"\n{'node':60s} {'share':>7s} {'kcycles/step':>13s} {'ACs/step':>10s} {'MACs/step':>10s}")
    acs, macs = res.ledger.column("acs"), res.ledger.column("macs")
    for i in np.argsort(-cyc)[:args.top]:
        print(f"{g.nodes[i].name[-60:]:60s} {cyc[i] / total:7.1%} {cyc[i] / steps / 1e3:13.1f} "
              f"{acs[i] / steps:10.0f} {macs[i] / steps:10.0f}")


if __name__ == "__main__":
    main()
