"""Event matmul kernels against dense products and brute-force coincidence counts."""
import numpy as np
from hypothesis import given, strategies as st

from mstsim.engine import Events
from mstsim.kernels.matmul import analog_spike_matmul, spike_analog_matmul, spike_spike_matmul


def random_events(rng, batch, shape, density):
    counts = (rng.random((batch,) + shape) < density).astype(np.int64)
    ev = Events.from_counts(counts.reshape(batch, -1), np.float64)
    ev.val[:] = rng.choice([0.25, 0.5, 1.0], size=ev.val.shape)  # amplitudes of different IFs
    return ev, ev.to_dense(int(np.prod(shape)), np.float64).reshape((batch,) + shape), counts


dims = st.tuples(st.integers(1, 3), st.integers(1, 4), st.integers(1, 5), st.integers(1, 4),
                 st.integers(1, 3), st.floats(0.0, 1.0), st.integers(0, 2**31 - 1))


@given(dims)
def test_spike_spike_equals_dense_and_counts_coincidences(case):
    lead, m, k, n, batch, density, seed = case
    rng = np.random.default_rng(seed)
    a, a_dense, a_cnt = random_events(rng, batch, (lead, m, k), density)
    b, b_dense, b_cnt = random_events(rng, batch, (lead, k, n), density)
    out = np.zeros((batch, lead * m * n))
    acs = spike_spike_matmul(a.ptr, a.idx, a.val, b.ptr, b.idx, b.val, lead, m, k, n, out)
    assert np.array_equal(out.reshape(batch, lead, m, n), a_dense @ b_dense)
    brute = sum(int(a_cnt[s, l, i, d]) * int(b_cnt[s, l, d, j]) for s in range(batch) for l in range(lead)
                for i in range(m) for d in range(k) for j in range(n))
    assert acs == brute


@given(dims)
def test_mixed_products_equal_dense(case):
    lead, m, k, n, batch, density, seed = case
    rng = np.random.default_rng(seed)
    a, a_dense, _ = random_events(rng, batch, (lead, m, k), density)
    b, b_dense, _ = random_events(rng, batch, (lead, k, n), density)
    pa = rng.integers(-8, 9, (batch, lead, m, k)) / 8.0
    pb = rng.integers(-8, 9, (batch, lead, k, n)) / 8.0
    out_t = np.zeros((batch, lead * n * m))
    pa_t = np.ascontiguousarray(pa.transpose(0, 1, 3, 2)).reshape(batch, -1)
    analog_spike_matmul(pa_t, b.ptr, b.idx, b.val, m, k, n, out_t)
    assert np.array_equal(out_t.reshape(batch, lead, n, m).transpose(0, 1, 3, 2), pa @ b_dense)
    out = np.zeros((batch, lead * m * n))
    spike_analog_matmul(a.ptr, a.idx, a.val, pb.reshape(batch, -1), m, k, n, out)
    assert np.array_equal(out.reshape(batch, lead, m, n), a_dense @ pb)
