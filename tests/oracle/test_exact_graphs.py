"""Rule (a): on exactly representable graphs the engine equals the oracle bit for bit.

Dyadic weights, thresholds and inputs, and only operations that keep values
dyadic (tests/core/random_graphs.py, ``exact=True``): every node type except
softmax, LayerNorm, Gelu and the transcendental elementwise ops. Every sum
is then exact in any order, so nothing may differ in float32 or float64:
spike trains and values of every node at every step, membrane potentials,
cumulative logits, the int64 ledger per step and the ANN MACs. Global
sample ids and the seed are drawn, so the engine's masks are checked too.
"""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from ..core.random_graphs import random_graphs
from .harness import assert_engine_matches_oracle

T = 5
seeds = st.integers(0, 2**32)
first_ids = st.integers(0, 2**40)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@settings(max_examples=30)
@given(case=random_graphs(exact=True), seed=seeds, first_id=first_ids)
def test_engine_equals_oracle_bit_for_bit(case, seed, first_id, dtype):
    graph, x = case
    ids = first_id + 7 * np.arange(x.shape[0])  # global sample ids drive the masks
    assert_engine_matches_oracle(graph, x, T, dtype=dtype, seed=seed, sample_ids=ids)

