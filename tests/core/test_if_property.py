"""The IF neuron counts spikes exactly as QCFS quantises (the conversion's core)."""
from fractions import Fraction

import numpy as np
from hypothesis import given, strategies as st

from mstsim.dense import qcfs
from mstsim.engine import Simulator
from mstsim.ir import IF, Graph, Input, Output, remaps
from mstsim.kernels.sample_synapses import integrate_fire
from mstsim.reference import ReferenceSimulator

# dyadic values: every partial sum is exact in float64, so exact rational
# arithmetic predicts the float simulation without rounding slack
thetas = st.builds(lambda m, e: m * 2.0 ** e, st.integers(1, 15), st.integers(-4, 4))
inputs = st.builds(lambda m, e: m * 2.0 ** e, st.integers(-64, 64), st.integers(-5, 3))


def expected_spikes(T: int, theta: float, z: float) -> int:
    n = Fraction(T) * Fraction(z) / Fraction(theta) + Fraction(1, 2)
    return min(max(n.numerator // n.denominator, 0), T)


def simulate_kernel(T, theta, z):
    v = np.full(1, theta / 2)
    idx, val, flags = np.zeros(1, np.int64), np.zeros(1), np.zeros(1, np.uint8)
    spikes = 0
    for _ in range(T):
        v += z
        spikes += integrate_fire(v, 0, 1, theta, idx, val, flags)
    return spikes


@given(T=st.integers(1, 300), theta=thetas, z=inputs)
def test_if_spike_count_is_qcfs(T, theta, z):
    assert simulate_kernel(T, theta, z) == expected_spikes(T, theta, z)


@given(theta=thetas, z=inputs, levels=st.integers(1, 32))
def test_if_at_T_equal_L_matches_qcfs_value(theta, z, levels):
    """At T = L the SNN's spike count is the QCFS level and its mean output the QCFS value."""
    level = Fraction(z) * levels / Fraction(theta) + Fraction(1, 2)
    level = min(max(level.numerator // level.denominator, 0), levels)
    assert simulate_kernel(levels, theta, z) == level
    snn_mean = simulate_kernel(levels, theta, z) * theta / levels
    assert np.isclose(float(qcfs(np.array([z]), theta, levels)[0]), snn_mean, rtol=1e-15, atol=0)


@given(T=st.integers(1, 64), theta=thetas, z=st.lists(inputs, min_size=1, max_size=6))
def test_if_node_in_engine_and_oracle(T, theta, z):
    """Through the whole engine (node, ledger) and the oracle, for a vector of inputs."""
    g = Graph()
    g.add(Input("x", shape=(len(z),)))
    g.add(IF("if", ("x",), theta=theta))
    g.add(remaps.reshape("r", "if", (len(z),), (len(z),)))
    g.add(Output("out", ("r",)))
    x = np.array([z])
    res = Simulator(g, dtype=np.float64).run(x, T)
    want = np.array([expected_spikes(T, theta, zi) for zi in z])
    assert np.array_equal(res.cum_logits[-1, 0], want * theta)
    assert res.ledger.column("events_out")[1] == want.sum()
    cum, ledger, _ = ReferenceSimulator(g, dtype=np.float64).run(x, T)
    assert np.array_equal(cum, res.cum_logits)
    assert np.array_equal(ledger.totals, res.ledger.totals)
