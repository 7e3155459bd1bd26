"""The Affine kernels give the bits of the plain rule: per output, one rounded multiply and one rounded
add per event, in event order.

``scatter_linear`` takes runs of four events of one row in one pass, and ``dense_linear`` adds every
input of a row, zeros included, four at a time; neither may change a bit. The reference here is a
Python loop over NumPy scalars of the same dtype, one event at a time.
"""
import numpy as np
import pytest
from hypothesis import given, strategies as st

from mstsim.kernels.dense_linear import dense_linear
from mstsim.kernels.sample_synapses import compact, scatter_linear


def _one_by_one(idx, val, w_t, n_in, out):
    """out[lead, :] += val * w_t[i, :], event after event, in the dtype of out."""
    for e in range(idx.size):
        lead, i = divmod(int(idx[e]), n_in)
        for o in range(w_t.shape[1]):
            out[lead, o] = out[lead, o] + val[e] * w_t[i, o]
    return out


def _bits(a):
    return a.view(np.int32 if a.dtype == np.float32 else np.int64)


def _values(rng, size, dtype, zeros):
    """Values whose products and sums round (not dyadic), some exactly zero or negative zero."""
    v = rng.standard_normal(size) * np.exp(rng.uniform(-4, 4, size))
    v[rng.random(size) < zeros] = 0.0
    v[rng.random(size) < zeros / 4] = -0.0
    return v.astype(dtype)


@given(seed=st.integers(0, 2**32 - 1), rows=st.integers(1, 5), n_in=st.integers(1, 9), n_out=st.integers(1, 19),
       n=st.integers(0, 40), order=st.sampled_from(["ascending", "any", "runs"]),
       dtype=st.sampled_from([np.float32, np.float64]))
def test_scatter_equals_one_event_at_a_time(seed, rows, n_in, n_out, n, order, dtype):
    rng = np.random.default_rng(seed)
    if order == "ascending":  # spikes
        idx = np.sort(rng.choice(rows * n_in, size=min(n, rows * n_in), replace=False))
    elif order == "any":  # events merged by an Add: any order, repeats
        idx = rng.integers(0, rows * n_in, size=n)
    else:  # runs of one row of every length, repeats inside a run
        idx = np.concatenate([rng.integers(0, n_in, size=rng.integers(1, 7)) + r * n_in
                              for r in rng.integers(0, rows, size=max(n // 4, 1))])
    idx = idx.astype(np.int64)
    val = _values(rng, idx.size, dtype, 0.1)
    w_t = _values(rng, (n_in, n_out), dtype, 0.1)
    start = _values(rng, (rows, n_out), dtype, 0.2)
    out = start.copy()
    scatter_linear(idx, val, idx.size, w_t.reshape(-1), 0, n_in, n_out, out.reshape(-1), 0)
    assert np.array_equal(_bits(out), _bits(_one_by_one(idx, val, w_t, n_in, start.copy())))


@given(seed=st.integers(0, 2**32 - 1), rows=st.integers(1, 6), n_in=st.integers(1, 11), n_out=st.integers(1, 21),
       zeros=st.sampled_from([0.0, 0.1, 0.5, 1.0]), dtype=st.sampled_from([np.float32, np.float64]))
def test_dense_equals_the_scatter_of_the_compacted_input(seed, rows, n_in, n_out, zeros, dtype):
    rng = np.random.default_rng(seed)
    x = _values(rng, rows * n_in, dtype, zeros)
    w_t = _values(rng, (n_in, n_out), dtype, 0.1)
    idx, val = np.empty(x.size, np.int64), np.empty(x.size, dtype)
    n = compact(x, x.size, idx, val)
    want = np.zeros(rows * n_out, dtype)
    scatter_linear(idx, val, n, w_t.reshape(-1), 0, n_in, n_out, want, 0)
    pad = 3  # offsets into larger arrays, as in the workspace; what lies around is untouched
    xs = np.concatenate([np.full(pad, np.nan, dtype), x])
    ws = np.concatenate([np.full(pad, np.nan, dtype), w_t.reshape(-1)])
    got = np.full(rows * n_out + 2 * pad, 7.0, dtype)
    dense_linear(xs, pad, rows, ws, pad, n_in, n_out, got, pad)
    assert np.array_equal(_bits(got[pad:-pad]), _bits(want))
    assert np.all(got[:pad] == 7.0) and np.all(got[-pad:] == 7.0)
    assert not np.any(_bits(want) == _bits(np.array([-0.0], dtype))[0])  # a sum from +0 is never -0


def test_a_non_finite_weight_would_differ_so_the_plan_keeps_the_scatter():
    """0 * inf is nan: the reason the plan runs the dense kernel only for finite weights."""
    x = np.array([0.0, 1.0], np.float32)
    w_t = np.array([[np.inf], [1.0]], np.float32)
    dense = np.zeros(1, np.float32)
    dense_linear(x, 0, 1, w_t.reshape(-1), 0, 2, 1, dense, 0)
    idx, val = np.empty(2, np.int64), np.empty(2, np.float32)
    n = compact(x, 2, idx, val)
    scatter = np.zeros(1, np.float32)
    scatter_linear(idx, val, n, w_t.reshape(-1), 0, 2, 1, scatter, 0)
    assert np.isnan(dense[0]) and scatter[0] == 1.0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_engine_runs_the_dense_kernel_only_for_finite_weights(dtype):
    from mstsim.engine.plan import build_plan
    from mstsim.ir import Affine, Graph, Input
    from mstsim.kernels import plan_layout as L

    w = np.ones((3, 4))
    for weight, flag in [(w, 1), (np.where(w == 1, 1e300, 0), int(dtype == np.float64))]:
        g = Graph([Input("x", shape=(2, 4)), Affine("fc", inputs=("x",), weight=weight * np.ones((3, 4)))])
        with np.errstate(over="ignore"):  # 1e300 is inf in float32
            plan = build_plan(g, dtype)
        assert plan.code[1, L.P0 + 8] == flag
