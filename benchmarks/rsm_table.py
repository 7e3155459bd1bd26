"""ACs and energy of an MST-style model at several Random Spike Masking ratios.

Usage: python benchmarks/rsm_table.py [MODEL.onnx] [--T 32] [--samples 32] [--sites attention]
Prints a markdown table: per sample, exact ACs (all and attention MatMuls), MACs,
events dropped, energy, and the ratio to the unmasked run.
"""
from __future__ import annotations

import argparse
import pathlib
import sys

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import mstsim  # noqa: E402
from mstsim.ir.attention import MatMul  # noqa: E402
from mstsim.ledger import COL  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model", nargs="?", default=str(ROOT / "tests/fixtures/onnx/mst_torchscript.onnx"))
    p.add_argument("--T", type=int, default=32)
    p.add_argument("--samples", type=int, default=32)
    p.add_argument("--sites", default="attention")
    p.add_argument("--ratios", default="0,0.5,0.75")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    net = mstsim.from_onnx(args.model)
    x = np.random.default_rng(args.seed).uniform(0, 1, (args.samples,) + net.input_shape).astype(np.float32)
    print(f"{pathlib.Path(args.model).name}, {args.samples} seeded random inputs, T = {args.T}, "
          f"masks on {args.sites!r} sites, seed {args.seed}\n")
    print("| ratio | ACs/sample | q k^T ACs/sample | P v ACs/sample | MACs/sample | events dropped/sample "
          "| energy/sample (uJ) | energy vs ratio 0 |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    base = None
    for ratio in (float(r) for r in args.ratios.split(",")):
        led = net.simulate(x, T=args.T, rsm={"ratio": ratio, "sites": args.sites}, seed=args.seed).ledger
        g = net.configured({"ratio": ratio, "sites": args.sites})
        acs = {True: 0, False: 0}  # keyed by "both operands spiking" (q k^T) or not (P v)
        for i, n in enumerate(g):
            if isinstance(n, MatMul):
                acs[all(g.kinds[s] == "event" for s in n.inputs)] += int(led.totals[i, COL["acs"]])
        energy = led.energy_pj() / led.samples / 1e6
        base = energy if base is None else base
        print(f"| {ratio:g} | {led.per_sample('acs'):,.0f} | {acs[True] / led.samples:,.0f} | "
              f"{acs[False] / led.samples:,.0f} | "
              f"{led.per_sample('macs'):,.0f} | {led.per_sample('events_dropped'):,.0f} | {energy:.4f} | "
              f"{energy / base:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
