"""Synapse lists of the synaptic nodes, enumerated from their equations.

Every term ``w * x[i]`` of a node's equation (its IR docstring) becomes one
synapse ``(pre=i, post=j, weight=w)``; taps that land on padding are not
terms. The oracle computes ``y[j] = sum of w * x[pre]`` over the list and
counts an event at ``i`` as one AC per synapse leaving ``i``. Pools and means
are unit-weight sums; their divisor per output is derived here as well.
``taps`` counts what a dense implementation that does not skip padding
multiplies (SPEC C, ``count_padding``): every tap of every window.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from ..ir import Affine, AvgPool2d, ChannelAffine, Conv2d, Mean


@dataclass
class Synapses:
    pre: np.ndarray      # (S,) flat input index
    post: np.ndarray     # (S,) flat output index
    weight: np.ndarray   # (S,) float64
    n_out: int
    n_in: int
    taps: int                          # window taps padding included (= count for non-window nodes)
    divisor: np.ndarray | None = None  # (n_out,) for sum-then-divide nodes
    bias: np.ndarray | None = None     # (n_out,) added last

    @property
    def count(self) -> int:
        return int(self.pre.shape[0])

    def matrix(self, effective: bool = False) -> sparse.csr_matrix:
        """``(n_in, n_out)`` 0/1 connection matrix (``effective``: non-zero weights only)."""
        keep = self.weight != 0 if effective else np.ones(self.count, dtype=bool)
        ones = np.ones(int(keep.sum()), dtype=np.int64)
        m = sparse.coo_matrix((ones, (self.pre[keep], self.post[keep])), shape=(self.n_in, self.n_out)).tocsr()
        m.data[:] = 1  # a repeated (pre, post) pair is one connection
        return m


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
    n_in, n_out = int(np.prod(in_shape)), int(np.prod(out_shape))
    return Synapses(lead * k + i, lead * m + o, node.weight[o, i], n_out, n_in, n_in * m, bias=bias)


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
    n_out = cout * ho * wo
    return Synapses(np.concatenate(pre), np.concatenate(post), np.concatenate(weight), n_out,
                    cin * h * w, n_out * cin_g * kh * kw, bias=bias)


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
    taps = n_out * node.kernel[0] * node.kernel[1]
    return Synapses(pre, post, np.ones(pre.shape[0]), n_out, c * h * w, taps, divisor=divisor)


def mean(node: Mean, in_shape, out_shape) -> Synapses:
    axes = node.norm_axes(tuple(in_shape))
    coords = np.indices(in_shape).reshape(len(in_shape), -1)
    kept = [coords[a] for a in range(len(in_shape)) if a not in axes]
    kept_shape = [n for a, n in enumerate(in_shape) if a not in axes]
    post = np.ravel_multi_index(kept, kept_shape) if kept else np.zeros(coords.shape[1], dtype=np.int64)
    n_out = int(np.prod(out_shape))
    reduced = int(np.prod([in_shape[a] for a in axes]))
    n_in = coords.shape[1]
    return Synapses(np.arange(n_in), post, np.ones(n_in), n_out, n_in, n_in,
                    divisor=np.full(n_out, reduced, dtype=np.float64))


def channel_affine(node: ChannelAffine, in_shape, out_shape) -> Synapses:
    channel = np.indices(in_shape)[node.axis % len(in_shape)].reshape(-1)
    i = np.arange(channel.shape[0])
    bias = None if node.shift is None else node.shift[channel]
    n = channel.shape[0]
    return Synapses(i, i, node.scale[channel], n, n, n, bias=bias)


BUILDERS = {Affine: affine, Conv2d: conv2d, AvgPool2d: avg_pool2d, Mean: mean, ChannelAffine: channel_affine}


def synapses_of(node, in_shape, out_shape) -> Synapses | None:
    build = BUILDERS.get(type(node))
    return None if build is None else build(node, tuple(in_shape), tuple(out_shape))
