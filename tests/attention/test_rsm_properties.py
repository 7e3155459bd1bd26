"""Random Spike Masking and spike attention: properties on small MST-style blocks."""
import dataclasses

import numpy as np
from hypothesis import given, settings, strategies as st

from mstsim.api import simulate
from mstsim.ann import run_ann
from mstsim.engine import Simulator
from mstsim.ir import Graph
from mstsim.ir.attention import Mask
from mstsim.ledger import COL
from mstsim.reference import ReferenceSimulator

from ..core.attention_graphs import attention_block, token_inputs

cases = st.tuples(st.integers(0, 10**6), st.integers(1, 4), st.sampled_from([0.25, 0.5, 0.75]),
                  st.integers(0, 2**20))


def without_masks(graph: Graph) -> Graph:
    """The same graph with every Mask node removed (its consumers read the mask's input)."""
    source = {n.name: n.inputs[0] for n in graph if isinstance(n, Mask)}
    return Graph(dataclasses.replace(n, inputs=tuple(source.get(s, s) for s in n.inputs))
                 for n in graph if not isinstance(n, Mask))


@settings(max_examples=25)
@given(cases)
def test_engine_equals_oracle_bit_for_bit_on_dyadic_attention(case):
    seed, batch, ratio, mask_seed = case
    g = attention_block(seed, ratio=ratio, softmax=False)
    x = token_inputs(seed + 1, batch)
    res = Simulator(g, dtype=np.float64, seed=mask_seed).run(x, 5, detail=True)
    cum, ledger, _ = ReferenceSimulator(g, dtype=np.float64, seed=mask_seed).run(x, 5)
    assert np.array_equal(res.cum_logits, cum)
    assert np.array_equal(res.ledger.per_step, ledger.per_step)


@settings(max_examples=15)
@given(cases)
def test_ratio_zero_is_no_mask_bit_for_bit(case):
    seed, batch, _, mask_seed = case
    g = attention_block(seed, ratio=0.0)
    x = token_inputs(seed + 1, batch)
    a = simulate(g, x, T=6, seed=mask_seed)
    b = simulate(without_masks(g), x, T=6, seed=mask_seed)
    assert np.array_equal(a.cum_logits, b.cum_logits)
    keep = [i for i, n in enumerate(g) if not isinstance(n, Mask)]
    assert np.array_equal(a.ledger.totals[keep][:, COL["acs"]], b.ledger.totals[:, COL["acs"]])
    assert a.ledger.column("events_dropped").sum() == 0


@settings(max_examples=15)
@given(cases)
def test_ratio_one_delivers_nothing(case):
    seed, batch, _, mask_seed = case
    g = attention_block(seed, ratio=1.0)
    res = simulate(g, token_inputs(seed + 1, batch), T=6, seed=mask_seed)
    led = res.ledger
    for name in ("q_rsm", "k_rsm", "attn_rsm"):
        i = led.nodes.index(name)
        assert led.totals[i, COL["events_out"]] == 0
        assert led.totals[i, COL["events_dropped"]] == led.totals[i, COL["events_in"]]
    assert led.totals[led.nodes.index("scores"), COL["acs"]] == 0
    assert led.totals[led.nodes.index("bias"), COL["acs"]] == 0


@settings(max_examples=15)
@given(cases, st.integers(1, 5))
def test_results_do_not_depend_on_batch_size_or_order(case, batch_size):
    seed, _, ratio, mask_seed = case
    g = attention_block(seed, ratio=ratio)
    x = token_inputs(seed + 1, 5)
    whole = simulate(g, x, T=5, seed=mask_seed)
    split = simulate(g, x, T=5, seed=mask_seed, batch_size=batch_size)
    assert np.array_equal(whole.cum_logits, split.cum_logits)
    assert np.array_equal(whole.ledger.totals, split.ledger.totals)
    order = np.random.default_rng(seed).permutation(5)
    shuffled = Simulator(g, seed=mask_seed).run(x[order], 5, sample_ids=order)
    assert np.array_equal(shuffled.cum_logits, whole.cum_logits[:, order])


@settings(max_examples=15)
@given(cases)
def test_dropped_is_offered_minus_delivered_at_the_ratio(case):
    seed, batch, ratio, mask_seed = case
    g = attention_block(seed, ratio=ratio, mask_v=True)
    res = simulate(g, token_inputs(seed + 1, batch), T=12, seed=mask_seed, detail=True)
    led = res.ledger
    for i, node in enumerate(g):
        if isinstance(node, Mask):
            offered, out, dropped = (led.per_step[:, i, COL[c]] for c in ("events_in", "events_out", "events_dropped"))
            assert np.array_equal(dropped, offered - out)
            upstream = led.nodes.index(node.inputs[0])
            assert np.array_equal(offered, led.per_step[:, upstream, COL["events_out"]])


def test_drop_fraction_matches_ratio():
    g = attention_block(3, ratio=0.75, tokens=8, heads=2, head_dim=4, mask_v=True)
    res = simulate(g, token_inputs(4, 16, tokens=8, channels=8), T=32, seed=1)
    v = res.ledger.nodes.index("v_rsm")
    offered = res.ledger.totals[v, COL["events_in"]]
    dropped = res.ledger.totals[v, COL["events_dropped"]]
    assert offered > 2000
    assert abs(dropped / offered - 0.75) < 4 * np.sqrt(0.75 * 0.25 / offered)


def test_ann_mode_masks_like_the_snn_first_step():
    """ANN mode draws its masks as the SNN does at step 0 (same seed and sample ids)."""
    g = attention_block(5, ratio=1.0)
    x = token_inputs(6, 3)
    values = run_ann(g, x, seed=2, keep=True)
    assert not values["q_rsm"].any() and not values["attn_rsm"].any()
    half = attention_block(5, ratio=0.5)
    a = run_ann(half, x, seed=2, keep=True, sample_ids=[7, 8, 9])
    b = run_ann(half, x[1:], seed=2, keep=True, sample_ids=[8, 9])
    assert np.array_equal(a["q_rsm"][1:], b["q_rsm"])
