"""Dense forward maths of the IR nodes on batched analog arrays ``(B, *shape)``.

Shared by ANN mode and by the engine's analog path. Summation orders are
free; pooling and means sum first and divide last, in that order everywhere,
so dyadic test models give bit-identical results in every implementation.
"""
from __future__ import annotations

import numpy as np

from .ir import Add, Affine, AvgPool2d, ChannelAffine, Conv2d, Mean, Remap
from .ir.synaptic import conv_out_size


def affine(node: Affine, x: np.ndarray) -> np.ndarray:
    w = node.weight.astype(x.dtype, copy=False)
    y = x @ w.T
    if node.bias is not None:
        y += node.bias.astype(x.dtype, copy=False)
    return y


def _pad_hw(x: np.ndarray, padding) -> np.ndarray:
    pt, pl, pb, pr = padding
    if not (pt or pl or pb or pr):
        return x
    return np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))


def conv2d(node: Conv2d, x: np.ndarray, *, with_bias: bool = True) -> np.ndarray:
    """Direct convolution as a sum over kernel taps of strided-slice matmuls."""
    b, cin, h, w = x.shape
    cout, cin_g, kh, kw = node.weight.shape
    sh, sw = node.stride
    dh, dw = node.dilation
    pt, pl, pb, pr = node.padding
    ho = conv_out_size(h, kh, sh, dh, pt, pb)
    wo = conv_out_size(w, kw, sw, dw, pl, pr)
    xp = _pad_hw(x, node.padding)
    wt = node.weight.astype(x.dtype, copy=False)
    g = node.groups
    cout_g = cout // g
    y = np.zeros((b, cout, ho, wo), dtype=x.dtype)
    for ky in range(kh):
        for kx in range(kw):
            y0, x0 = ky * dh, kx * dw
            patch = xp[:, :, y0:y0 + sh * (ho - 1) + 1:sh, x0:x0 + sw * (wo - 1) + 1:sw]
            for gi in range(g):
                xs = patch[:, gi * cin_g:(gi + 1) * cin_g]
                ws = wt[gi * cout_g:(gi + 1) * cout_g, :, ky, kx]
                y[:, gi * cout_g:(gi + 1) * cout_g] += np.einsum("oc,bchw->bohw", ws, xs, optimize=True)
    if with_bias and node.bias is not None:
        y += node.bias.astype(x.dtype, copy=False)[None, :, None, None]
    return y


def sum_pool2d(node: AvgPool2d, x: np.ndarray) -> np.ndarray:
    """Window sums of an AvgPool2d (before division)."""
    _, _, h, w = x.shape
    kh, kw = node.kernel
    sh, sw = node.stride
    pt, pl, pb, pr = node.padding
    ho = conv_out_size(h, kh, sh, 1, pt, pb)
    wo = conv_out_size(w, kw, sw, 1, pl, pr)
    xp = _pad_hw(x, node.padding)
    y = np.zeros(x.shape[:2] + (ho, wo), dtype=x.dtype)
    for ky in range(kh):
        for kx in range(kw):
            y += xp[:, :, ky:ky + sh * (ho - 1) + 1:sh, kx:kx + sw * (wo - 1) + 1:sw]
    return y


def avg_pool2d(node: AvgPool2d, x: np.ndarray) -> np.ndarray:
    return sum_pool2d(node, x) / node.divisor(x.shape[1:]).astype(x.dtype)


def mean(node: Mean, x: np.ndarray) -> np.ndarray:
    axes = tuple(a + 1 for a in node.norm_axes(x.shape[1:]))
    count = int(np.prod([x.shape[a] for a in axes]))
    return x.sum(axis=axes, keepdims=node.keepdims) / x.dtype.type(count)


def channel_broadcast(node: ChannelAffine, ndim: int, values: np.ndarray) -> np.ndarray:
    """Reshape per-channel values to broadcast against a ``(B, *shape)`` array."""
    axis = node.axis % (ndim - 1) + 1
    shape = [1] * ndim
    shape[axis] = -1
    return values.reshape(shape)


def channel_affine(node: ChannelAffine, x: np.ndarray) -> np.ndarray:
    y = x * channel_broadcast(node, x.ndim, node.scale.astype(x.dtype, copy=False))
    if node.shift is not None:
        y += channel_broadcast(node, x.ndim, node.shift.astype(x.dtype, copy=False))
    return y


def add(node: Add, *xs: np.ndarray) -> np.ndarray:
    y = xs[0].copy()
    for x in xs[1:]:
        y += x
    return y


def remap(node: Remap, *xs: np.ndarray) -> np.ndarray:
    b = xs[0].shape[0]
    flat = np.concatenate([x.reshape(b, -1) for x in xs], axis=1)
    flat = np.concatenate([flat, np.zeros((b, 1), dtype=flat.dtype)], axis=1)  # index -1 reads this zero
    return flat[:, node.src].reshape((b,) + node.out_shape)


def qcfs(x: np.ndarray, theta: float, levels: int) -> np.ndarray:
    """``theta * clip(floor(x * L / theta + 1/2) / L, 0, 1)``."""
    t = x.dtype.type(theta)
    q = np.floor(x * x.dtype.type(levels) / t + x.dtype.type(0.5)) / x.dtype.type(levels)
    return t * np.clip(q, 0, 1)
