"""Underlying events kept as a list or as counts per element give the same counts (plan_shadow.py).

A merge or a remap of an affine of events keeps a list of indices while its
events are sparse and a count per element otherwise, chosen each step. The
threshold (``plan_layout.LIST_DENSITY``, for every size) is forced both ways here: 1 (a list
whenever it fits) and huge (counts whenever there is an event), and the
ledger must equal the oracle's brute-force counts either way.
"""
import numpy as np
import pytest
from hypothesis import given, settings

from mstsim.engine import Simulator
from mstsim.engine.plan import build_plan
from mstsim.ir import IF, Add, ChannelAffine, Graph, Input, Output, remaps
from mstsim.kernels import plan_layout as L
from mstsim.kernels.plan_shadow import count_underlying, merge_counts, move_counts
from mstsim.reference import ReferenceSimulator

from ..core.random_graphs import random_graphs

ALWAYS_COUNTS = 1 << 62


def _window_graph():
    """spikes (4, 4, 2) -> BN -> window partition (a bijection) -> + spikes -> IF -> output."""
    g = Graph()
    g.add(Input("x", shape=(4, 4, 2)))
    g.add(IF("s", ("x",), theta=1.0, v_init=0.0))
    g.add(ChannelAffine("bn", ("s",), scale=np.array([0.5, 2.0]), shift=None, axis=2))
    g.add(remaps.window_partition("win", "bn", (4, 4, 2), 2))
    g.add(IF("t", ("x",), theta=1.0, v_init=0.0))
    g.add(remaps.window_partition("tw", "t", (4, 4, 2), 2))
    g.add(Add("res", ("win", "tw")))
    g.add(IF("out", ("res",), theta=1.0))
    g.add(remaps.flatten("flat", "out", g.shapes["out"]))
    g.add(Output("o", ("flat",)))
    return g


def _workspace(plan, g, lists: dict) -> np.ndarray:
    """An int workspace holding the given event lists of IF nodes, and their BN's count."""
    wi = np.zeros(plan.wi_size, np.int64)
    index = {n.name: i for i, n in enumerate(g)}
    for name, idx in lists.items():
        j = index[name]
        wi[j] = len(idx)
        wi[plan.code[j, L.IOFF]:plan.code[j, L.IOFF] + len(idx)] = idx
    wi[index["bn"]] = len(lists["s"])
    return wi


@pytest.mark.parametrize("sparse", [1, ALWAYS_COUNTS])
def test_a_move_and_a_merge_keep_a_list_while_sparse_else_counts(sparse):
    g = _window_graph()
    plan = build_plan(g, np.float64, share=False)  # the lists of s and t side by side, as no step has them
    code = plan.code.copy()
    index = {n.name: i for i, n in enumerate(g)}
    win, res = index["win"], index["res"]
    code[[win, res], L.SHD_SPARSE] = sparse
    s_idx, t_idx = np.array([1, 6, 7, 19, 30]), np.array([0, 6, 25])
    wi = _workspace(plan, g, {"s": s_idx, "t": t_idx})
    target = np.argsort(g["win"].src)  # a bijection: input element i lands at target[i]

    moved = move_counts(code, plan.ints, wi, win)
    wi[win] = moved
    size = 32
    shd = code[win, L.SHD]
    listed = sparse == 1  # 5 events <= 32 // 1
    assert moved == 5 and wi[code[win, L.SHD_FLAG]] == (0 if listed else 1)
    if listed:
        assert wi[shd:shd + 5].tolist() == target[s_idx].tolist()  # in the order of the input's list
    else:
        assert wi[shd:shd + size].tolist() == np.bincount(target[s_idx], minlength=size).tolist()

    # the add of the remapped BN and the remapped spikes: tw is an event remap, placed by hand
    tw = index["tw"]
    wi[tw] = 3
    wi[plan.code[tw, L.IOFF]:plan.code[tw, L.IOFF] + 3] = target[t_idx]
    merged = merge_counts(code, plan.ints, wi, res)
    assert merged == 8 and wi[code[res, L.SHD_FLAG]] == (0 if listed else 1)
    expected = np.bincount(np.concatenate([target[s_idx], target[t_idx]]), minlength=size)
    wi[res] = merged
    fan = np.arange(size) + 3
    ints = np.concatenate([plan.ints, fan])
    row = np.zeros(9, np.int64)
    count_underlying(code, ints, wi, res, plan.ints.size, -1, row)
    assert row[L.ACS] == row[L.EFF] == int(expected @ fan)


@pytest.mark.parametrize("sparse", [1, ALWAYS_COUNTS])
@settings(max_examples=30)
@given(case=random_graphs())
def test_either_form_counts_what_the_oracle_counts(case, sparse):
    graph, x = case
    T = 5
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(L, "LIST_DENSITY", sparse)
        mp.setattr(L, "LIST_ALWAYS_UP_TO", 0)
        res = Simulator(graph, dtype=np.float64).run(x, T, detail=True)
    cum, ledger, _ = ReferenceSimulator(graph, dtype=np.float64).run(x, T)
    assert np.array_equal(res.cum_logits, cum)
    assert np.array_equal(res.ledger.per_step, ledger.per_step)
    assert np.array_equal(res.ledger.totals, ledger.totals)
