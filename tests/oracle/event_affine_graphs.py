"""Random affine-of-events and pool steps for ``tests/core/random_graphs.py`` (docs/accounting.md rules 16, 17).

- ``ae_step``: spikes -> an affine of events (a BatchNorm of spikes with or without shift, maybe added
  to spikes or to another BatchNorm) -> remaps of it (slice, concat, transpose, reshape, roll, gather,
  zero padding, window partition), maybe merged again with spikes or itself and remapped -> an IF, an Affine or Conv2d, an analog op that materialises it, or an add or
  concat with a truly analog tensor.
- ``pool_step``: a pool (AvgPool2d with overlapping windows, padding and either ``count_include_pad``,
  or a Mean) of spikes, of an affine of events or of an analog tensor -> single-input remaps -> Affine,
  Conv2d or IF (what ``through`` folds into), sometimes also read by a node it cannot fold into (an add),
  so that ``through`` falls back to ``events``.

``stem`` puts a BatchNorm or a pool between the input and the first layer: static analog nodes for a
direct-encoded image (never affine of events), an affine of events or a pool of events for an event
stream. ``head`` reads the last spikes by a Linear or, materialising an affine of events into the
output, by a BatchNorm.

In the exact family every divisor is a power of two (windows of 1 or 2 taps per axis, means over 1, 2 or
4 elements), so pooled values stay dyadic and the consumer's sums are exact in any order.
"""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from mstsim.ir import Add, Affine, AvgPool2d, ChannelAffine, Mean, remaps
from mstsim.ir.analog import MaxPool2d

from .elementwise_graphs import elementwise_step, mask_step, unary_analog_step


def batch_norm(b, src: str) -> str:
    """A per-channel affine of ``src`` along a drawn axis, with a shift or without."""
    shape = b.shape(src)
    axis = b.draw(st.integers(-len(shape), len(shape) - 1))
    n = shape[axis]
    shift = b.values((n,)) if b.draw(st.booleans()) else None
    return b.g.add(ChannelAffine(b.name("bn"), (src,), scale=b.values((n,), -8, 8, 4.0), shift=shift, axis=axis))


def affine_of_events(b, cur: str) -> str:
    """BN(spikes), maybe + spikes of the same shape or + BN(spikes) again (a residual stream)."""
    ae = batch_norm(b, cur)
    other = b.draw(st.sampled_from(["none", "spikes", "ae"]))
    if other == "none":
        return ae
    second = cur if other == "spikes" else batch_norm(b, cur)
    operands = (ae, second) if b.draw(st.booleans()) else (second, ae)
    return b.g.add(Add(b.name("add"), operands))


