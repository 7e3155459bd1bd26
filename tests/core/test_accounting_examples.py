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
