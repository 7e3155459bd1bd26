"""Rule (a): on exactly representable graphs the engine equals the oracle bit for bit.

Dyadic weights, thresholds and inputs, and only operations that keep values
dyadic (tests/core/random_graphs.py, ``exact=True``): every node type except
softmax, LayerNorm, Gelu and the transcendental elementwise ops. Every sum
is then exact in any order, so nothing may differ in float32 or float64:
spike trains and values of every node at every step, membrane potentials,
cumulative logits, the int64 ledger per step and the ANN MACs.
"""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from ..core.random_graphs import random_graphs
from .harness import engine_trace, first_divergence, ledger_divergence, oracle_trace

T = 5


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@settings(max_examples=40)
@given(case=random_graphs(exact=True), seed=st.integers(0, 2**32), first_id=st.integers(0, 2**40))
def test_engine_equals_oracle_bit_for_bit(case, seed, first_id, dtype):
    graph, x = case
    ids = first_id + 7 * np.arange(x.shape[0])  # global sample ids drive the masks
    eng = engine_trace(graph, x, T, dtype=dtype, seed=seed, sample_ids=ids)
    ora = oracle_trace(graph, x, T, dtype=dtype, seed=seed, sample_ids=ids)
    where = first_divergence(graph, eng, ora)
    assert where is None, where
    assert eng.cum.dtype == dtype and np.array_equal(eng.cum, ora.cum)
    where = ledger_divergence(eng.ledger, ora.ledger)
    assert where is None, where
