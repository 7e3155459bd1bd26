"""A per-channel affine of a dense input is scaled in one pass, with the scatter's bits (plan_ops.synaptic).

The scatter it replaces starts from +0 and adds ``x * scale`` only where x is non-zero, so a zero
input gives +0, never -0, even with a negative scale; a non-finite scale (where ``0 * inf`` would
make a nan the scatter never formed; the IR refuses non-finite scales, but a float32 plan rounds
one above 3.4e38 to inf) keeps the scatter.
"""
import numpy as np
import pytest

from mstsim.engine import Simulator
from mstsim.ir import IF, ChannelAffine, Graph, Input, Output, remaps
from mstsim.kernels import plan_layout as L


def _graph(scale):
    g = Graph()
    g.add(Input("x", shape=(2, 3)))
    g.add(ChannelAffine("bn", ("x",), scale=np.asarray(scale, dtype=np.float64), shift=None, axis=0))
    g.add(IF("s", ("bn",), theta=1.0))
    g.add(remaps.flatten("flat", "s", (2, 3)))
    g.add(Output("o", ("flat",)))
    return g


def _bn_values(g, x, dtype):
    seen = []
    Simulator(g, dtype=dtype).run(x, 2, on_step=lambda t, v: seen.append(v["bn"].copy()))
    return seen[-1].reshape(x.shape)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_zeros_stay_positive_and_products_round_once(dtype):
    g = _graph([-1.5, 0.1])
    assert Simulator(g, dtype=dtype).plan.code[1, L.P0 + 8] == 1  # the one-pass form
    x = np.array([[[0.0, -0.0, 3.0], [0.0, 7.0, -2.5]]])
    got = _bn_values(g, x, dtype)
    scale = np.array([[-1.5], [0.1]]).astype(dtype)
    expected = np.where(x == 0, dtype(0), x.astype(dtype) * scale)
    assert np.array_equal(got.view(np.uint8), expected.astype(dtype).view(np.uint8))
    assert not np.signbit(got[0, 0, :2]).any()


def test_a_scale_infinite_in_float32_keeps_the_scatter():
    g = _graph([1e39, 1.0])
    assert Simulator(g, dtype=np.float64).plan.code[1, L.P0 + 8] == 1
    assert Simulator(g, dtype=np.float32).plan.code[1, L.P0 + 8] == 0
    got = _bn_values(g, np.array([[[0.0, 2.0, 0.0], [1.0, 0.0, 3.0]]]), np.float32)
    assert np.array_equal(got, [[[0.0, np.inf, 0.0], [1.0, 0.0, 3.0]]])  # no nan from 0 * inf
