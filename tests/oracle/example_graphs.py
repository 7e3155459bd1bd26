"""The graphs and inputs of the affine-of-events, pool-rule and count_padding examples of docs/accounting.md.

Each builder returns ``(graph, x, T)``. Spikes are placed by hand: an IF
with ``theta = 1`` and ``v_init = 0`` fires at step 0 exactly where its
input is 1, or an event-stream input puts one event per listed element.
"""
from __future__ import annotations

import numpy as np

from mstsim.ir import IF, Add, Affine, AvgPool2d, ChannelAffine, Conv2d, Graph, Input, Output, remaps
from mstsim.ir.analog import LayerNorm


def _spikes(g: Graph, shape, name="s") -> str:
    g.add(Input("x", shape=shape))
    return g.add(IF(name, ("x",), theta=1.0, v_init=0.0))


def _ones_at(shape, positions) -> np.ndarray:
    x = np.zeros((1,) + tuple(shape))
    for p in positions:
        x[(0,) + tuple(p)] += 1.0
    return x


#: (a) the linear layer after patch merging: columns 0, 2, 5, 7 are where the events land
MERGE_W = np.zeros((3, 8))
MERGE_W[:, 0], MERGE_W[:, 2], MERGE_W[:, 5], MERGE_W[:, 7] = (1, 0, 1), (1, 1, 1), (0, 0, 1), (1, 1, 0)
MERGE_W[:, [1, 3, 4, 6]] = 0.5


def residual_stream():
    """(a) spikes -> BN (with shift) -> + other spikes -> patch merging (4 Slices, Concat) -> Linear 8 -> 3."""
    g = Graph()
    s = _spikes(g, (2, 2, 4))                                   # (H, W, 2C): two spike tensors of C = 2
    g.add(remaps.slice_("a", s, (2, 2, 4), [0], [2], [2]))
    g.add(remaps.slice_("b", s, (2, 2, 4), [2], [4], [2]))
    g.add(ChannelAffine("bn", ("a",), scale=np.array([0.5, 2.0]), shift=np.array([0.25, -0.5]), axis=2))
    g.add(Add("res", ("bn", "b")))
    parts = []
    for k, (y0, x0) in enumerate([(0, 0), (1, 0), (0, 1), (1, 1)]):  # Swin's x0, x1, x2, x3
        parts.append(g.add(remaps.slice_(f"x{k}", "res", (2, 2, 2), [y0, x0], [2, 2], [0, 1], [2, 2])))
    g.add(remaps.concat("merge", parts, [(1, 1, 2)] * 4, 2))
    g.add(Affine("reduction", ("merge",), weight=MERGE_W))    # Swin's reduction has no bias
    g.add(remaps.flatten("flat", "reduction", (1, 1, 3)))
    g.add(Output("out", ("flat",)))
    a_events = [(0, 0, 0), (1, 1, 1)]
    b_events = [(0, 0, 2), (0, 1, 3), (1, 0, 2)]               # b's channels 0, 1 sit at 2, 3
    return g, _ones_at((2, 2, 4), a_events + b_events), 1


def bn_into_if(shift: bool):
    """(b) spikes (2, 3) -> BN over axis 0 -> IF."""
    g = Graph()
    s = _spikes(g, (2, 3))
    g.add(ChannelAffine("bn", (s,), scale=np.array([0.5, 1.5]), shift=np.array([0.25, -0.25]) if shift else None))
    g.add(IF("if", ("bn",), theta=0.5))
    g.add(remaps.flatten("flat", "if", (2, 3)))
    g.add(Output("out", ("flat",)))
    return g, _ones_at((2, 3), [(0, 0), (0, 2), (1, 1), (1, 2)]), 1


def bn_into_layernorm():
    """(c) spikes (2, 3) -> BN (with shift) -> LayerNorm over the last axis -> Linear 3 -> 2."""
    g = Graph()
    s = _spikes(g, (2, 3))
    g.add(ChannelAffine("bn", (s,), scale=np.array([0.5, 1.5]), shift=np.array([0.25, -0.25])))
    g.add(LayerNorm("ln", ("bn",)))
    g.add(Affine("fc", ("ln",), weight=np.array([[1.0, 0.5, -1.0], [0.25, 1.0, 2.0]])))
    g.add(remaps.flatten("flat", "fc", (2, 2)))
    g.add(Output("out", ("flat",)))
    return g, _ones_at((2, 3), [(0, 0), (0, 2), (1, 1), (1, 2)]), 1


#: (d) the VGG-style head: column k is pooled element k
VGG_W = np.array([[1.0, 0.0, 1.0, 1.0], [1.0, 1.0, 0.0, 1.0], [0.0, 0.0, 1.0, 1.0]])
VGG_EVENTS = [(0, 0), (0, 1), (1, 1), (1, 2), (2, 3), (3, 3)]


def vgg_pool():
    """(d) event input 1x4x4 -> AvgPool 2x2 stride 2 -> Flatten -> Linear 4 -> 3 (with bias)."""
    g = Graph()
    g.add(Input("x", shape=(1, 4, 4), kind="event"))
    g.add(AvgPool2d("pool", ("x",), kernel=2))
    g.add(remaps.flatten("flat", "pool", (1, 2, 2)))
    g.add(Affine("fc", ("flat",), weight=VGG_W, bias=np.ones(3)))
    g.add(Output("out", ("fc",)))
    x = np.zeros((1, 1, 1, 4, 4))                               # (batch, stream steps, C, H, W)
    for y, x_ in VGG_EVENTS:
        x[0, 0, 0, y, x_] = 1
    return g, x, 1


#: (e) a plus-shaped 3x3 kernel: the corner taps are zero
PLUS = np.array([[[[0.0, 1.0, 0.0], [1.0, 1.0, 1.0], [0.0, 1.0, 0.0]]]])


def overlapping_pool():
    """(e) event input 1x4x4 -> AvgPool 3x3 stride 1 pad 1 -> Conv2d 3x3 pad 1 (plus-shaped)."""
    g = Graph()
    g.add(Input("x", shape=(1, 4, 4), kind="event"))
    g.add(AvgPool2d("pool", ("x",), kernel=3, stride=1, padding=1, count_include_pad=False))
    g.add(Conv2d("conv", ("pool",), weight=PLUS, padding=1))
    g.add(remaps.flatten("flat", "conv", (1, 4, 4)))
    g.add(Output("out", ("flat",)))
    x = np.zeros((1, 1, 1, 4, 4))
    x[0, 0, 0, 0, 0] = x[0, 0, 0, 1, 1] = 1
    return g, x, 1


def padded_convs():
    """(f) image 1x5x5 of ones -> Conv2d 1 -> 2, 3x3 pad 1 (ones) -> IF (theta 5) -> Conv2d 2 -> 3, 3x3 pad 1."""
    g = Graph()
    g.add(Input("x", shape=(1, 5, 5)))
    g.add(Conv2d("conv1", ("x",), weight=np.ones((2, 1, 3, 3)), padding=1))
    g.add(IF("if", ("conv1",), theta=5.0, v_init=0.0))
    g.add(Conv2d("conv2", ("if",), weight=np.ones((3, 2, 3, 3)), padding=1))
    g.add(remaps.flatten("flat", "conv2", (3, 5, 5)))
    g.add(Output("out", ("flat",)))
    return g, np.ones((1, 1, 5, 5)), 1
