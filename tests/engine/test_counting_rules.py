"""Counting as a spike-driven implementation would (docs/accounting.md): what costs MACs, and that
the counting conventions never change a value."""
import numpy as np
import pytest

from mstsim import MstsimError
from mstsim.engine import Simulator
from mstsim.ir import IF, Affine, AvgPool2d, ChannelAffine, Conv2d, Graph, Input, Mean, Output, remaps
from mstsim.ledger import COL

from .bundled_cases import CASES, case_graph, digit_images

T = 4


def _run(graph, x, **rules):
    return Simulator(graph, dtype=np.float32, seed=1, **rules).run(x, T)


def _if_spikes(graph, res):
    return [int(res.ledger.totals[i, COL["events_out"]]) for i, n in enumerate(graph) if isinstance(n, IF)]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_values_never_depend_on_the_counting_rules(case):
    graph = case_graph(*case)
    x = digit_images(3, graph.input_node().shape)
    base = _run(graph, x)
    for rules in ({"pool_rule": "through"}, {"pool_rule": "dense"}, {"count_padding": True}):
        other = _run(graph, x, **rules)
        assert np.array_equal(base.cum_logits.view(np.uint8), other.cum_logits.view(np.uint8)), rules
        assert _if_spikes(graph, base) == _if_spikes(graph, other), rules


def test_the_bundled_mst_pays_macs_only_where_values_are_truly_analog():
    """The patch embedding sees the image; the mean pool and the head follow the final LayerNorm.
    Patch merging, every BatchNorm of the residual stream and every other Linear run on events."""
    graph = case_graph("mst_digits", 0.0, "attention")
    res = _run(graph, digit_images(2, graph.input_node().shape))
    macs = {n: int(res.ledger.totals[i, COL["macs"]]) for i, n in enumerate(res.ledger.nodes)}
    paying = {n for n, m in macs.items() if m}
    assert paying == {"/patch_embed/Conv_output_0", "/ReduceMean_output_0", "logits"}
    reductions = [n for n in graph if isinstance(n, Affine) and "reduction" in n.name]
    assert reductions and all(macs[n.name] == 0 for n in reductions)
    norms = [i for i, n in enumerate(graph) if isinstance(n, ChannelAffine)]
    assert norms and all(res.ledger.kinds[i] == "affine" for i in norms)  # every BatchNorm acts on spikes
    for i in norms:  # folded into their consumers: they cost nothing themselves
        row = res.ledger.totals[i]
        assert row[COL["macs"]] == row[COL["acs"]] == row[COL["bias_adds"]] == 0


def _vgg_block(pool):
    """spikes -> conv -> BN -> IF -> pool -> conv -> IF -> flatten -> Linear (a QCFS-VGG shape)."""
    rng = np.random.default_rng(0)
    g = Graph()
    g.add(Input("x", shape=(2, 8, 8)))
    g.add(Conv2d("c1", ("x",), weight=rng.normal(size=(4, 2, 3, 3)), padding=1))
    g.add(ChannelAffine("bn1", ("c1",), scale=rng.uniform(0.5, 1.5, 4), shift=rng.normal(size=4), axis=0))
    g.add(IF("s1", ("bn1",), theta=1.0, v_init=0.5))
    g.add(pool("p1", "s1"))
    g.add(Conv2d("c2", ("p1",), weight=rng.normal(size=(3, 4, 3, 3)), padding=1))
    g.add(IF("s2", ("c2",), theta=0.5, v_init=0.25))
    g.add(remaps.flatten("f", "s2", g.shapes["s2"]))
    g.add(Affine("fc", ("f",), weight=rng.normal(size=(5, int(np.prod(g.shapes["s2"]))))))
    g.add(Output("out", ("fc",)))
    return g


@pytest.mark.parametrize("pool", [lambda n, s: AvgPool2d(n, (s,), kernel=2),
                                  lambda n, s: AvgPool2d(n, (s,), kernel=3, stride=1, padding=1),
                                  lambda n, s: Mean(n, (s,), axes=(1, 2), keepdims=True)],
                         ids=["avg2", "avg3-overlapping", "global-mean"])
def test_a_layer_after_a_pool_of_spikes_runs_on_events_unless_dense(pool):
    g = _vgg_block(pool)
    x = np.random.default_rng(1).uniform(0, 2, size=(2, 2, 8, 8))
    macs = {}
    for rule in ("events", "through", "dense"):
        led = _run(g, x, pool_rule=rule).ledger
        macs[rule] = {n: int(led.totals[i, COL["macs"]]) for i, n in enumerate(led.nodes)}
        assert macs[rule]["c1"] > 0  # the image
    assert macs["events"]["c2"] == macs["through"]["c2"] == 0
    assert macs["dense"]["c2"] == 2 * T * _run(g, x[:1]).ledger.ann_macs[list(g.shapes).index("c2")]


def test_bad_counting_arguments_name_themselves():
    g = _vgg_block(lambda n, s: AvgPool2d(n, (s,), kernel=2))
    with pytest.raises(MstsimError, match="pool_rule"):
        Simulator(g, pool_rule="sum")
    with pytest.raises(MstsimError, match="count_padding"):
        Simulator(g, count_padding="yes")


def test_count_padding_counts_the_taps_on_padding_and_nothing_else():
    g = _vgg_block(lambda n, s: AvgPool2d(n, (s,), kernel=3, stride=1, padding=1))
    x = np.random.default_rng(2).uniform(0, 2, size=(1, 2, 8, 8))
    plain, padded = _run(g, x), _run(g, x, count_padding=True)
    names = list(plain.ledger.nodes)
    c1, p1 = names.index("c1"), names.index("p1")
    assert padded.ledger.ann_macs[c1] == 4 * 8 * 8 * 2 * 3 * 3 > plain.ledger.ann_macs[c1]
    assert padded.ledger.ann_macs[p1] == 4 * 8 * 8 * 3 * 3 > plain.ledger.ann_macs[p1]
    assert padded.ledger.totals[c1, COL["macs"]] == T * padded.ledger.ann_macs[c1]
    keep = [COL[c] for c in ("acs", "effective_acs", "events_out", "bias_adds", "element_ops")]
    assert np.array_equal(plain.ledger.totals[:, keep], padded.ledger.totals[:, keep])


def test_the_ledger_names_affine_and_routed_outputs():
    g = _vgg_block(lambda n, s: AvgPool2d(n, (s,), kernel=2))
    x = np.random.default_rng(3).uniform(0, 2, size=(1, 2, 8, 8))
    kinds = {rule: dict(zip(g.shapes, _run(g, x, pool_rule=rule).ledger.kinds)) for rule in ("events", "through")}
    assert kinds["events"]["s1"] == "event" and kinds["events"]["c1"] == "analog"
    assert kinds["events"]["p1"] == "affine" and kinds["through"]["p1"] == "routed"
