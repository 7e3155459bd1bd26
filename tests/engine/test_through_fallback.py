"""pool_rule "through" says which pools it could not route (docs/accounting.md, rule 17)."""
import warnings

import numpy as np
import pytest

import mstsim
from mstsim.engine.encode_shadow import ThroughFallbackWarning
from mstsim.ir import IF, Add, Affine, AvgPool2d, Graph, Input, Output, remaps


def pooled(into_add: bool) -> Graph:
    """spikes -> AvgPool2d -> (an Add with spikes, which "through" cannot route into | straight on) -> IF -> head"""
    g = Graph()
    g.add(Input("x", shape=(2, 4, 4), kind="analog"))
    g.add(IF("s", ("x",), theta=0.5, levels=4))
    g.add(AvgPool2d("pool", ("s",), kernel=2))
    if into_add:
        g.add(IF("t", ("x",), theta=0.25, levels=4))
        g.add(AvgPool2d("other", ("t",), kernel=2))
        g.add(Add("sum", ("pool", "other")))
    else:
        g.add(remaps.reshape("sum", "pool", (2, 2, 2), (2, 2, 2)))
    g.add(IF("u", ("sum",), theta=0.25, levels=4))
    g.add(remaps.flatten("flat", "u", (2, 2, 2)))
    g.add(Affine("fc", ("flat",), weight=np.ones((3, 8)) / 8, bias=None))
    g.add(Output("out", ("fc",)))
    return g


def run(graph, rule):
    x = np.random.default_rng(0).integers(-8, 9, size=(2, 2, 4, 4)) / 8.0
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        mstsim.simulate(graph, x, T=3, pool_rule=rule)
    return [w for w in caught if issubclass(w.category, ThroughFallbackWarning)]


def test_a_pool_that_through_cannot_route_is_named():
    (w,) = run(pooled(into_add=True), "through")
    text = str(w.message)
    assert "2 pool(s)" in text and "'pool'" in text and "'other'" in text and "counted by 'events'" in text


@pytest.mark.parametrize("rule", ["events", "dense"])
def test_other_rules_do_not_warn(rule):
    assert run(pooled(into_add=True), rule) == []


def test_a_routed_pool_does_not_warn():
    assert run(pooled(into_add=False), "through") == []
