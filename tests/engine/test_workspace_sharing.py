"""Tensors whose lives within a step do not overlap share workspace (engine/workspace_reuse.py).

Sharing must change no bit and no count: a run on the shared plan equals one on the plan without
sharing (which a run with ``on_step`` uses) and the oracle. The placement itself is checked as an
invariant: two regions alive at once never overlap, and what is kept for the run overlaps nothing.
"""
import numpy as np
import pytest
from hypothesis import given, strategies as st

from mstsim.engine import Simulator
from mstsim.engine import workspace_reuse as wr
from mstsim.engine.plan import build_plan
from mstsim.ir import IF, Affine, Conv2d, Graph, Input, Output, remaps

from ..core.random_graphs import random_graphs
from .bundled_cases import CASES, case_graph, digit_images


def _conv_graph():
    g = Graph([Input("x", shape=(1, 6, 6)), IF("s", ("x",), theta=0.5)])
    g.add(Conv2d("c", ("s",), weight=np.full((2, 1, 3, 3), 0.25), padding=(1, 1)))
    g.add(IF("t", ("c",), theta=0.5))
    g.add(Conv2d("d", ("t",), weight=np.full((2, 2, 3, 3), 0.125), padding=(1, 1)))
    g.add(IF("u", ("d",), theta=0.5))
    g.add(remaps.flatten("flat", "u", g.shapes["u"]))
    g.add(Affine("fc", ("flat",), weight=np.full((3, 72), 1 / 16)))
    g.add(Output("y", ("fc",)))
    return g


def _same_run(g, x, T, **kw):
    shared = Simulator(g, dtype=np.float32, seed=3, **kw).run(x, T)
    steps = []
    whole = Simulator(g, dtype=np.float32, seed=3, **kw).run(x, T, on_step=lambda t, v: steps.append(t))
    assert steps == list(range(T))
    assert np.array_equal(shared.cum_logits.view(np.int32), whole.cum_logits.view(np.int32))
    assert np.array_equal(shared.ledger.totals, whole.ledger.totals)


def test_the_shared_plan_is_smaller_and_runs_as_the_plan_without_sharing():
    g = _conv_graph()
    shared, whole = build_plan(g, np.float32), build_plan(g, np.float32, share=False)
    assert shared.wf_size < whole.wf_size and shared.wi_size < whole.wi_size
    x = np.random.default_rng(0).integers(0, 9, size=(3, 1, 6, 6)) / 8.0
    _same_run(g, x, 6)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bundled_models_share_and_give_the_same_bits(case):
    g = case_graph(*case)
    assert build_plan(g, np.float32).wf_size < build_plan(g, np.float32, share=False).wf_size
    _same_run(g, digit_images(2, g.input_node().shape), 4)


@given(case=random_graphs())
def test_random_graphs_of_every_node_type_give_the_same_bits(case):
    g, x = case
    _same_run(g, x, 5)


def test_a_region_kept_in_an_unknown_field_is_refused(monkeypatch):
    """A new encoder that keeps an address where address_fields does not look must not build silently."""
    without_conv = lambda code, i: ([(i, f) for f in (wr.L.OFF, wr.L.MARK)],  # noqa: E731
                                    [(i, f) for f in (wr.L.IOFF, wr.L.SHD, wr.L.SHD_FLAG)])
    monkeypatch.setattr(wr, "address_fields", without_conv)
    with pytest.raises(RuntimeError, match="a float region of node 2 is kept in a field"):
        build_plan(_conv_graph(), np.float32)


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 40))
def test_regions_alive_at_once_never_overlap(seed, n):
    rng = np.random.default_rng(seed)
    owners = np.sort(rng.integers(0, 12, size=n))
    owners[rng.random(n) < 0.1] = -1  # the plan's own, kept for the run
    order = np.argsort(owners == -1, kind="stable")  # handed out last, as at finish
    allocs, start = [], 5
    for k in order:
        size = int(rng.integers(0, 50))
        allocs.append((int(owners[k]), start, size))
        start += size
    regions = wr.Regions(allocs, 5)
    for r, (owner, _, _) in enumerate(allocs):
        if owner >= 0 and rng.random() < 0.9:
            regions.last[r] = owner + int(rng.integers(0, 6))
        elif owner >= 0:
            regions.last[r] = wr.FOREVER  # a static output
    new, end = regions.place()
    alive = [(int(new[r]), int(new[r]) + a[2], a[0], int(regions.last[r])) for r, a in enumerate(allocs) if a[2] > 0]
    for p, (s0, e0, o0, l0) in enumerate(alive):
        assert 5 <= s0 and e0 <= end and s0 % wr.ALIGN == 0
        for s1, e1, o1, l1 in alive[p + 1:]:
            kept = l0 == wr.FOREVER or l1 == wr.FOREVER
            live_together = kept or not (l0 < o1 or l1 < o0)
            if live_together:
                assert e0 <= s1 or e1 <= s0, (s0, e0, o0, l0, s1, e1, o1, l1)
