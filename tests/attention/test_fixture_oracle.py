"""The engine agrees with the NumPy oracle on every fixture, masks on, step by step.

Demanded: identical spike trains of every node at every step and an
identical int64 ledger (every count, per step, and the ANN MACs). Values,
membrane potentials and logits are compared in float64 with a relative
tolerance of 1e-14 of each node's magnitude: the fixtures' weights are
generic floats and the two simulators sum in different orders, so values
may differ by rounding only; the largest difference measured over all
fixtures and nodes is 7.1e-16 (3 ulp), and 1e-14 leaves room for other
machines' rounding while still catching any real slip. A failure names the
first node and step that diverged.
"""
import numpy as np
import pytest

from ..oracle.harness import engine_trace, first_divergence, ledger_divergence, oracle_trace
from .fixtures import FILE_NAMES, MODEL_OF, network, reference

RTOL = 1e-14


@pytest.mark.parametrize("file", FILE_NAMES)
def test_engine_equals_oracle(file):
    graph = network(file).graph
    x = reference(MODEL_OF[file])["inputs"][:2]
    eng = engine_trace(graph, x, 4, dtype=np.float64, seed=11, sample_ids=[5, 9])
    ora = oracle_trace(graph, x, 4, dtype=np.float64, seed=11, sample_ids=[5, 9])
    where = ledger_divergence(eng.ledger, ora.ledger)
    assert where is None, where
    where = first_divergence(graph, eng, ora, rtol=RTOL)
    assert where is None, where
    assert np.all(np.abs(eng.cum - ora.cum) <= RTOL * np.abs(ora.cum).max())
