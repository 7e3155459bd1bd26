"""Special values and exact ops of mstsim.kernels.detmath match NumPy / ONNX bit for bit."""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mstsim.ir.analog import ELEMENTWISE
from mstsim.kernels import detmath as dm
from tests.kernels import highprec as hp

INF, NAN = math.inf, math.nan
SPECIAL = [0.0, -0.0, 5e-324, -5e-324, 2.2250738585072014e-308, 0.5, -0.5, 1.0, -1.0, 1.5, -2.5, 2.0, 3.0, -3.0,
           0.49999999999999994, 4503599627370495.5, 4503599627370497.0, 2.0 ** 53, 1e300, -1e300, INF, -INF, NAN]


def same(a: float, b: float) -> bool:
    """Bit-identical, except that any nan equals any nan."""
    return (math.isnan(a) and math.isnan(b)) or np.float64(a).tobytes() == np.float64(b).tobytes()


@pytest.mark.parametrize("fn, ref", [(dm.det_round, np.round), (dm.det_floor, np.floor), (dm.det_ceil, np.ceil),
                                     (dm.det_trunc, np.trunc), (dm.det_sqrt, np.sqrt),
                                     (dm.det_reciprocal, np.reciprocal)])
def test_exact_unary_ops_equal_numpy(fn, ref):
    with np.errstate(all="ignore"):
        xs = SPECIAL + [k + 0.5 for k in range(-6, 6)] + [-k - 0.25 for k in range(4)]
        bad = [x for x in xs if not same(fn(x), float(ref(np.float64(x))))]
    assert not bad, f"{fn.__name__} differs from {ref.__name__} at {bad}"


@given(st.floats())
def test_exact_unary_ops_equal_numpy_anywhere(x):
    with np.errstate(all="ignore"):
        for fn, ref in ((dm.det_round, np.round), (dm.det_floor, np.floor), (dm.det_ceil, np.ceil),
                        (dm.det_trunc, np.trunc), (dm.det_sqrt, np.sqrt), (dm.det_reciprocal, np.reciprocal)):
            assert same(fn(x), float(ref(np.float64(x)))), (fn.__name__, x)


@pytest.mark.parametrize("fn, ref", [(dm.det_maximum, np.maximum), (dm.det_minimum, np.minimum)])
def test_maximum_minimum_equal_numpy_with_nan_and_signed_zeros(fn, ref):
    for a in SPECIAL:
        for b in SPECIAL:
            assert same(fn(a, b), float(ref(np.array([a]), np.array([b]))[0])), (a, b)


@pytest.mark.parametrize("fn, cases", [
    (dm.det_exp, [(NAN, NAN), (INF, INF), (-INF, 0.0), (0.0, 1.0), (-0.0, 1.0), (5e-324, 1.0), (710.0, INF),
                  (-746.0, 0.0), (-745.1332191019411, 5e-324), (709.7827128933841, INF)]),
    (dm.det_expm1, [(NAN, NAN), (INF, INF), (-INF, -1.0), (0.0, 0.0), (-0.0, -0.0), (5e-324, 5e-324),
                    (-5e-324, -5e-324), (-50.0, -1.0), (710.0, INF)]),
    (dm.det_log, [(NAN, NAN), (INF, INF), (-INF, NAN), (0.0, -INF), (-0.0, -INF), (-1.0, NAN), (1.0, 0.0),
                  (5e-324, -744.4400719213812), (2.0, math.log(2))]),
    (dm.det_erf, [(NAN, NAN), (INF, 1.0), (-INF, -1.0), (0.0, 0.0), (-0.0, -0.0), (6.0, 1.0), (-6.0, -1.0),
                  (5e-324, 5e-324)]),
    (dm.det_tanh, [(NAN, NAN), (INF, 1.0), (-INF, -1.0), (0.0, 0.0), (-0.0, -0.0), (23.0, 1.0), (-23.0, -1.0),
                   (5e-324, 5e-324), (-1e-300, -1e-300)]),
])
def test_special_values(fn, cases):
    bad = [(x, fn(x), want) for x, want in cases if not same(fn(x), want)]
    assert not bad, f"{fn.__name__}: (input, got, expected) {bad}"


