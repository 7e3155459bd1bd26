"""Rule (b): with rounding-dependent analog nodes the engine agrees with the float64 oracle.

Random graphs of every node type (tests/core/random_graphs.py,
``exact=False``: softmax, LayerNorm, Gelu, every elementwise op, attention
blocks with softmax, products of every operand kind), generic weights and
thresholds, engine in float64 against the oracle in float64. Demanded:
identical spike trains of every node at every step and an identical int64
ledger; values, potentials and logits within ``RTOL`` (harness.py) of the
node's magnitude. A failure names the first node and step that diverged.
Every pool rule is run; ``count_padding`` is drawn.
"""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from ..core.random_graphs import random_graphs
from .harness import RTOL, assert_engine_matches_oracle
from .test_exact_graphs import POOL_RULES

T = 5
seeds = st.integers(0, 2**32)
first_ids = st.integers(0, 2**40)


@pytest.mark.parametrize("pool_rule", POOL_RULES)
@settings(max_examples=20)
@given(case=random_graphs(exact=False), seed=seeds, first_id=first_ids, count_padding=st.booleans())
def test_engine_agrees_with_float64_oracle(case, seed, first_id, count_padding, pool_rule):
    graph, x = case
    ids = first_id + 3 * np.arange(x.shape[0])
    assert_engine_matches_oracle(graph, x, T, dtype=np.float64, seed=seed, sample_ids=ids, rtol=RTOL,
                                 pool_rule=pool_rule, count_padding=count_padding)

