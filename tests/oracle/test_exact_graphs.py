"""Rule (a): on exactly representable graphs the engine equals the oracle bit for bit.

Dyadic weights, thresholds and inputs, and only operations that keep values
dyadic (tests/core/random_graphs.py, ``exact=True``): every node type except
softmax, LayerNorm, Gelu and the transcendental elementwise ops. Every sum
is then exact in any order, so nothing may differ in float32 or float64:
spike trains and values of every node at every step, membrane potentials,
cumulative logits, the int64 ledger per step and the ANN MACs. Global
sample ids and the seed are drawn, so the engine's masks are checked too.
Every pool rule (docs/accounting.md rule 17) is run; ``count_padding`` is drawn.
"""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from ..core.random_graphs import random_graphs
from .harness import assert_engine_matches_oracle

T = 5
seeds = st.integers(0, 2**32)
first_ids = st.integers(0, 2**40)
POOL_RULES = ["events", "through", "dense"]


@pytest.mark.parametrize("pool_rule", POOL_RULES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@settings(max_examples=15)
@given(case=random_graphs(exact=True), seed=seeds, first_id=first_ids, count_padding=st.booleans())
def test_engine_equals_oracle_bit_for_bit(case, seed, first_id, count_padding, dtype, pool_rule):
    graph, x = case
    ids = first_id + 7 * np.arange(x.shape[0])  # global sample ids drive the masks
    assert_engine_matches_oracle(graph, x, T, dtype=dtype, seed=seed, sample_ids=ids, pool_rule=pool_rule,
                                 count_padding=count_padding)

