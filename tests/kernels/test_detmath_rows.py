"""softmax_row and layernorm_row: the documented order, float32 = one rounding, close to NumPy."""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from mstsim.kernels import detmath as dm

rows = hnp.arrays(np.float64, st.integers(1, 40), elements=st.floats(-60, 60))


def softmax_in_documented_order(x: np.ndarray) -> list[float]:
    m = -math.inf
    for v in x:
        m = v if v > m else m
    e = [dm.det_exp(float(v) - m) for v in x]
    s = 0.0
    for v in e:
        s += v
    return [v / s for v in e]


def layernorm_in_documented_order(x, w, b, eps) -> list[float]:
    s = 0.0
    for v in x:
        s += float(v)
    mu = s / len(x)
    q = 0.0
    for v in x:
        q += (float(v) - mu) * (float(v) - mu)
    den = math.sqrt(q / len(x) + eps)
    return [(float(v) - mu) / den * float(wi) + float(bi) for v, wi, bi in zip(x, w, b)]


@given(rows)
def test_softmax_is_the_documented_order_and_close_to_numpy(x):
    out, work = np.empty_like(x), np.empty_like(x)
    dm.softmax_row(x, out, work)
    assert np.array_equal(out, softmax_in_documented_order(x))
    e = np.exp(x - x.max())
    np.testing.assert_allclose(out, e / e.sum(), rtol=1e-14, atol=1e-300)
    out2 = np.empty_like(x)
    dm.softmax_row(x, out2, out2)  # work may be out itself
    assert np.array_equal(out, out2)


@given(rows)
def test_softmax_float32_is_the_float64_result_rounded_once(x):
    x32 = x.astype(np.float32)
    out64, out32, work = np.empty(len(x)), np.empty(len(x), np.float32), np.empty(len(x))
    dm.softmax_row(x32.astype(np.float64), out64, work)
    dm.softmax_row(x32, out32, work)
    assert np.array_equal(out32, out64.astype(np.float32))


def test_softmax_of_a_row_does_not_depend_on_where_the_row_sits():
    rng = np.random.default_rng(0)
    x = rng.normal(0, 5, 17)
    want, work = np.empty(17), np.empty(17)
    dm.softmax_row(x, want, work)
    big = rng.normal(0, 5, (9, 40))
    for r, c in ((0, 0), (4, 23), (8, 5)):
        big[r, c:c + 17] = x
        out = np.zeros((9, 40))
        dm.softmax_row(big[r, c:c + 17], out[r, c:c + 17], work)
        assert np.array_equal(out[r, c:c + 17], want)


def test_softmax_masks_nan_and_infinities():
    out, work = np.empty(3), np.empty(3)
    dm.softmax_row(np.array([0.0, -np.inf, 1.0]), out, work)
    assert out[1] == 0.0 and out[0] + out[2] == pytest.approx(1.0)
    for bad in ([1.0, np.nan, 2.0], [-np.inf, -np.inf, -np.inf], [np.inf, 0.0, 1.0]):
        dm.softmax_row(np.array(bad), out, work)
        with np.errstate(invalid="ignore"):
            want = np.exp(np.array(bad) - np.max(bad))
            want = want / want.sum()
        assert np.array_equal(np.isnan(out), np.isnan(want)), bad


@given(rows, st.sampled_from([1e-5, 1e-12, 0.1]))
def test_layernorm_is_the_documented_order_and_close_to_numpy(x, eps):
    n = len(x)
    w, b = np.linspace(0.5, 2.0, n), np.linspace(-1.0, 1.0, n)
    out = np.empty(n)
    dm.layernorm_row(x, w, b, eps, out)
    assert np.array_equal(out, layernorm_in_documented_order(x, w, b, eps))
    d = x - x.mean()
    den = np.sqrt((d * d).mean() + eps)
    want = d / den * w + b
    # summation order moves mu by ~n ulp(max|x|); 1/den amplifies that for rows of near-equal values
    tol = 4 * n * np.finfo(float).eps * (np.abs(x).max() / den * 2 + 2)
    np.testing.assert_allclose(out, want, rtol=0, atol=tol)


@given(rows)
def test_layernorm_float32_is_the_float64_result_rounded_once(x):
    n = len(x)
    x32, w32, b32 = x.astype(np.float32), np.full(n, 1.5, np.float32), np.full(n, 0.25, np.float32)
    out64, out32 = np.empty(n), np.empty(n, np.float32)
    dm.layernorm_row(x32.astype(np.float64), w32.astype(np.float64), b32.astype(np.float64), 1e-5, out64)
    dm.layernorm_row(x32, w32, b32, 1e-5, out32)
    assert np.array_equal(out32, out64.astype(np.float32))
