"""Hypothesis strategies for random IR graphs that draw every node type.

Two families, for the two comparison rules of the engine against the oracle:

- ``exact=True``: dyadic weights, thresholds and inputs, and only operations
  that keep values dyadic (synapses, IF, remaps, adds, masks, max-pooling,
  the exact elementwise ops, products of spike and dyadic tensors). Every sum
  is exact in float32 and float64 in any order, so engine and oracle must
  agree bit for bit. Pool and mean outputs that divide by non-powers of
  two only ever feed an IF, whose update is one rounded addition in both;
  the pools of ``pool_into`` divide by powers of two and feed anything.
- ``exact=False``: every node type, softmax, LayerNorm, Gelu and the
  transcendental elementwise ops included, with generic (non-dyadic)
  weights, thresholds and constants. Generic values make an exact tie at a
  threshold or a comparison a probability-zero event, so rounding
  differences between two float64 implementations cannot flip a spike.

Both families draw affine-of-events tensors (``ae``: BatchNorm of spikes,
adds with spikes, remaps, into IF, synaptic, analog and mixed consumers) and
pools of spikes, of affine-of-events and of analog tensors into what the
``through`` rule folds into (``pool_into``); see
``tests/oracle/event_affine_graphs.py``.
"""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from mstsim.ir import (IF, Add, Affine, AvgPool2d, ChannelAffine, Conv2d, Graph, Input, Mean, Output,
                       remaps)
from mstsim.ir.analog import MaxPool2d
from mstsim.ir.synaptic import conv_out_size

from .attention_graphs import random_attention, random_products
from ..oracle.elementwise_graphs import elementwise_step, mask_step, unary_analog_step
from ..oracle.event_affine_graphs import ae_step, head, pool_step, stem


