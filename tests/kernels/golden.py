"""Golden bits of mstsim.kernels.detmath: exact float64/float32 outputs for fixed inputs.

The arithmetic is deterministic by construction (no libm, no FMA, fixed
order), so these bit patterns must come out on every x86-64 machine, with or
without AVX. ``python -m tests.kernels.golden --check`` recomputes the table
and exits 1 listing any difference (the test runs it in-process and once in
a subprocess with ``NUMBA_CPU_NAME=generic``); ``--write`` regenerates
``detmath_golden.json`` after a deliberate change of an algorithm.
"""
import json
import math
import os
import re
import sys
from pathlib import Path

import numpy as np

from mstsim.kernels import detmath as dm

TABLE = Path(__file__).with_name("detmath_golden.json")
EDGES = [0.0, -0.0, 5e-324, -5e-324, 2.2250738585072014e-308, 1e-300, 2.0 ** -28, 1e-8, 0.5, -0.5, 1.0, -1.0,
         1.5, 2.5, -2.5, 0.34657359027997264, 6.0, 22.0, 36.7, 709.782712893384, 709.7827128933841,
         -745.1332191019411, -745.1332191019412, -708.4, 1e308, -1e308, math.inf, -math.inf, math.nan]
UNARY = ["det_exp", "det_expm1", "det_log", "det_erf", "det_tanh", "det_gelu", "det_gelu_tanh", "det_sqrt",
         "det_reciprocal", "det_round", "det_floor", "det_ceil", "det_trunc"]
UNARY_F32 = ["det_exp_f32", "det_expm1_f32", "det_log_f32", "det_erf_f32", "det_tanh_f32", "det_gelu_f32",
             "det_gelu_tanh_f32", "det_sqrt_f32", "det_reciprocal_f32"]


def _hex64(x: float) -> str:
    return np.float64(x).view(np.uint64).item().to_bytes(8, "big").hex()


def _hex32(x) -> str:
    return np.float32(x).view(np.uint32).item().to_bytes(4, "big").hex()


def _f64(h: str) -> float:
    return float(np.frombuffer(bytes.fromhex(h)[::-1], np.float64)[0])


def _f32(h: str) -> np.float32:
    return np.frombuffer(bytes.fromhex(h)[::-1], np.float32)[0]


def make_inputs() -> dict:
    """Edge cases plus seeded random values in each function's interesting range."""
    rng = np.random.default_rng(8)
    spread = np.concatenate([rng.uniform(-1, 1, 12), rng.uniform(-40, 40, 12), rng.normal(0, 300, 6),
                             np.exp(rng.uniform(-700, 700, 6))])
    xs = [_hex64(v) for v in EDGES + spread.tolist()]
    x32 = [_hex32(v) for v in np.float32(EDGES[:20] + spread[:30].tolist())]
    bases = np.concatenate([rng.uniform(-5, 5, 10), [0.0, -0.0, 2.0, -8.0, 0.5, math.inf, -math.inf, math.nan, 1.0]])
    exps = np.concatenate([rng.uniform(-30, 30, 10), [0.5, 2.0, -1.0, 3.0, -2.0, 1 / 3, math.inf, 0.0, math.nan]])
    pairs = [[_hex64(a), _hex64(b)] for a in bases for b in exps]
    rows = [[_hex64(v) for v in rng.normal(0, s, n)] for s, n in ((1.0, 7), (30.0, 16), (1e-3, 5))]
    return {"x64": xs, "x32": x32, "pow": pairs, "rows": rows}


def compute(inputs: dict) -> dict:
    """Every output of the table as hex bit patterns, keyed by function name."""
    xs = [_f64(h) for h in inputs["x64"]]
    x32 = [_f32(h) for h in inputs["x32"]]
    out = {name: [_hex64(getattr(dm, name)(x)) for x in xs] for name in UNARY}
    out.update({name: [_hex32(getattr(dm, name)(x)) for x in x32] for name in UNARY_F32})
    out["det_pow"] = [_hex64(dm.det_pow(_f64(a), _f64(b))) for a, b in inputs["pow"]]
    out["det_pow_f32"] = [_hex32(dm.det_pow_f32(np.float32(_f64(a)), np.float32(_f64(b)))) for a, b in inputs["pow"]]
    out["softmax_row"], out["layernorm_row"] = [], []
    for row in inputs["rows"]:
        x = np.array([_f64(h) for h in row])
        for dtype, fmt in ((np.float64, _hex64), (np.float32, _hex32)):
            y, work = np.empty(len(x), dtype), np.empty(len(x))
            dm.softmax_row(x.astype(dtype), y, work)
            out["softmax_row"] += [fmt(v) for v in y]
            dm.layernorm_row(x.astype(dtype), np.linspace(0.5, 1.5, len(x)), np.linspace(-1, 1, len(x)), 1e-5, y)
            out["layernorm_row"] += [fmt(v) for v in y]
    return out


def differences(table: dict) -> list[str]:
    got = compute(table["inputs"])
    bad = []
    for name, expected in table["outputs"].items():
        for i, (e, g) in enumerate(zip(expected, got[name])):
            if e != g:
                bad.append(f"{name}[{i}]: expected {e}, got {g}")
        if len(expected) != len(got[name]):
            bad.append(f"{name}: {len(expected)} golden values, computed {len(got[name])}")
    return bad


def uses_vex(fn) -> bool:
    """Whether the code of a compiled scalar function contains AVX (VEX-encoded) instructions."""
    asm = fn.inspect_asm(fn.signatures[0])
    return re.search(r"^\s+v[a-z0-9]+\s", asm, re.M) is not None


def main(argv: list[str]) -> int:
    if "--write" in argv:
        inputs = make_inputs()
        TABLE.write_text(json.dumps({"inputs": inputs, "outputs": compute(inputs)}, indent=0) + "\n")
        return 0
    table = json.loads(TABLE.read_text())
    bad = differences(table)
    n = sum(len(v) for v in table["outputs"].values())
    cpu = os.environ.get("NUMBA_CPU_NAME", "host")
    if cpu == "generic" and uses_vex(dm.det_exp):
        bad.append("NUMBA_CPU_NAME=generic but det_exp was compiled with AVX instructions")
    print("\n".join(bad[:50]) if bad else f"ok: {n} golden values bit-identical (cpu={cpu})")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
