"""Synapse lists of the synaptic nodes, enumerated from their equations.

Every term ``w * x[i]`` of a node's equation (its IR docstring) becomes one
synapse ``(pre=i, post=j, weight=w)``; taps that land on padding are not
terms. The oracle computes ``y[j] = sum of w * x[pre]`` over the list and
counts an event at ``i`` as one AC per synapse leaving ``i``. Pools and means
are unit-weight sums; their divisor per output is derived here as well.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..ir import Affine, AvgPool2d, ChannelAffine, Conv2d, Mean


@dataclass
class Synapses:
    pre: np.ndarray      # (S,) flat input index
    post: np.ndarray     # (S,) flat output index
    weight: np.ndarray   # (S,) float64
    n_out: int
    divisor: np.ndarray | None = None  # (n_out,) for sum-then-divide nodes
    bias: np.ndarray | None = None     # (n_out,) added last

    @property
    def count(self) -> int:
        return int(self.pre.shape[0])


def _flat(shape, *coords):
    return np.ravel_multi_index(coords, shape)


def _window_terms(in_hw, out_hw, kernel, stride, dilation, padding):
    """Every (oy, ox, ky, kx, iy, ix) of a sliding window whose input position is inside the image."""
    (h, w), (ho, wo), (kh, kw) = in_hw, out_hw, kernel
    oy, ox, ky, kx = np.meshgrid(np.arange(ho), np.arange(wo), np.arange(kh), np.arange(kw), indexing="ij")
    iy = oy * stride[0] - padding[0] + ky * dilation[0]
    ix = ox * stride[1] - padding[1] + kx * dilation[1]
    inside = (iy >= 0) & (iy < h) & (ix >= 0) & (ix < w)
    return [a[inside] for a in (oy, ox, ky, kx, iy, ix)]


def affine(node: Affine, in_shape, out_shape) -> Synapses:
    k = node.weight.shape[1]
    m = node.weight.shape[0]
    n_lead = int(np.prod(in_shape)) // k
    lead, i, o = (a.reshape(-1) for a in np.indices((n_lead, k, m)))
    bias = None if node.bias is None else np.tile(node.bias, n_lead)
    return Synapses(lead * k + i, lead * m + o, node.weight[o, i], int(np.prod(out_shape)), bias=bias)


def conv2d(node: Conv2d, in_shape, out_shape) -> Synapses:
    cin, h, w = in_shape
    cout, ho, wo = out_shape
    cin_g, kh, kw = node.weight.shape[1:]
    per_group = cout // node.groups
    oy, ox, ky, kx, iy, ix = _window_terms((h, w), (ho, wo), (kh, kw), node.stride, node.dilation, node.padding)
    pre, post, weight = [], [], []
    for co in range(cout):
        for cl in range(cin_g):
            ci = (co // per_group) * cin_g + cl
            pre.append(_flat(in_shape, np.full_like(iy, ci), iy, ix))
            post.append(_flat(out_shape, np.full_like(oy, co), oy, ox))
            weight.append(node.weight[co, cl, ky, kx])
    bias = None if node.bias is None else np.repeat(node.bias, ho * wo)
    return Synapses(np.concatenate(pre), np.concatenate(post), np.concatenate(weight), cout * ho * wo, bias=bias)


def avg_pool2d(node: AvgPool2d, in_shape, out_shape) -> Synapses:
    c, h, w = in_shape
    _, ho, wo = out_shape
    oy, ox, _, _, iy, ix = _window_terms((h, w), (ho, wo), node.kernel, node.stride, (1, 1), node.padding)
    pre = np.concatenate([_flat(in_shape, np.full_like(iy, ch), iy, ix) for ch in range(c)])
    post = np.concatenate([_flat(out_shape, np.full_like(oy, ch), oy, ox) for ch in range(c)])
    n_out = c * ho * wo
    if node.count_include_pad:
        divisor = np.full(n_out, node.kernel[0] * node.kernel[1], dtype=np.float64)
    else:  # the taps inside the image
        divisor = np.bincount(post, minlength=n_out).astype(np.float64)
    return Synapses(pre, post, np.ones(pre.shape[0]), n_out, divisor=divisor)


def mean(node: Mean, in_shape, out_shape) -> Synapses:
    axes = node.norm_axes(tuple(in_shape))
    coords = np.indices(in_shape).reshape(len(in_shape), -1)
    kept = [coords[a] for a in range(len(in_shape)) if a not in axes]
    kept_shape = [n for a, n in enumerate(in_shape) if a not in axes]
    post = np.ravel_multi_index(kept, kept_shape) if kept else np.zeros(coords.shape[1], dtype=np.int64)
    n_out = int(np.prod(out_shape))
    reduced = int(np.prod([in_shape[a] for a in axes]))
    return Synapses(np.arange(coords.shape[1]), post, np.ones(coords.shape[1]), n_out,
                    divisor=np.full(n_out, reduced, dtype=np.float64))


def channel_affine(node: ChannelAffine, in_shape, out_shape) -> Synapses:
    channel = np.indices(in_shape)[node.axis % len(in_shape)].reshape(-1)
    i = np.arange(channel.shape[0])
    bias = None if node.shift is None else node.shift[channel]
    return Synapses(i, i, node.scale[channel], channel.shape[0], bias=bias)


BUILDERS = {Affine: affine, Conv2d: conv2d, AvgPool2d: avg_pool2d, Mean: mean, ChannelAffine: channel_affine}


def synapses_of(node, in_shape, out_shape) -> Synapses | None:
    build = BUILDERS.get(type(node))
    return None if build is None else build(node, tuple(in_shape), tuple(out_shape))
