"""A QCFS-style VGG with AvgPool between convolutions and unfolded BatchNorms, under every pool rule.

conv1 (image) -> BN -> IF -> conv2 -> IF -> BN -> AvgPool 2x2 -> conv3 -> IF -> AvgPool 3x3 s1 p1 (or a
global mean) -> Linear head.

The engine must equal the oracle (spikes and ledger exactly, values within
RTOL), and the issue's claim must hold: under ``events`` and ``through`` only
the first convolution (and the BatchNorm on its output, both on the image)
pays MACs; under ``dense`` every layer after a pool pays them too.
"""
import numpy as np
import pytest

from mstsim.ir import IF, Affine, AvgPool2d, ChannelAffine, Conv2d, Graph, Input, Mean, Output, remaps
from mstsim.ledger import COL

from .harness import RTOL, engine_trace, first_divergence, ledger_divergence, oracle_trace


def pooled_cnn(seed: int, global_pool: bool) -> Graph:
    rng = np.random.default_rng(seed)

    def conv(name, src, cin, cout, **kw):
        return g.add(Conv2d(name, (src,), weight=rng.normal(0, 0.5, (cout, cin, 3, 3)), bias=rng.normal(0, 0.1, cout),
                            padding=1, **kw))

    def bn(name, src, c):
        return g.add(ChannelAffine(name, (src,), scale=rng.uniform(0.5, 1.5, c), shift=rng.normal(0, 0.2, c)))

    g = Graph()
    g.add(Input("x", shape=(2, 8, 8)))
    g.add(IF("if1", (bn("bn1", conv("conv1", "x", 2, 4), 4),), theta=0.6))
    g.add(IF("if2", (conv("conv2", "if1", 4, 4),), theta=0.5))
    g.add(AvgPool2d("pool1", (bn("bn2", "if2", 4),), kernel=2))         # a pool of an affine of events, 4 x 4 x 4
    g.add(IF("if3", (conv("conv3", "pool1", 4, 6),), theta=0.4))
    if global_pool:
        g.add(Mean("pool2", ("if3",), axes=(1, 2)))                     # 6
        flat = "pool2"
    else:
        g.add(AvgPool2d("pool2", ("if3",), kernel=3, stride=1, padding=1, count_include_pad=False))
        flat = g.add(remaps.flatten("flat", "pool2", (6, 4, 4)))
    g.add(Affine("head", (flat,), weight=rng.normal(0, 0.5, (10, g.shapes[flat][0])), bias=rng.normal(0, 0.1, 10)))
    g.add(Output("out", ("head",)))
    return g


@pytest.mark.parametrize("global_pool", [False, True], ids=["avgpool-head", "gap-head"])
@pytest.mark.parametrize("pool_rule", ["events", "through", "dense"])
def test_pooled_cnn_engine_equals_oracle(pool_rule, global_pool):
    g = pooled_cnn(3, global_pool)
    x = np.random.default_rng(4).uniform(0, 1, (2, 2, 8, 8))
    for count_padding in (False, True):
        rules = dict(pool_rule=pool_rule, count_padding=count_padding)
        eng = engine_trace(g, x, 4, dtype=np.float64, **rules)
        ora = oracle_trace(g, x, 4, dtype=np.float64, **rules)
        assert ledger_divergence(eng.ledger, ora.ledger) is None, (rules, ledger_divergence(eng.ledger, ora.ledger))
        assert first_divergence(g, eng, ora, rtol=RTOL) is None, (rules, first_divergence(g, eng, ora, rtol=RTOL))
        paying = {n for n, m in zip(ora.ledger.nodes, ora.ledger.column("macs")) if m}
        static = {"conv1", "bn1"}
        assert paying == (static if pool_rule != "dense" else static | {"conv3", "head"}), rules
        assert ora.ledger.totals[ora.ledger.nodes.index("if2"), COL["events_out"]] > 0
