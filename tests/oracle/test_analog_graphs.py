"""Rule (b): with rounding-dependent analog nodes the engine agrees with the float64 oracle.

Random graphs of every node type (tests/core/random_graphs.py,
``exact=False``: softmax, LayerNorm, Gelu, every elementwise op, attention
blocks with softmax, products of every operand kind), generic weights and
thresholds, engine in float64 against the oracle in float64. Demanded:
identical spike trains of every node at every step and an identical int64
ledger; values, potentials and logits within ``RTOL`` (harness.py) of the
node's magnitude. A failure names the first node and step that diverged.
"""
import numpy as np
from hypothesis import given, settings, strategies as st

from ..core.random_graphs import random_graphs
from .harness import RTOL, engine_trace, first_divergence, ledger_divergence, oracle_trace

T = 5


@settings(max_examples=50)
@given(case=random_graphs(exact=False), seed=st.integers(0, 2**32), first_id=st.integers(0, 2**40))
def test_engine_agrees_with_float64_oracle(case, seed, first_id):
    graph, x = case
    ids = first_id + 3 * np.arange(x.shape[0])
    eng = engine_trace(graph, x, T, dtype=np.float64, seed=seed, sample_ids=ids)
    ora = oracle_trace(graph, x, T, dtype=np.float64, seed=seed, sample_ids=ids)
    where = first_divergence(graph, eng, ora, rtol=RTOL)
    assert where is None, where
    where = ledger_divergence(eng.ledger, ora.ledger)
    assert where is None, where
    scale = max(1.0, float(np.abs(ora.cum).max()))
    assert np.all(np.abs(eng.cum - ora.cum) <= RTOL * scale)
