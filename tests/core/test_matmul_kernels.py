"""Per-sample spike product kernels against dense products and brute-force coincidence counts."""
import numpy as np
from hypothesis import given, strategies as st

from mstsim.kernels.sample_attention import analog_spike, spike_analog, spike_spike


def random_events(rng, shape, density):
    """Events of one sample (ascending, amplitudes of different IFs), their dense sum and counts."""
    counts = (rng.random(shape) < density).astype(np.int64)
    idx = np.flatnonzero(counts).astype(np.int64)
    val = rng.choice([0.25, 0.5, 1.0], size=idx.shape)
    dense = np.zeros(counts.size)
    dense[idx] = val
    return idx, val, dense.reshape(shape), counts


dims = st.tuples(st.integers(1, 3), st.integers(1, 4), st.integers(1, 5), st.integers(1, 4),
                 st.floats(0.0, 1.0), st.integers(0, 2**31 - 1))


@given(dims)
def test_spike_spike_equals_dense_and_counts_coincidences(case):
    lead, m, k, n, density, seed = case
    rng = np.random.default_rng(seed)
    a_idx, a_val, a_dense, a_cnt = random_events(rng, (lead, m, k), density)
    b_idx, b_val, b_dense, b_cnt = random_events(rng, (lead, k, n), density)
    out = np.full(lead * m * n + 3, 7.0)  # the product is written from offset 2, the rest untouched
    start = np.zeros(lead * k + 1, np.int64)
    cols, vals = np.zeros(b_idx.size + 1, np.int64), np.zeros(b_idx.size + 1)
    acs = spike_spike(a_idx, a_val, a_idx.size, b_idx, b_val, b_idx.size, lead, m, k, n, start, cols, vals, out, 2)
    assert np.array_equal(out[2:-1].reshape(lead, m, n), a_dense @ b_dense)
    assert out[0] == out[1] == out[-1] == 7.0
    brute = sum(int(a_cnt[l, i, d]) * int(b_cnt[l, d, j]) for l in range(lead)
                for i in range(m) for d in range(k) for j in range(n))
    assert acs == brute


@given(dims)
def test_mixed_products_equal_dense(case):
    lead, m, k, n, density, seed = case
    rng = np.random.default_rng(seed)
    a_idx, a_val, a_dense, _ = random_events(rng, (lead, m, k), density)
    b_idx, b_val, b_dense, _ = random_events(rng, (lead, k, n), density)
    pa = rng.integers(-8, 9, (lead, m, k)) / 8.0  # dyadic: the sums are exact in any order
    pb = rng.integers(-8, 9, (lead, k, n)) / 8.0
    out = np.zeros(lead * m * n)
    analog_spike(pa.reshape(-1), 0, b_idx, b_val, b_idx.size, lead, m, k, n, np.zeros(lead * k * m),
                 np.zeros(lead * n * m), out, 0)
    assert np.array_equal(out.reshape(lead, m, n), pa @ b_dense)
    out = np.full(lead * m * n, 3.0)  # overwritten, not accumulated into
    spike_analog(a_idx, a_val, a_idx.size, pb.reshape(-1), 0, lead, m, k, n, out, 0)
    assert np.array_equal(out.reshape(lead, m, n), a_dense @ pb)
