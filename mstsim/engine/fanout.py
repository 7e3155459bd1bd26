"""Fan-out of every input element of a synaptic node, computed analytically.

``fanout[i]`` is the number of accumulators an event at input element i
touches (structural synapses, zero weights included); ``effective[i]`` counts
only the non-zero weights. The reference oracle obtains the same numbers by
materialising connection matrices; tests demand equality.
"""
from __future__ import annotations

import numpy as np

from ..ir import Affine, AvgPool2d, ChannelAffine, Conv2d, Mean


def valid_taps(n: int, k: int, stride: int, dilation: int, pad0: int, n_out: int) -> np.ndarray:
    """``(n, k)`` bool: input position p reaches an output through tap j."""
    p = np.arange(n)[:, None]
    j = np.arange(k)[None, :]
    q = p + pad0 - j * dilation
    return (q >= 0) & (q % stride == 0) & (q // stride < n_out)


def affine(node: Affine, in_shape, out_shape):
    lead = int(np.prod(in_shape[:-1]))
    n_out = node.weight.shape[0]
    fan = np.full(lead * node.weight.shape[1], n_out, dtype=np.int64)
    eff = np.tile(np.count_nonzero(node.weight, axis=0).astype(np.int64), lead)
    return fan, eff


def conv2d(node: Conv2d, in_shape, out_shape):
    cin, h, w = in_shape
    _, ho, wo = out_shape
    cout, cin_g, kh, kw = node.weight.shape
    cout_g = cout // node.groups
    vy = valid_taps(h, kh, node.stride[0], node.dilation[0], node.padding[0], ho).astype(np.int64)
    vx = valid_taps(w, kw, node.stride[1], node.dilation[1], node.padding[1], wo).astype(np.int64)
    fan = cout_g * vy.sum(1)[None, :, None] * vx.sum(1)[None, None, :] * np.ones((cin, 1, 1), np.int64)
    # nnz[ci, ky, kx]: non-zero weights from input channel ci to its group's outputs
    wg = node.weight.reshape(node.groups, cout_g, cin_g, kh, kw)
    nnz = np.count_nonzero(wg, axis=1).reshape(cin, kh, kw).astype(np.int64)
    eff = np.einsum("yk,ckl,xl->cyx", vy, nnz, vx)
    return fan.reshape(-1), eff.reshape(-1)


def avg_pool2d(node: AvgPool2d, in_shape, out_shape):
    c, h, w = in_shape
    _, ho, wo = out_shape
    vy = valid_taps(h, node.kernel[0], node.stride[0], 1, node.padding[0], ho).sum(1)
    vx = valid_taps(w, node.kernel[1], node.stride[1], 1, node.padding[1], wo).sum(1)
    fan = np.broadcast_to(np.outer(vy, vx)[None], (c, h, w)).astype(np.int64).reshape(-1)
    return fan, fan.copy()


def mean(node: Mean, in_shape, out_shape):
    fan = np.ones(int(np.prod(in_shape)), dtype=np.int64)
    return fan, fan.copy()


def channel_affine(node: ChannelAffine, in_shape, out_shape):
    shape = [1] * len(in_shape)
    shape[node.axis] = -1
    nz = np.broadcast_to((node.scale != 0).reshape(shape), in_shape).astype(np.int64).reshape(-1)
    return np.ones(nz.shape[0], dtype=np.int64), nz.copy()


FANOUT = {Affine: affine, Conv2d: conv2d, AvgPool2d: avg_pool2d, Mean: mean, ChannelAffine: channel_affine}


def fanout_of(node, in_shape, out_shape):
    """(fanout, effective) int64 arrays over the node's flat input, or None if not synaptic."""
    fn = FANOUT.get(type(node))
    return None if fn is None else fn(node, tuple(in_shape), tuple(out_shape))
