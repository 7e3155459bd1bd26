"""Golden digests of the bundled models' results: ``python -m tests.engine.golden [--write]``.

The arithmetic of the plan is deterministic by construction (fixed order,
no FMA, no libm), so these bytes must come out the same on every x86-64
machine; ``test_golden`` checks them here and with ``NUMBA_CPU_NAME=generic``.
"""
from __future__ import annotations

import json
import pathlib
import sys

import numpy as np

from mstsim.engine import Simulator

from .bundled_cases import CASES, case_graph, digest, digit_images

GOLDEN = pathlib.Path(__file__).with_name("golden.json")
T = 12
SAMPLES = 5


def compute(dtypes=("float32", "float64")) -> dict:
    out = {}
    for model, ratio, sites in CASES:
        graph = case_graph(model, ratio, sites)
        x = digit_images(SAMPLES, graph.input_node().shape)
        for dtype in dtypes:
            res = Simulator(graph, dtype=np.dtype(dtype), seed=7).run(x, T, detail=True)
            out[f"{model} p={ratio} {sites} {dtype}"] = digest(res) | {
                "acs": res.ledger.total("acs"), "spikes": res.ledger.total("events_out")}
    return out


if __name__ == "__main__":
    dtypes = [a for a in sys.argv[1:] if a.startswith("float")] or ["float32", "float64"]
    values = compute(dtypes)
    if "--write" in sys.argv:
        GOLDEN.write_text(json.dumps(values, indent=1, sort_keys=True) + "\n")
    print(json.dumps(values, sort_keys=True))
