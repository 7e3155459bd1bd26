"""A run may start from an earlier run's workspaces: no node reads what it did not write in the step.

The spare workspaces are poisoned (NaN values, wrong counts and indices) before the next run, which
must still give the bits and counts of a fresh simulator, on random graphs of every node type and on
the bundled models, one thread and a lone sample pipelined.
"""
import numpy as np
import pytest
from hypothesis import given, settings

from mstsim.engine import Simulator
from mstsim.engine.spare import SPARE, SparePool

from ..core.random_graphs import random_graphs, random_inputs
from .bundled_cases import CASES, case_graph, digit_images
from .test_pipeline import forced  # noqa: F401  (fixture)


def _kept(sim) -> list:
    return SPARE.kept(sim._spare_token)


def _poison(sim) -> int:
    """Fill the simulator's kept workspaces with garbage; how many sets there were."""
    for wf, wi in _kept(sim):
        wf.fill(np.nan)
        wi.fill(-7)
    return len(_kept(sim))


def _same(a, b) -> None:
    assert np.array_equal(a.cum_logits.view(np.uint8), b.cum_logits.view(np.uint8))
    assert np.array_equal(a.ledger.totals, b.ledger.totals)
    assert np.array_equal(a.ledger.per_step, b.ledger.per_step)


def _second_run_equals_a_fresh_one(graph, first, second, T, dtype):
    sim = Simulator(graph, dtype=dtype, seed=4)
    sim.run(first, T)
    assert _poison(sim) == 1
    poisoned = [id(a) for pair in _kept(sim) for a in pair]
    again = sim.run(second, T, detail=True)
    assert [id(a) for pair in _kept(sim) for a in pair] == poisoned  # the run used them
    _same(again, Simulator(graph, dtype=dtype, seed=4).run(second, T, detail=True))
    return sim


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@settings(max_examples=30)
@given(case=random_graphs())
def test_random_graphs_after_a_poisoned_reuse(case, dtype):
    graph, x = case
    stream = graph.kinds[graph.input_node().name] == "event"
    other = x[::-1].copy() if stream else random_inputs(graph, len(x), seed=9)  # a stream: the same plan
    _second_run_equals_a_fresh_one(graph, x, other, 5, dtype)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bundled_models_pipelined_after_a_poisoned_reuse(case, forced):  # noqa: F811
    graph = case_graph(*case)
    images = digit_images(2, graph.input_node().shape)
    sim = _second_run_equals_a_fresh_one(graph, images[:1], images[1:], 6, np.float32)
    assert sim.pipelined


def test_the_pool_keeps_within_its_budget_and_forgets_dead_owners():
    pool = SparePool(budget=3000)

    class Owner:
        pass

    a, b = Owner(), Owner()
    ta, tb = pool.owner_token(a), pool.owner_token(b)
    pool.give((ta, 1, 1), (np.zeros(100), np.zeros(100)))     # 1600 bytes
    pool.give((ta, 1, 2), (np.zeros(100), np.zeros(100)))     # replaces a's other entry
    assert len(pool.kept(ta)) == 1 and pool.kept_bytes() == 1600
    pool.give((tb, 7, 1), (np.zeros(150), np.zeros(50)))      # 1600 more: over budget, a's goes
    assert pool.kept(ta) == [] and len(pool.kept(tb)) == 1
    assert pool.take((tb, 7, 2)) is None and pool.take((tb, 7, 1)) is not None
    pool.give((ta, 1, 1), (np.zeros(500),))                   # 4000 bytes: larger than the budget
    assert pool.kept_bytes() == 0
    pool.give((tb, 7, 1), (np.zeros(10),))
    del b
    import gc
    gc.collect()
    assert pool.kept_bytes() == 0
