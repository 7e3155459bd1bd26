"""The softmax's branch-free exp gives det_exp's bits on its whole domain, and softmax those of softmax_row."""
import math

import numba as nb
import numpy as np
import pytest

from mstsim.kernels.detmath import det_exp
from mstsim.kernels.detmath.expo import EXP_NORMAL_MIN, INV_LN2_128, exp_nonpositive
from mstsim.kernels.detmath.rows import softmax_row
from mstsim.kernels.sample_analog import softmax


@nb.njit
def _both(xs, fast, ref):
    for i in range(xs.size):
        fast[i] = exp_nonpositive(xs[i])
        ref[i] = det_exp(xs[i])


def _bits_equal(xs):
    fast, ref = np.empty_like(xs), np.empty_like(xs)
    _both(xs, fast, ref)
    bad = np.flatnonzero(fast.view(np.int64) != ref.view(np.int64))
    assert bad.size == 0, [(float.hex(xs[i]), fast[i], ref[i]) for i in bad[:5]]


def test_equal_on_random_points_of_the_domain():
    rng = np.random.default_rng(11)
    _bits_equal(np.concatenate([rng.uniform(EXP_NORMAL_MIN, 0.0, 400_000),
                                -np.exp(rng.uniform(-745, math.log(708), 200_000))]))  # every scale


def test_equal_at_the_rounding_boundaries_of_the_reduction():
    """Where z - 0.5 = x / (ln2/128) - 0.5 is (nearly) an integer, and where j or k change."""
    n = np.arange(-130_743, 1, dtype=np.float64)
    x = (n + 0.5) / INV_LN2_128
    near = [x]
    for steps in (1, 2, 3):
        near += [np.nextafter(x, x - steps), np.nextafter(x, x + steps)]
    xs = np.clip(np.concatenate(near), EXP_NORMAL_MIN, 0.0)
    _bits_equal(xs)


def test_equal_at_the_edges():
    _bits_equal(np.array([EXP_NORMAL_MIN, np.nextafter(EXP_NORMAL_MIN, 0), 0.0, -0.0, -5e-324, -1e-300,
                          -2.0 ** -54, -2.0 ** -53, -1e-10, -0.5, -1.0, -np.log(2), -700.0]))


def _reference(x):
    """softmax_row (det_exp per element) over the last axis."""
    out = np.empty(x.shape)
    for r in range(x.shape[0]):
        softmax_row(x[r], out[r], np.empty(x.shape[1]))
    return out


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_softmax_equals_the_scalar_row_softmax_with_tails_and_specials(dtype):
    rng = np.random.default_rng(5)
    x = rng.normal(0, 30, size=(64, 49)).astype(dtype)
    x[1, 3] = np.nan
    x[2, :] = -np.inf
    x[3, 5] = -np.inf
    x[4, 7] = np.inf
    x[5, 0] = 800.0  # others below max - 708: the tail, subnormal or 0
    x[6, :] = rng.uniform(-750, -700, 49)
    x[6, 0] = 0.0
    if dtype == np.float64:
        x[7, 1] = -1e300
    flat = np.ascontiguousarray(x).reshape(-1)
    out = np.empty(x.size, dtype)
    softmax(flat, 0, x.shape[0], x.shape[1], 1, out, 0)
    ref = _reference(x.astype(np.float64)).astype(dtype)
    assert np.array_equal(out.view(np.uint8), ref.reshape(-1).view(np.uint8))


def test_softmax_over_a_middle_axis_equals_the_row_softmax():
    rng = np.random.default_rng(8)
    x = rng.normal(0, 300, size=(5, 17, 3))  # (outer, n, inner): softmax along axis 1, wide enough for tails
    x[0, 4, 1] = np.nan
    x[2, :, 0] = -np.inf
    out = np.empty(x.size)
    softmax(x.reshape(-1), 0, 5, 17, 3, out, 0)
    ref = _reference(np.moveaxis(x, 1, 2).reshape(-1, 17)).reshape(5, 3, 17)
    expected = np.ascontiguousarray(np.moveaxis(ref, 2, 1)).reshape(-1)
    assert np.array_equal(out.view(np.int64), expected.view(np.int64))
