"""The worked examples of docs/accounting.md, through the engine and the oracle.

Each example states its hand-computed counts (the numbers written in the
doc); the oracle and then the engine must give exactly those, node by node:
every listed node's non-zero columns (and its ANN MACs) and nothing else.
"""
import numpy as np
import pytest

from mstsim import MstsimError
from mstsim.engine import Simulator
from mstsim.ir import IF, Affine, AvgPool2d, Conv2d, Graph, Input, Output, remaps
from mstsim.ledger import COL, COLUMNS
from mstsim.reference import ReferenceSimulator

from ..oracle import example_graphs as ex

RULES = [dict(pool_rule=r, count_padding=c) for r in ("events", "through", "dense") for c in (False, True)]


def one_event_counts(node_factory, in_shape, position):
    """Run one step with a single input spike at `position`; return the node's ledger row."""
    g = Graph()
    g.add(Input("x", shape=in_shape))
    g.add(IF("spike", ("x",), theta=1.0, v_init=0.0))
    g.add(node_factory("spike"))
    g.add(remaps.flatten("flat", "node", g.shapes["node"]))
    g.add(Output("out", ("flat",)))
    x = np.zeros((1,) + in_shape)
    x[(0,) + position] = 1.0
    res = Simulator(g, dtype=np.float64).run(x, 1)
    _, ref, _ = ReferenceSimulator(g, dtype=np.float64).run(x, 1)
    assert np.array_equal(res.ledger.totals, ref.totals)
    row = res.ledger.totals[2]
    assert row[COL["events_in"]] == 1
    return row, res.ledger.ann_macs[2]


def test_linear_layer():
    w = np.array([[1, 0, 0.5, 1], [1, 1, 0, 1], [1, 1, -1, 0]], dtype=float)
    row, ann = one_event_counts(lambda s: Affine("node", (s,), weight=w, bias=np.ones(3)), (4,), (2,))
    assert (row[COL["acs"]], row[COL["effective_acs"]], row[COL["bias_adds"]], ann) == (3, 2, 3, 12)
    row, ann = one_event_counts(lambda s: Affine("node", (s,), weight=w), (5, 4), (1, 2))
    assert (row[COL["acs"]], ann) == (3, 60)


@pytest.mark.parametrize("pos, acs", [((0, 2, 2), 18), ((0, 0, 0), 8), ((0, 0, 2), 12)])
def test_conv_event_at_border(pos, acs):
    conv = lambda s: Conv2d("node", (s,), weight=np.ones((2, 1, 3, 3)), padding=1)
    row, ann = one_event_counts(conv, (1, 5, 5), pos)
    assert row[COL["acs"]] == acs and ann == 338


@pytest.mark.parametrize("pos, acs", [((0, 1, 1), 16), ((0, 2, 2), 4), ((0, 0, 0), 4), ((0, 1, 2), 8)])
def test_strided_conv(pos, acs):
    conv = lambda s: Conv2d("node", (s,), weight=np.ones((4, 1, 3, 3)), padding=1, stride=2)
    row, _ = one_event_counts(conv, (1, 5, 5), pos)
    assert row[COL["acs"]] == acs


def test_average_pooling():
    pool = lambda s: AvgPool2d("node", (s,), kernel=2)
    row, _ = one_event_counts(pool, (1, 4, 4), (0, 1, 2))
    assert (row[COL["acs"]], row[COL["element_ops"]]) == (1, 4)
    for pos, acs in [((0, 0, 0), 4), ((0, 0, 2), 6), ((0, 1, 2), 9)]:
        pool = lambda s: AvgPool2d("node", (s,), kernel=3, stride=1, padding=1, count_include_pad=False)
        row, _ = one_event_counts(pool, (1, 4, 4), pos)
        assert (row[COL["acs"]], row[COL["element_ops"]]) == (acs, 16)


