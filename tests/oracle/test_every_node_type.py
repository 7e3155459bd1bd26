"""A few graphs that surely hold each step kind and each elementwise op, in both families.

The broad properties (test_exact_graphs.py, test_analog_graphs.py) draw node
types at random, so a derandomised run of a few dozen examples may miss some;
here every step kind of tests/core/random_graphs.py and every elementwise op
is forced into the graph (``focus``), with the rule of its family: bit for
bit in float32 for the exact one, spikes and ledger identical and values
within RTOL in float64 for the analog one. The steps whose counts depend on
the pool rule (pools, means, affine-of-events streams) run under each rule.
"""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from ..core.random_graphs import ANALOG_STEPS, IMAGE_STEPS, TOKEN_STEPS, random_graphs
from .elementwise_graphs import ALL_OPS, EXACT_OPS
from .harness import RTOL, assert_engine_matches_oracle

STEPS = sorted(set(IMAGE_STEPS + TOKEN_STEPS) - {"elementwise"})
#: steps whose counts depend on the pool rule
RULED = {"pool", "mean", "pool_into", "ae"}
CASES = ([("exact", k) for k in STEPS] + [("exact", f"op:{op}") for op in EXACT_OPS]
         + [("analog", k) for k in STEPS + ANALOG_STEPS] + [("analog", f"op:{op}") for op in ALL_OPS])
RULED_CASES = [(f, k, r) for f, k in CASES for r in (("events", "through", "dense") if k in RULED else ("events",))]


@pytest.mark.parametrize("family, focus, pool_rule", RULED_CASES)
@settings(max_examples=3)
@given(data=st.data(), seed=st.integers(0, 2**32), first_id=st.integers(0, 2**40), count_padding=st.booleans())
def test_engine_matches_oracle_on(family, focus, pool_rule, data, seed, first_id, count_padding):
    exact = family == "exact"
    graph, x = data.draw(random_graphs(exact=exact, focus=focus, max_layers=2))
    ids = first_id + 5 * np.arange(x.shape[0])
    assert_engine_matches_oracle(graph, x, 5, dtype=np.float32 if exact else np.float64, seed=seed,
                                 sample_ids=ids, rtol=0.0 if exact else RTOL, pool_rule=pool_rule,
                                 count_padding=count_padding)
