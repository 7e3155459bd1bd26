"""Accuracy of mstsim.kernels.detmath against 60-digit references, within the documented ulp bounds."""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mstsim.kernels import detmath as dm
from tests.kernels import highprec as hp

# the bounds stated in the mstsim.kernels.detmath docstring
BOUND = {"exp": 0.55, "expm1": 0.8, "log": 0.55, "erf": 0.6, "tanh": 0.65, "pow": 0.7}
BOUND_F32 = 0.5 + 2.0 ** -20
FUNCS = {"exp": (dm.det_exp, dm.det_exp_f32, hp.exp_ref), "expm1": (dm.det_expm1, dm.det_expm1_f32, hp.expm1_ref),
         "log": (dm.det_log, dm.det_log_f32, hp.log_ref), "erf": (dm.det_erf, dm.det_erf_f32, hp.erf_ref),
         "tanh": (dm.det_tanh, dm.det_tanh_f32, hp.tanh_ref)}
DBL_MAX = 1.7976931348623157e308


def neighbours(*points: float, k: int = 3) -> list[float]:
    """Each point and its k nearest doubles on either side."""
    out = []
    for p in points:
        lo = hi = p
        out.append(p)
        for _ in range(k):
            lo, hi = math.nextafter(lo, -math.inf), math.nextafter(hi, math.inf)
            out += [lo, hi]
    return out


LN2 = math.log(2)
GRIDS = {
    "exp": np.concatenate([np.linspace(-746, 710, 1501), np.linspace(-0.01, 0.01, 101),
                           neighbours(709.782712893384, -745.1332191019411, -708.3964185322641, -744.44007192138126,
                                      LN2 / 256, -LN2 / 256, 0.0, 5e-324, -5e-324)]),
    "expm1": np.concatenate([np.linspace(-45, 710, 1001), np.linspace(-1, 1, 501), [1e-300, -1e-300, 2 ** -60],
                             neighbours(LN2 / 2, -LN2 / 2, 52.5 * LN2, 53.5 * LN2, -53.5 * LN2, 2 ** -54, -40.0)]),
    "log": np.concatenate([np.linspace(0.01, 4, 801), np.exp(np.linspace(-744, 709, 801)), [5e-324, 1e-310, DBL_MAX],
                           neighbours(1.0, math.sqrt(2), math.sqrt(0.5), 2.0, 0.5, 2.2250738585072014e-308)]),
    "erf": np.concatenate([np.linspace(-6.5, 6.5, 1041), [1e-300, 5e-324, -1e-20, 1e-8, 1.7e-308, -2e-310, 2.0 ** -800],
                           neighbours(0.5, -0.5, 0.5625, 1.0 + 1 / 16, 5.9375, 6.0, 5.86)]),
    "tanh": np.concatenate([np.linspace(-23, 23, 921), np.linspace(-1, 1, 201), [1e-300, 5e-324],
                            neighbours(2 ** -28, -2 ** -28, 22.0, 1.0, 0.5, 0.3465735902799726)]),
}


def check(name: str, x: float) -> None:
    f, _, ref = FUNCS[name]
    got = f(x)
    err = hp.ulp_error(got, ref(x))
    assert err <= BOUND[name], f"det_{name}({x!r}) = {got!r}: {err:.3f} ulp > {BOUND[name]}"


@pytest.mark.parametrize("name", sorted(GRIDS))
def test_dense_grid_and_breakpoints(name):
    for x in GRIDS[name]:
        check(name, float(x))


DOMAINS = {"exp": st.floats(-746.0, 710.0), "expm1": st.floats(-50.0, 710.0), "erf": st.floats(-7.0, 7.0),
           "log": st.floats(0.0, exclude_min=True, allow_infinity=False), "tanh": st.floats(-25.0, 25.0)}


@pytest.mark.parametrize("name", sorted(DOMAINS))
@given(data=st.data())
def test_anywhere_in_the_domain(name, data):
    check(name, data.draw(DOMAINS[name]))


@given(st.floats(-2.0, 2.0))
def test_functions_near_zero_keep_relative_accuracy(x):
    tiny = x * 1e-200
    for name in ("expm1", "erf", "tanh"):
        check(name, tiny)


@given(st.floats(1e-30, 1e30), st.floats(-1.0, 1.0))
def test_pow_general_exponents(x, t):
    y = t * 700.0 / abs(math.log(x)) if x != 1.0 else t
    got = dm.det_pow(x, y)
    err = hp.ulp_error(got, hp.pow_ref(x, y))
    assert err <= BOUND["pow"], f"det_pow({x!r}, {y!r}) = {got!r}: {err:.3f} ulp"


@given(st.floats(-100.0, 100.0).filter(lambda v: v != 0), st.integers(-40, 40))
def test_pow_integer_exponents_of_negative_and_positive_bases(x, n):
    got = dm.det_pow(x, float(n))
    assert hp.ulp_error(got, hp.pow_ref(x, float(n))) <= BOUND["pow"]


@pytest.mark.parametrize("name", sorted(FUNCS))
@given(x=st.floats(-100.0, 100.0, width=32))
def test_float32_wrappers_round_once(name, x):
    _, f32, ref = FUNCS[name]
    if name == "log":
        x = abs(x) or 1.0
    got = f32(np.float32(x))
    assert isinstance(got, np.float32) or type(got) is float
    err = hp.ulp_error_f32(float(got), ref(float(x)))
    assert err <= BOUND_F32 or (math.isinf(got) and abs(float(ref(float(x)))) > 3.4028235e38)