def test_spike_attention_example():
    """docs/accounting.md: 5 coincidences for q k^T, 7 x 16 ACs for P v."""
    from mstsim.ir.attention import MatMul
    q_at, k_at = [(0, 1), (2, 1), (2, 3)], [(1, 0), (1, 4), (3, 4)]
    g = Graph()
    g.add(Input("x", shape=(12 + 20 + 256 + 32,)))
    g.add(IF("spikes", ("x",), theta=1.0, v_init=0.0))
    g.add(remaps.slice_("q_flat", "spikes", (320,), [0], [12], [0]))
    g.add(remaps.reshape("q", "q_flat", (12,), (3, 4)))
    g.add(remaps.slice_("k_flat", "spikes", (320,), [12], [32], [0]))
    g.add(remaps.reshape("k_t", "k_flat", (20,), (4, 5)))
    g.add(MatMul("scores", ("q", "k_t")))
    g.add(remaps.slice_("p_flat", "x", (320,), [32], [288], [0]))      # analog, like a softmax output
    g.add(remaps.reshape("p", "p_flat", (256,), (16, 16)))
    g.add(remaps.slice_("v_flat", "spikes", (320,), [288], [320], [0]))
    g.add(remaps.reshape("v", "v_flat", (32,), (16, 2)))
    g.add(MatMul("pv", ("p", "v")))
    g.add(remaps.flatten("out_flat", "pv", (16, 2)))
    g.add(Output("out", ("out_flat",)))
    x = np.zeros((1, 320))
    for i, d in q_at:
        x[0, i * 4 + d] = 1
    for d, j in k_at:
        x[0, 12 + d * 5 + j] = 1
    x[0, 32:288] = 0.5                      # below threshold: never spikes, P stays analog
    x[0, 288 + np.arange(7) * 3] = 1        # 7 events of v
    res = Simulator(g, dtype=np.float64).run(x, 1)
    _, ref, _ = ReferenceSimulator(g, dtype=np.float64).run(x, 1)
    assert np.array_equal(res.ledger.totals, ref.totals)
    acs = dict(zip(res.ledger.nodes, res.ledger.column("acs")))
    assert acs["scores"] == 5 and acs["pv"] == 7 * 16


def _rows(ledger) -> dict:
    """Per node, its non-zero columns and (as ``ann``) its ANN MACs."""
    rows = {}
    for name, row, ann in zip(ledger.nodes, ledger.totals, ledger.ann_macs):
        rows[name] = {c: int(v) for c, v in zip(COLUMNS, row) if v}
        if ann:
            rows[name]["ann"] = int(ann)
    return rows


def check_counts(case, want: dict, **rules) -> None:
    """The oracle's, then the engine's, rows of the nodes in ``want`` are exactly the hand counts."""
    graph, x, T = case
    _, ora, _ = ReferenceSimulator(graph, dtype=np.float64, **rules).run(x, T)
    for who, ledger in (("oracle", ora), ("engine", None)):
        if ledger is None:
            ledger = Simulator(graph, dtype=np.float64, **rules).run(x, T, detail=True).ledger
        got = _rows(ledger)
        for node, cols in want.items():
            assert got[node] == cols, f"{who}, node {node!r} under {rules}: {got[node]} instead of {cols}"


def test_residual_stream_is_events_through_patch_merging():
    """(a) IF -> BN (shift) -> + spikes -> 4 Slices + Concat -> Linear: ACs by fan-out, 0 MACs, bias adds."""
    check_counts(ex.residual_stream(), {
        "bn": dict(events_in=2, events_out=2, ann=8),
        "res": dict(events_in=5, events_out=5),
        "x0": dict(events_in=5, events_out=2), "x3": dict(events_in=5, events_out=1),
        "merge": dict(events_in=5, events_out=5),
        "reduction": dict(events_in=5, acs=15, effective_acs=10, bias_adds=3, ann=24),
    })


@pytest.mark.parametrize("shift", [True, False])
def test_bn_into_if(shift):
    """(b) BN of spikes -> IF: one AC per underlying event, bias adds per neuron only with a shift."""
    want_if = dict(events_in=4, events_out=5 if shift else 4, acs=4, effective_acs=4, neuron_updates=6)
    if shift:
        want_if["bias_adds"] = 6
    check_counts(ex.bn_into_if(shift), {"bn": dict(events_in=4, events_out=4, ann=6), "if": want_if})


def test_affine_of_events_into_layernorm_materialises():
    """(c) BN of spikes -> LayerNorm: 1 AC per underlying event + the offset's bias adds, then analog."""
    check_counts(ex.bn_into_layernorm(), {
        "bn": dict(events_in=4, events_out=4, ann=6),
        "ln": dict(events_in=4, acs=4, effective_acs=4, bias_adds=6, element_ops=6),
        "fc": dict(macs=12, ann=12),
    })