POW_X = [0.0, -0.0, 1.0, -1.0, 2.0, -2.0, 0.5, -0.5, 5e-324, -3.7, 1e300, INF, -INF, NAN]
POW_Y = [0.0, -0.0, 1.0, -1.0, 2.0, -2.0, 3.0, -3.0, 0.5, -0.5, 1.5, 2.0 ** 53, 2.0 ** 53 + 2, 1e300, -1e300,
         INF, -INF, NAN]


def test_pow_special_cases_follow_c99_like_numpy_with_an_array_exponent():
    with np.errstate(all="ignore"):
        for x in POW_X:
            for y in POW_Y:
                want = float(np.power(np.array([x]), np.array([y]))[0])
                got = dm.det_pow(x, y)
                if want == 0 or math.isinf(want) or math.isnan(want) or abs(want) == 1:
                    assert same(got, want), f"det_pow({x!r}, {y!r}) = {got!r}, C99 pow gives {want!r}"
                else:
                    assert hp.ulp_error(got, hp.pow_ref(x, y)) <= 0.7, (x, y, got)


def test_pow_small_integer_exponents_are_single_roundings():
    for x in [3.3, -7.1, 1e-5, 123456.789, -0.001]:
        assert same(dm.det_pow(x, 2.0), x * x) and same(dm.det_pow(x, -1.0), 1 / x) and same(dm.det_pow(x, 1.0), x)
        assert same(dm.det_pow(x, 0.5 if x > 0 else 2.0), math.sqrt(x) if x > 0 else x * x)


def test_opcodes_cover_every_elementwise_op():
    assert set(dm.OPCODES) == set(ELEMENTWISE) and len(dm.OP_NAMES) == len(set(dm.OP_NAMES))
    assert math.isnan(dm.apply_elementwise(len(dm.OP_NAMES), 1.0, 1.0, 1.0))
    assert math.isnan(dm.apply_elementwise(-1, 1.0, 1.0, 1.0))


EXACT_OPS = {"add", "sub", "mul", "div", "max", "min", "equal", "greater", "less", "where", "clip", "relu", "floor",
             "round", "sqrt", "neg", "abs", "reciprocal", "trunc", "ne0"}


@pytest.mark.parametrize("op", sorted(ELEMENTWISE))
def test_apply_elementwise_matches_the_numpy_op(op):
    rng = np.random.default_rng(3)
    vals = np.array(SPECIAL + rng.normal(0, 3, 40).tolist() + rng.integers(-3, 4, 10).tolist(), dtype=np.float64)
    a, b, c = vals, np.roll(vals, 7), np.roll(vals, 19)
    fn, arity, _ = ELEMENTWISE[op]
    with np.errstate(all="ignore"):
        want = np.asarray(fn(*(a, b, c)[:arity]), dtype=np.float64)
        got = np.array([dm.apply_elementwise(dm.OPCODES[op], x, y, z) for x, y, z in zip(a, b, c)])
    if op in EXACT_OPS:
        bad = [(x, y, z, g, w) for x, y, z, g, w in zip(a, b, c, got, want) if not same(g, w)]
        assert not bad, f"{op}: (a, b, c, got, numpy) {bad[:5]}"
    else:  # transcendental: the detmath function itself, close to NumPy's
        single = {"exp": dm.det_exp, "erf": dm.det_erf, "tanh": dm.det_tanh}.get(op)
        ours = [single(x) if single else dm.det_pow(x, y) for x, y in zip(a, b)]
        assert all(same(g, o) for g, o in zip(got, ours))
        finite = np.isfinite(want) & (want != 0)
        np.testing.assert_allclose(got[finite], want[finite], rtol=4e-16)
        assert all(same(g, w) for g, w in zip(got[~finite], want[~finite]))


def test_float32_basic_ops_through_float64_equal_float32_arithmetic():
    rng = np.random.default_rng(5)
    a, b = rng.normal(0, 10, 500).astype(np.float32), rng.normal(0, 10, 500).astype(np.float32)
    for op, ref in (("add", a + b), ("sub", a - b), ("mul", a * b), ("div", a / b)):
        got = np.array([dm.apply_elementwise(dm.OPCODES[op], x, y, 0.0) for x, y in zip(a, b)], np.float64)
        assert np.array_equal(got.astype(np.float32).view(np.uint32), ref.view(np.uint32)), op
    assert np.array_equal(np.array([dm.det_sqrt_f32(x) for x in np.abs(a)]), np.sqrt(np.abs(a)))


def test_fp_environment_is_the_default_one():
    assert dm.fp_environment_ok(1.0)
