"""Hypothesis strategies for random IR graphs with dyadic parameters.

Weights are small multiples of 1/8, thresholds multiples of 1/4, inputs
multiples of 1/8: every sum is exact in float32 and float64 in any order,
so the engine and the oracle must agree bit for bit. Pool and mean outputs
(which divide by non-powers of two) only ever feed an IF, whose update is
one elementwise addition in both simulators.
"""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from mstsim.ir import (IF, Add, Affine, AvgPool2d, ChannelAffine, Conv2d, Graph, Input, Mean, Output,
                       remaps)
from mstsim.ir.synaptic import conv_out_size


def dyadic(draw, shape, lo=-4, hi=4, denom=8.0):
    seed = draw(st.integers(0, 2**31 - 1))
    return np.random.default_rng(seed).integers(lo, hi + 1, size=shape) / denom


class Builder:
    def __init__(self, draw, graph: Graph):
        self.draw, self.g, self.n = draw, graph, 0

    def name(self, kind):
        self.n += 1
        return f"{kind}{self.n}"

    def spiking(self, src):
        theta = self.draw(st.sampled_from([0.25, 0.5, 0.75, 1.0, 1.5]))
        return self.g.add(IF(self.name("if"), (src,), theta=theta, levels=self.draw(st.integers(2, 8))))

    def conv(self, src):
        c, h, w = self.g.shapes[src]
        d = self.draw
        groups = d(st.sampled_from([g for g in (1, 2, 3) if c % g == 0]))
        cout = groups * d(st.integers(1, 3))
        kh, kw = d(st.integers(1, 3)), d(st.integers(1, 3))
        stride = (d(st.integers(1, 3)), d(st.integers(1, 3)))
        dil = (d(st.integers(1, 2)), d(st.integers(1, 2)))
        pad = tuple(d(st.integers(0, 2)) for _ in range(4))
        if conv_out_size(h, kh, stride[0], dil[0], pad[0], pad[2]) < 1 or \
                conv_out_size(w, kw, stride[1], dil[1], pad[1], pad[3]) < 1:
            kh = kw = 1
            dil = (1, 1)
        bias = dyadic(d, (cout,)) if d(st.booleans()) else None
        node = Conv2d(self.name("conv"), (src,), weight=dyadic(d, (cout, c // groups, kh, kw)), bias=bias,
                      stride=stride, padding=pad, dilation=dil, groups=groups)
        return self.g.add(node)

    def pool(self, src):
        c, h, w = self.g.shapes[src]
        d = self.draw
        k = (d(st.integers(1, min(3, h))), d(st.integers(1, min(3, w))))
        pad = (d(st.integers(0, k[0] // 2)), d(st.integers(0, k[1] // 2)))
        node = AvgPool2d(self.name("pool"), (src,), kernel=k, stride=(d(st.integers(1, 2)), d(st.integers(1, 2))),
                         padding=pad, count_include_pad=d(st.booleans()))
        return self.spiking(self.g.add(node))

    def mean(self, src):
        node = Mean(self.name("mean"), (src,), axes=self.draw(st.sampled_from([(1, 2), (2,), (1,)])),
                    keepdims=True)
        return self.spiking(self.g.add(node))

    def channel_affine(self, src):
        c = self.g.shapes[src][0]
        shift = dyadic(self.draw, (c,)) if self.draw(st.booleans()) else None
        node = ChannelAffine(self.name("bn"), (src,), scale=dyadic(self.draw, (c,), -8, 8, 4.0), shift=shift,
                             axis=0)
        return self.g.add(node)

    def remap(self, src):
        shape = self.g.shapes[src]
        d = self.draw
        op = d(st.sampled_from(["roll", "pad", "slice", "transpose", "concat"]))
        name = self.name(op)
        if op == "roll":
            return self.g.add(remaps.roll(name, src, shape, (d(st.integers(-3, 3)),), (d(st.integers(1, 2)),)))
        if op == "pad":
            return self.g.add(remaps.pad(name, src, shape, [(0, 0), (d(st.integers(0, 1)), 1), (1, d(st.integers(0, 1)))]))
        if op == "slice" and shape[1] > 1:
            return self.g.add(remaps.slice_(name, src, shape, [0], [shape[1] - 1], [1], [1]))
        if op == "transpose" and shape[1] == shape[2]:
            return self.g.add(remaps.transpose(name, src, shape, (0, 2, 1)))
        return self.g.add(remaps.concat(name, [src, src], [shape, shape], 0))


@st.composite
def random_graphs(draw, max_layers: int = 5):
    """A random DAG ending in Flatten -> Affine -> Output, plus a matching input batch."""
    g = Graph()
    c, h, w = draw(st.integers(1, 3)), draw(st.integers(3, 7)), draw(st.integers(3, 7))
    stream = draw(st.booleans())
    g.add(Input("x", shape=(c, h, w), kind="event" if stream else "analog"))
    b = Builder(draw, g)
    cur = b.spiking(b.conv("x"))
    spikes = [cur]  # spike tensors available for residual adds
    for _ in range(draw(st.integers(1, max_layers))):
        step = draw(st.sampled_from(["conv", "pool", "mean", "bn", "remap", "residual", "residual_analog"]))
        if step == "conv":
            cur = b.spiking(b.conv(cur))
        elif step == "pool":
            cur = b.pool(cur)
        elif step == "mean":
            cur = b.mean(cur)
        elif step == "bn":
            cur = b.spiking(b.channel_affine(cur))
        elif step == "remap":
            cur = b.remap(cur)
        else:
            same = [s for s in spikes if g.shapes[s] == g.shapes[cur] and s != cur]
            other = draw(st.sampled_from(same)) if same else cur
            if step == "residual":  # events + events: merged, then integrated
                cur = b.spiking(g.add(Add(b.name("add"), (cur, other))))
            else:  # analog + events
                ca = g.shapes[cur][0]
                conv = g.add(Conv2d(b.name("conv"), (cur,), weight=dyadic(draw, (ca, ca, 1, 1))))
                cur = b.spiking(g.add(Add(b.name("add"), (conv, other))))
        if g.kinds[cur] == "event" and len(g.shapes[cur]) == 3:
            spikes.append(cur)
    flat = g.add(remaps.flatten(b.name("flat"), cur, g.shapes[cur]))
    classes = draw(st.integers(2, 5))
    fc = g.add(Affine("fc", (flat,), weight=dyadic(draw, (classes, g.shapes[flat][0])),
                      bias=dyadic(draw, (classes,))))
    g.add(Output("out", (fc,)))
    batch = draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    if stream:
        x = rng.poisson(0.4, size=(batch, draw(st.integers(1, 6)), c, h, w)).astype(np.float64)
    else:
        x = rng.integers(-8, 9, size=(batch, c, h, w)) / 8.0
    return g, x