class Builder:
    """Adds randomly drawn nodes to a graph; ``exact`` selects the family."""

    def __init__(self, draw, graph: Graph, exact: bool):
        self.draw, self.g, self.exact, self.n = draw, graph, exact, 0
        self.rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))

    def name(self, kind: str) -> str:
        self.n += 1
        return f"{kind}{self.n}"

    def shape(self, name: str) -> tuple:
        return self.g.shapes[name]

    def values(self, shape, lo=-4, hi=4, denom=8.0, scale=0.5) -> np.ndarray:
        """Dyadic multiples of 1/denom (exact family) or generic normal values."""
        if self.exact:
            return self.rng.integers(lo, hi + 1, size=shape) / denom
        return self.rng.normal(0.0, scale, size=shape)

    def theta(self) -> float:
        if self.exact:
            return float(self.draw(st.sampled_from([0.25, 0.5, 0.75, 1.0, 1.5])))
        return float(self.rng.uniform(0.2, 1.2))

    def spiking(self, src: str) -> str:
        return self.g.add(IF(self.name("if"), (src,), theta=self.theta(), levels=self.draw(st.integers(2, 8))))

    def bias(self, n: int):
        if self.exact:
            return self.values((n,)) if self.draw(st.booleans()) else None
        return self.values((n,))  # generic: never a constant row into softmax or LayerNorm

    def affine(self, src: str, n_out: int) -> str:
        n_in = self.shape(src)[-1]
        return self.g.add(Affine(self.name("fc"), (src,), weight=self.values((n_out, n_in)), bias=self.bias(n_out)))

    def analog_of(self, src: str) -> str:
        """A fresh analog tensor of the shape of ``src`` (a synaptic node reading it)."""
        shape = self.shape(src)
        if len(shape) == 3 and self.draw(st.booleans()):
            c = shape[0]
            return self.g.add(Conv2d(self.name("conv"), (src,), weight=self.values((c, c, 1, 1)), bias=self.bias(c)))
        if self.draw(st.booleans()):
            axis = self.draw(st.sampled_from(range(len(shape))))
            n = shape[axis]
            return self.g.add(ChannelAffine(self.name("bn"), (src,), scale=self.values((n,), -8, 8, 4.0),
                                            shift=self.bias(n), axis=axis))
        return self.affine(src, shape[-1])

    def conv(self, src: str) -> str:
        c, h, w = self.shape(src)
        d = self.draw
        groups = d(st.sampled_from([g for g in (1, 2, 3) if c % g == 0]))
        cout = groups * d(st.integers(1, 2))
        kh, kw = d(st.integers(1, 3)), d(st.integers(1, 3))
        stride = (d(st.integers(1, 2)), d(st.integers(1, 2)))
        dil = (d(st.integers(1, 2)), d(st.integers(1, 2)))
        pad = tuple(d(st.integers(0, 2)) for _ in range(4))
        if conv_out_size(h, kh, stride[0], dil[0], pad[0], pad[2]) < 2 or \
                conv_out_size(w, kw, stride[1], dil[1], pad[1], pad[3]) < 2:
            kh, kw, stride, dil = 1, 1, (1, 1), (1, 1)
        return self.g.add(Conv2d(self.name("conv"), (src,), weight=self.values((cout, c // groups, kh, kw)),
                                 bias=self.bias(cout), stride=stride, padding=pad, dilation=dil, groups=groups))

    def window(self, src: str):
        _, h, w = self.shape(src)
        d = self.draw
        k = (d(st.integers(1, min(3, h))), d(st.integers(1, min(3, w))))
        stride = (d(st.integers(1, 2)), d(st.integers(1, 2)))
        return k, stride, (d(st.integers(0, k[0] // 2)), d(st.integers(0, k[1] // 2)))

    def pool(self, src: str) -> str:
        k, stride, pad = self.window(src)
        node = AvgPool2d(self.name("pool"), (src,), kernel=k, stride=stride, padding=pad,
                         count_include_pad=self.draw(st.booleans()))
        return self.spiking(self.g.add(node))

    def max_pool(self, src: str) -> str:
        """Max-pooling of spikes (amplitudes) or of an analog tensor, then an IF."""
        if self.draw(st.booleans()):
            src = self.analog_of(src)
        k, stride, pad = self.window(src)
        dil = (self.draw(st.integers(1, 2)), 1) if self.shape(src)[1] >= 2 * k[0] else (1, 1)
        node = MaxPool2d(self.name("maxpool"), (src,), kernel=k, stride=stride, padding=pad, dilation=dil)
        return self.spiking(self.g.add(node))

    def mean(self, src: str) -> str:
        axes = self.draw(st.sampled_from([(1, 2), (2,), (1,)] if len(self.shape(src)) == 3 else [(0,), (1,)]))
        return self.spiking(self.g.add(Mean(self.name("mean"), (src,), axes=axes, keepdims=True)))

    def remap(self, src: str) -> str:
        shape = self.shape(src)
        d = self.draw
        op = d(st.sampled_from(["roll", "pad", "slice", "transpose", "concat", "gather"]))
        name = self.name(op)
        last = len(shape) - 1
        if op == "roll":
            return self.g.add(remaps.roll(name, src, shape, (d(st.integers(-3, 3)),), (d(st.integers(0, last)),)))
        if op == "pad":
            pads = [(0, 0)] * (len(shape) - 1) + [(d(st.integers(0, 1)), 1)]
            return self.g.add(remaps.pad(name, src, shape, pads))
        if op == "slice" and shape[-1] > 1:
            return self.g.add(remaps.slice_(name, src, shape, [0], [shape[-1] - 1], [last], [1]))
        if op == "transpose" and shape[-1] == shape[-2]:
            return self.g.add(remaps.transpose(name, src, shape, tuple(range(last - 1)) + (last, last - 1)))
        if op == "gather":  # repeated indices copy events
            idx = self.rng.integers(0, shape[-1], size=d(st.integers(1, shape[-1] + 1)))
            return self.g.add(remaps.gather(name, src, shape, idx, last))
        return self.g.add(remaps.concat(name, [src, src], [shape, shape], 0))

    def remap_tree(self, src: str) -> str:
        """An analog remap read by several remaps (the plan composes and retires it), each into an IF."""
        root = self.remap(self.analog_of(src))
        flats = []
        for _ in range(self.draw(st.integers(2, 3))):
            leaf = self.spiking(self.remap(root))
            flats.append(self.g.add(remaps.flatten(self.name("flat"), leaf, self.shape(leaf))))
        cat = self.g.add(remaps.concat(self.name("concat"), flats, [self.shape(f) for f in flats], 0))
        return self.g.add(remaps.reshape(self.name("tokens"), cat, self.shape(cat), (self.shape(cat)[0], 1)))

    def residual(self, src: str, spikes: list[str], analog: bool) -> str:
        same = [s for s in spikes if self.shape(s) == self.shape(src) and s != src]
        other = self.draw(st.sampled_from(same)) if same else src
        first = self.analog_of(src) if analog else src  # analog + events, or events + events (merged)
        return self.spiking(self.g.add(Add(self.name("add"), (first, other))))


IMAGE_STEPS = ["conv", "pool", "maxpool", "mean", "bn", "remap", "residual", "residual_analog", "elementwise",
               "mask", "ae", "pool_into", "remap_tree"]
TOKEN_STEPS = ["mlp", "attention", "products", "remap", "residual", "residual_analog", "elementwise", "mask", "ae",
               "pool_into", "remap_tree"]
ANALOG_STEPS = ["layernorm", "gelu", "softmax"]


def _step(b: Builder, kind: str, cur: str, spikes: list[str], op: str | None = None) -> str:
    g = b.g
    if kind == "conv":
        return b.spiking(b.conv(cur))
    if kind == "pool":
        return b.pool(cur)
    if kind == "maxpool":
        return b.max_pool(cur)
    if kind == "mean":
        return b.mean(cur)
    if kind == "bn":
        return b.spiking(b.analog_of(cur))
    if kind == "remap":
        return b.remap(cur)
    if kind == "remap_tree":
        return b.remap_tree(cur)
    if kind in ("residual", "residual_analog"):
        return b.residual(cur, spikes, kind == "residual_analog")
    if kind == "elementwise":
        return elementwise_step(b, cur, op)
    if kind == "mask":
        return mask_step(b, cur)
    if kind == "ae":
        return ae_step(b, cur)
    if kind == "pool_into":
        return pool_step(b, cur)
    if kind == "mlp":
        hidden = b.spiking(b.affine(cur, b.draw(st.integers(1, 6))))
        return b.spiking(b.affine(hidden, g.shapes[cur][-1]))
    if kind == "attention":
        return random_attention(b, cur)
    if kind == "products":
        return random_products(b, cur)
    return unary_analog_step(b, kind, cur)


def _to_tokens(b: Builder, cur: str) -> str:
    """(C, H, W) spikes to (H*W, C) tokens, by remaps."""
    c, h, w = b.shape(cur)
    flat = b.g.add(remaps.reshape(b.name("reshape"), cur, (c, h, w), (c, h * w)))
    return b.g.add(remaps.transpose(b.name("tokens"), flat, (c, h * w), (1, 0)))


#: steps that need an image or a token tensor
IMAGE_ONLY = {"conv", "pool", "maxpool", "mean"}
TOKEN_ONLY = {"mlp", "attention", "products"}


@st.composite
def random_graphs(draw, max_layers: int = 5, exact: bool = True, tokens: bool | None = None,
                  focus: str | None = None):
    """A random DAG ending in Flatten -> Affine (or BatchNorm) -> Output, plus a matching input batch.

    The input is an image ``(C, H, W)`` or a token tensor ``(N, C)``, direct
    (analog, dyadic) or an event stream (counts). Image graphs may turn into
    tokens half-way. ``focus`` forces the first step: a step kind of
    IMAGE_STEPS, TOKEN_STEPS or ANALOG_STEPS, or ``"op:<name>"`` for an
    Elementwise of that op (so that a few examples surely cover it).
    """
    g = Graph()
    b = Builder(draw, g, exact)
    if focus in IMAGE_ONLY or focus in TOKEN_ONLY:
        tokens = focus in TOKEN_ONLY
    tokens = draw(st.booleans()) if tokens is None else tokens
    shape = (draw(st.integers(2, 5)), draw(st.integers(1, 4))) if tokens else \
        (draw(st.integers(1, 3)), draw(st.integers(3, 6)), draw(st.integers(3, 6)))
    stream = draw(st.booleans())
    g.add(Input("x", shape=shape, kind="event" if stream else "analog"))
    first = stem(b, "x")
    cur = b.spiking(b.affine(first, draw(st.integers(2, 6))) if len(g.shapes[first]) == 2 else b.conv(first))
    spikes = [cur]
    extra = [] if exact else ANALOG_STEPS
    if focus is not None:
        kind, _, op = focus.partition(":")
        cur = _step(b, "elementwise" if kind == "op" else kind, cur, spikes, op or None)
        if g.kinds[cur] == "event":
            spikes.append(cur)
    for _ in range(draw(st.integers(0 if focus else 1, max_layers))):
        image = len(g.shapes[cur]) == 3
        if image and g.shapes[cur][1] * g.shapes[cur][2] <= 9 and draw(st.integers(0, 3)) == 0:
            cur = _to_tokens(b, cur)
            continue
        cur = _step(b, draw(st.sampled_from((IMAGE_STEPS if image else TOKEN_STEPS) + extra)), cur, spikes)
        if g.kinds[cur] == "event":
            spikes.append(cur)
    flat = g.add(remaps.flatten(b.name("flat"), cur, g.shapes[cur]))
    g.add(Output("out", (head(b, flat, draw(st.integers(2, 4))),)))
    batch = draw(st.integers(1, 3))
    if stream:
        x = b.rng.poisson(0.4, size=(batch, draw(st.integers(1, 5))) + shape).astype(np.float64)
    else:
        x = b.rng.integers(-8, 9, size=(batch,) + shape) / 8.0
    return g, x


def random_inputs(graph: Graph, batch: int, seed: int, steps: int = 4) -> np.ndarray:
    """A batch for ``graph`` drawn like the strategy's: dyadic images or tokens, or event counts."""
    inp = graph.input_node()
    rng = np.random.default_rng(seed)
    if graph.kinds[inp.name] == "event":
        return rng.poisson(0.4, size=(batch, steps) + inp.shape).astype(np.float64)
    return rng.integers(-8, 9, size=(batch,) + inp.shape) / 8.0