VGG = {
    "events": {"pool": dict(events_in=6, events_out=3, acs=6, effective_acs=6, element_ops=4, ann=16),
               "flat": dict(events_in=3, events_out=3),
               "fc": dict(events_in=3, acs=9, effective_acs=6, bias_adds=3, ann=12)},
    "through": {"pool": dict(events_in=6, events_out=6, ann=16), "flat": dict(events_in=6, events_out=6),
                "fc": dict(events_in=6, acs=18, effective_acs=13, bias_adds=3, ann=12)},
    "dense": {"pool": dict(events_in=6, acs=6, effective_acs=6, element_ops=4, ann=16), "flat": {},
              "fc": dict(macs=12, bias_adds=3, ann=12)},
}


@pytest.mark.parametrize("rule", sorted(VGG))
def test_vgg_pool_then_linear(rule):
    """(d) 6 events -> AvgPool 2x2 s2 -> Flatten -> Linear 4 -> 3, under each pool rule."""
    check_counts(ex.vgg_pool(), VGG[rule], pool_rule=rule)


OVERLAP = {
    "events": {"pool": dict(events_in=2, events_out=9, acs=13, effective_acs=13, element_ops=16, ann=100),
               "conv": dict(events_in=9, acs=64, effective_acs=39, ann=100)},
    "through": {"pool": dict(events_in=2, events_out=2, ann=100), "conv": dict(events_in=2, acs=25, effective_acs=23, ann=100)},
    "dense": {"pool": dict(events_in=2, acs=13, effective_acs=13, element_ops=16, ann=100),
              "conv": dict(macs=100, ann=100)},
}


@pytest.mark.parametrize("rule", sorted(OVERLAP))
def test_overlapping_pool_then_conv(rule):
    """(e) events at (0, 0) and (1, 1) -> AvgPool 3x3 s1 p1 -> plus-shaped 3x3 conv: `through` counts the union."""
    check_counts(ex.overlapping_pool(), OVERLAP[rule], pool_rule=rule)


@pytest.mark.parametrize("count_padding", [False, True])
def test_count_padding(count_padding):
    """(f) padding taps in ANN MACs and analog MACs only: 338 -> 450 and 1014 -> 1350; the 918 ACs stay."""
    conv1, ann2 = (450, 1350) if count_padding else (338, 1014)
    check_counts(ex.padded_convs(), {
        "conv1": dict(macs=conv1, ann=conv1),
        "if": dict(events_out=42, neuron_updates=50),
        "conv2": dict(events_in=42, acs=918, effective_acs=918, ann=ann2),
    }, count_padding=count_padding)


EXAMPLES = [ex.residual_stream, lambda: ex.bn_into_if(True), ex.bn_into_layernorm, ex.vgg_pool,
            ex.overlapping_pool, ex.padded_convs]


@pytest.mark.parametrize("build", EXAMPLES, ids=["a", "b", "c", "d", "e", "f"])
def test_values_do_not_depend_on_the_rules(build):
    """Every node's values and the logits are the same bits under every pool rule and count_padding."""
    graph, x, T = build()
    _, _, base = ReferenceSimulator(graph, dtype=np.float64).run(x, T)
    logits = Simulator(graph, dtype=np.float64).run(x, T).cum_logits
    for rules in RULES:
        _, _, rec = ReferenceSimulator(graph, dtype=np.float64, **rules).run(x, T)
        for t in range(T):
            for name, v in base["values"][t].items():
                assert np.array_equal(rec["values"][t][name], v), (rules, t, name)
        assert np.array_equal(Simulator(graph, dtype=np.float64, **rules).run(x, T).cum_logits, logits), rules


@pytest.mark.parametrize("make", [lambda g, **k: ReferenceSimulator(g, **k), lambda g, **k: Simulator(g, **k)],
                         ids=["oracle", "engine"])
@pytest.mark.parametrize("bad", ["through ", "Events", None, 1])
def test_a_bad_pool_rule_names_the_argument(make, bad):
    graph = ex.vgg_pool()[0]
    with pytest.raises(MstsimError, match="pool_rule") as err:
        make(graph, pool_rule=bad)
    assert isinstance(err.value, ValueError)


@pytest.mark.parametrize("make", [lambda g, **k: ReferenceSimulator(g, **k), lambda g, **k: Simulator(g, **k)],
                         ids=["oracle", "engine"])
@pytest.mark.parametrize("bad", ["yes", 1, None])
def test_a_bad_count_padding_names_the_argument(make, bad):
    with pytest.raises(MstsimError, match="count_padding") as err:
        make(ex.padded_convs()[0], count_padding=bad)
    assert isinstance(err.value, ValueError)
