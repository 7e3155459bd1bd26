"""The engine's results do not depend on how the samples are batched or ordered.

On random graphs of both families, in float32 and float64: batch sizes 1, 3
and all, and a shuffled order (with the samples' global ids passed along),
must give the same bits: cumulative logits, predictions, the ledger totals
and every per-step row, under a drawn pool rule and count_padding. This is
what the compiled plan guarantees (issue 8).
The random graphs are small; the wide graph below makes the dense analog
work big enough for a BLAS-based engine to change its blocking with the
batch shape (the Python-operator engine before the compiled plan failed it).
"""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from mstsim.api import simulate
from mstsim.engine import Simulator
from mstsim.ir import IF, Affine, Graph, Input, Mean, Output
from mstsim.ir.analog import Gelu, LayerNorm, Softmax
from mstsim.ir.attention import MatMul

from ..core.random_graphs import random_graphs, random_inputs

T = 4
N = 5


def _same(a, b, what):
    assert np.array_equal(a.cum_logits, b.cum_logits), f"{what}: cumulative logits differ"
    assert np.array_equal(a.predictions, b.predictions), f"{what}: predictions differ"
    assert np.array_equal(a.ledger.totals, b.ledger.totals), f"{what}: ledger totals differ"
    assert np.array_equal(a.ledger.per_step, b.ledger.per_step), f"{what}: per-step ledger differs"


def check_batching(graph, x, dtype, seed, **rules):
    whole = simulate(graph, x, T=T, dtype=dtype, seed=seed, detail=True, **rules)
    for size in (1, 3):
        _same(whole, simulate(graph, x, T=T, dtype=dtype, seed=seed, detail=True, batch_size=size, **rules),
              f"batch size {size} vs {len(x)}")
    order = np.random.default_rng(seed).permutation(len(x))
    shuffled = Simulator(graph, dtype=dtype, seed=seed, **rules).run(x[order], T, detail=True, sample_ids=order)
    assert np.array_equal(shuffled.cum_logits, whole.cum_logits[:, order]), "shuffled samples: logits differ"
    assert np.array_equal(shuffled.ledger.totals, whole.ledger.totals), "shuffled samples: ledger differs"
    assert np.array_equal(shuffled.ledger.per_step, whole.ledger.per_step), "shuffled samples: ledger differs"


@pytest.mark.parametrize("exact", [True, False], ids=["exact", "analog"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@settings(max_examples=20)
@given(data=st.data(), seed=st.integers(0, 2**32), pool_rule=st.sampled_from(["events", "through", "dense"]),
       count_padding=st.booleans())
def test_random_graphs_do_not_depend_on_batching(data, seed, dtype, exact, pool_rule, count_padding):
    graph, _ = data.draw(random_graphs(exact=exact))
    check_batching(graph, random_inputs(graph, N, seed), dtype, seed, pool_rule=pool_rule,
                   count_padding=count_padding)


def wide_analog_graph(seed: int, n: int = 16, c: int = 32) -> Graph:
    """Dense analog work large enough for BLAS to block by batch shape: an analog-input Affine,
    LayerNorm, softmax, a spike x analog product and a Gelu, with generic weights."""
    rng = np.random.default_rng(seed)
    g = Graph()
    g.add(Input("x", shape=(n, c)))
    g.add(Affine("fc1", ("x",), weight=rng.normal(0, 0.3, (64, c)), bias=rng.normal(0, 0.1, 64)))
    g.add(LayerNorm("ln", ("fc1",), weight=rng.normal(1, 0.2, 64), bias=rng.normal(0, 0.2, 64)))
    g.add(IF("s1", ("ln",), theta=0.7))
    g.add(Affine("fc2", ("s1",), weight=rng.normal(0, 0.3, (n, 64))))
    g.add(Softmax("attn", ("fc2",)))
    g.add(MatMul("mix", ("attn", "s1")))
    g.add(Gelu("gelu", ("mix",)))
    g.add(Affine("fc3", ("gelu",), weight=rng.normal(0, 1, (c, 64))))
    g.add(IF("s2", ("fc3",), theta=0.3))
    g.add(Mean("pool", ("s2",), axes=(0,)))
    g.add(Affine("head", ("pool",), weight=rng.normal(0, 1, (10, c))))
    g.add(Output("out", ("head",)))
    return g


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("seed", [0, 1])
def test_wide_analog_graph_does_not_depend_on_batching(seed, dtype):
    graph = wide_analog_graph(seed)
    check_batching(graph, np.random.default_rng(seed + 100).normal(0, 1, (7, 16, 32)), dtype, seed)