def same_rank_remap(b, src: str) -> str:
    """A remap of ``src`` whose output has the rank of its input (so the graph's steps still fit)."""
    shape = b.shape(src)
    d, last = b.draw, len(shape) - 1
    op = d(st.sampled_from(["slice", "concat", "transpose", "reshape", "roll", "gather", "window", "pad"]))
    name = b.name(op)
    if op == "slice" and max(shape) > 1:
        axis = int(np.argmax(shape))
        step = d(st.integers(1, 2))
        return b.g.add(remaps.slice_(name, src, shape, [d(st.integers(0, 1))], [shape[axis]], [axis], [step]))
    if op == "transpose":
        return b.g.add(remaps.transpose(name, src, shape, tuple(range(last + 1))[::-1]))
    if op == "reshape" and last >= 1:  # move a factor of two between the last two axes
        a, c = shape[-2], shape[-1]
        new = (a // 2, c * 2) if a % 2 == 0 else (a * c, 1) if c > 1 else (1, a)
        return b.g.add(remaps.reshape(name, src, shape, shape[:-2] + new))
    if op == "roll":
        return b.g.add(remaps.roll(name, src, shape, (d(st.integers(-2, 2)),), (d(st.integers(0, last)),)))
    if op == "pad":  # elements read from nowhere: no events there
        pads = [(0, 0)] * last + [(d(st.integers(0, 1)), 1)]
        return b.g.add(remaps.pad(name, src, shape, pads))
    if op == "gather":  # repeated indices copy (underlying) events
        idx = b.rng.integers(0, shape[0], size=d(st.integers(1, shape[0] + 1)))
        return b.g.add(remaps.gather(name, src, shape, idx, 0))
    if op == "window" and len(shape) == 3 and shape[0] % 2 == 0 and shape[1] % 2 == 0:
        return b.g.add(remaps.window_partition(name, src, shape, 2))  # (H, W, C) -> (H W / 4, 4, C)
    partner = src if d(st.booleans()) else b.spiking(b.analog_of(src))  # AE with itself, or with spikes
    return b.g.add(remaps.concat(name, [src, partner], [shape, shape], d(st.integers(0, last))))


def ae_step(b, cur: str) -> str:
    """Spikes -> affine of events -> remaps -> a consumer; returns the spikes after it."""
    ae = affine_of_events(b, cur)
    for _ in range(b.draw(st.integers(0, 2))):
        ae = same_rank_remap(b, ae)
    if b.draw(st.booleans()):  # merged again after its remaps, as the MST's residual stream is
        partner = b.spiking(b.analog_of(ae)) if b.draw(st.booleans()) else ae
        ae = b.g.add(Add(b.name("add"), (ae, partner)))
        if b.draw(st.booleans()):
            ae = same_rank_remap(b, ae)
    consumer = b.draw(st.sampled_from(["if", "synaptic", "analog", "mixed"]))
    if consumer == "if":
        return b.spiking(ae)
    if consumer == "synaptic":
        if len(b.shape(ae)) == 3 and b.draw(st.booleans()):
            return b.spiking(b.conv(ae))
        return b.spiking(b.affine(ae, b.draw(st.integers(1, 5))))
    if consumer == "analog":
        kinds = ["elementwise", "mask"] + (["maxpool"] if len(b.shape(ae)) == 3 else [])
        kinds += [] if b.exact else ["layernorm", "softmax", "gelu"]
        kind = b.draw(st.sampled_from(kinds))
        if kind == "elementwise":
            return elementwise_step(b, ae)
        if kind == "mask":
            return mask_step(b, ae)
        if kind == "maxpool":
            k, stride, pad = b.window(ae)
            return b.spiking(b.g.add(MaxPool2d(b.name("maxpool"), (ae,), kernel=k, stride=stride, padding=pad)))
        return unary_analog_step(b, kind, ae)
    analog = _truly_analog(b, ae)
    if b.draw(st.booleans()):
        shape = b.shape(ae)
        return b.spiking(b.g.add(remaps.concat(b.name("concat"), [ae, analog], [shape, shape], 0)))
    return b.spiking(b.g.add(Add(b.name("add"), (ae, analog, cur) if b.shape(cur) == b.shape(ae) else (ae, analog))))


def _truly_analog(b, src: str) -> str:
    """An analog tensor of the shape of ``src``: an Affine of spikes (never an affine of events)."""
    shape = b.shape(src)
    spikes = b.spiking(src)
    return b.g.add(Affine(b.name("fc"), (spikes,), weight=b.values((shape[-1], shape[-1])), bias=b.bias(shape[-1])))


def _pool_window(b, src: str):
    _, h, w = b.shape(src)
    d = b.draw
    sizes = (1, 2) if b.exact else (1, 2, 3)
    k = tuple(d(st.sampled_from([s for s in sizes if s <= n])) for n in (h, w))
    stride = (d(st.integers(1, 2)), d(st.integers(1, 2)))
    return k, stride, tuple(d(st.integers(0, k[i] // 2)) for i in (0, 1))


def _pool(b, src: str) -> str:
    shape = b.shape(src)
    axes = [a for a in ([(1, 2), (2,), (1,)] if len(shape) == 3 else [(0,), (1,)])
            if not b.exact or int(np.prod([shape[i] for i in a])) in (1, 2, 4)]
    if len(shape) == 3 and (not axes or b.draw(st.integers(0, 2))):  # mostly windows on images
        k, stride, pad = _pool_window(b, src)
        return b.g.add(AvgPool2d(b.name("pool"), (src,), kernel=k, stride=stride, padding=pad,
                                 count_include_pad=b.draw(st.booleans())))
    if not axes:
        return src
    return b.g.add(Mean(b.name("mean"), (src,), axes=b.draw(st.sampled_from(axes)), keepdims=True))


def pool_step(b, cur: str) -> str:
    """A pool of spikes, of an affine of events or of analog values -> remaps -> Affine, Conv2d or IF."""
    source = b.draw(st.sampled_from(["spikes", "ae", "analog"]))
    src = cur if source == "spikes" else affine_of_events(b, cur) if source == "ae" else b.analog_of(cur)
    pooled = _pool(b, src)
    if pooled != src and b.draw(st.integers(0, 3)) == 0:  # also read by an add: `through` cannot fold it
        pooled = b.g.add(Add(b.name("add"), (pooled, b.spiking(pooled))))
    consumer = b.draw(st.sampled_from(["linear", "if", "conv"] if len(b.shape(pooled)) == 3 else ["linear", "if"]))
    if consumer == "conv":
        return b.spiking(b.conv(pooled))
    if consumer == "if":
        if not b.draw(st.booleans()):
            return b.spiking(pooled)
        via = same_rank_remap(b, pooled)
        spikes = b.spiking(via)
        if b.draw(st.booleans()):  # a second foldable reader of the same remap
            spikes = b.g.add(Add(b.name("add"), (spikes, b.spiking(b.affine(via, b.shape(via)[-1])))))
        return spikes
    flat = b.g.add(remaps.flatten(b.name("flat"), pooled, b.shape(pooled)))
    out = b.spiking(b.affine(flat, b.draw(st.integers(2, 6))))
    return b.g.add(remaps.reshape(b.name("tokens"), out, b.shape(out), (1, b.shape(out)[0])))


def stem(b, x: str) -> str:
    """What the first synaptic layer reads: the input, a BatchNorm of it or a pool of it."""
    kind = b.draw(st.sampled_from(["input", "input", "bn", "pool"]))
    if kind == "bn":
        return batch_norm(b, x)
    return _pool(b, x) if kind == "pool" else x


def head(b, flat: str, classes: int) -> str:
    """The read-out layer ``fc``: mostly a Linear, sometimes a BatchNorm (an affine of events into the output)."""
    n = b.shape(flat)[0]
    if b.draw(st.integers(0, 3)):
        return b.g.add(Affine("fc", (flat,), weight=b.values((classes, n)), bias=b.values((classes,))))
    return b.g.add(ChannelAffine("fc", (flat,), scale=b.values((n,), -8, 8, 4.0), shift=b.bias(n)))
