"""Measure the max ulp error of every mstsim.kernels.detmath function.

Run ``python -m tests.kernels.measure_ulp [n]``: draws ``n`` points per range
(seeded), compares with the 60-digit references in ``highprec`` and prints
the max error per function and range. The docstrings of
``mstsim.kernels.detmath`` quote its output; the tests check those bounds on
smaller samples.
"""
import math
import sys

import numpy as np

from mstsim.kernels import detmath as dm
from tests.kernels import highprec as hp


def samples(rng: np.random.Generator, lo: float, hi: float, n: int, log: bool = False) -> np.ndarray:
    """Uniform in [lo, hi], or log-uniform in magnitude (both signs if lo < 0)."""
    if not log:
        return rng.uniform(lo, hi, n)
    mag = np.exp(rng.uniform(math.log(lo), math.log(hi), n))
    return mag * rng.choice([-1.0, 1.0], n)


CASES = {
    # name: (function, reference, [(lo, hi, log-uniform?)])
    "exp": (dm.det_exp, hp.exp_ref, [(-1.0, 1.0, False), (-745.1, 709.78, False), (1e-300, 1.0, True)]),
    "expm1": (dm.det_expm1, hp.expm1_ref, [(-1.0, 1.0, False), (-40.0, 709.0, False), (1e-300, 1.0, True)]),
    "log": (dm.det_log, hp.log_ref, [(0.5, 2.0, False), (1e-320, 1e308, True)]),
    "erf": (dm.det_erf, hp.erf_ref, [(-1.0, 1.0, False), (-6.5, 6.5, False), (1e-300, 1.0, True)]),
    "tanh": (dm.det_tanh, hp.tanh_ref, [(-1.0, 1.0, False), (-25.0, 25.0, False), (1e-300, 1.0, True)]),
}


def max_ulp(f, ref, xs) -> tuple[float, float]:
    worst, at = 0.0, math.nan
    for x in xs:
        x = float(abs(x)) if f is dm.det_log else float(x)
        e = hp.ulp_error(f(x), ref(x))
        if e > worst:
            worst, at = e, x
    return worst, at


def pow_points(rng: np.random.Generator, n: int):
    x = np.exp(rng.uniform(-30, 30, n))
    y = rng.uniform(-700, 700, n) / np.abs(np.log(x))  # |y log x| <= 700
    xi = rng.uniform(-50, 50, n)
    yi = rng.integers(-4, 5, n).astype(float)
    yb = rng.integers(5, 60, n).astype(float) * rng.choice([-1, 1], n)
    return [("x>0, |y log x|<=700", zip(x, y)), ("x in [-50,50], integer |y|<=4", zip(xi, yi)),
            ("x in [-50,50], integer 5<=|y|<60", zip(xi, yb))]


def main(n: int = 20000) -> None:
    rng = np.random.default_rng(20261201)
    for name, (f, ref, ranges) in CASES.items():
        for lo, hi, log in ranges:
            worst, at = max_ulp(f, ref, samples(rng, lo, hi, n, log))
            print(f"{name:6s} [{lo:g}, {hi:g}]{' log' if log else ''}: max {worst:.3f} ulp at {at!r}")
    for label, pts in pow_points(rng, n):
        worst, at = 0.0, None
        for x, y in pts:
            got = dm.det_pow(float(x), float(y))
            if got == 0 or math.isinf(got):
                continue
            e = hp.ulp_error(got, hp.pow_ref(float(x), float(y)))
            if e > worst:
                worst, at = e, (float(x), float(y))
        print(f"pow    {label}: max {worst:.3f} ulp at {at!r}")
    for name, (f, ref, ranges) in CASES.items():
        f32 = getattr(dm, f"det_{name}_f32")
        worst, at = 0.0, math.nan
        for lo, hi, log in ranges:
            lo32, hi32 = (max(lo, -87.0), min(hi, 88.0)) if name in ("exp", "expm1") else (lo, hi)
            for x in samples(rng, lo32, hi32, n // 4, log):
                x = np.float32(abs(x) if name == "log" else x)
                got = f32(x)
                if math.isinf(got) or got == 0:
                    continue
                e = hp.ulp_error_f32(float(got), ref(float(x)))
                if e > worst:
                    worst, at = e, float(x)
        print(f"{name}_f32: max {worst:.4f} float32 ulp at {at!r}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20000)
