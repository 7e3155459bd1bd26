"""The worked examples of docs/accounting.md, through the engine and the oracle."""
import numpy as np
import pytest

from mstsim.engine import Simulator
from mstsim.ir import IF, Affine, AvgPool2d, Conv2d, Graph, Input, Output, remaps
from mstsim.ledger import COL
from mstsim.reference import ReferenceSimulator


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
