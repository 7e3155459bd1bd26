"""Connection matrices of synaptic nodes, built by brute force.

For every output element, walk the node's definition (the equation in its
docstring) and record which input element it reads with which weight.
``weights[i, j]`` is the weight from input i to output j and ``present[i, j]``
says the synapse exists (a zero weight can exist). Slow and plain on purpose.
"""
from __future__ import annotations

import itertools

import numpy as np

from ..ir import Affine, AvgPool2d, ChannelAffine, Conv2d, Mean


def affine(node: Affine, in_shape, out_shape):
    n_in, n_out = int(np.prod(in_shape)), int(np.prod(out_shape))
    weights = np.zeros((n_in, n_out))
    present = np.zeros((n_in, n_out), dtype=bool)
    k, m = node.weight.shape[1], node.weight.shape[0]
    for lead in range(n_in // k):
        for i in range(k):
            for o in range(m):
                weights[lead * k + i, lead * m + o] = node.weight[o, i]
                present[lead * k + i, lead * m + o] = True
    return weights, present


def conv2d(node: Conv2d, in_shape, out_shape):
    cin, h, w = in_shape
    cout, ho, wo = out_shape
    _, cin_g, kh, kw = node.weight.shape
    cout_g = cout // node.groups
    weights = np.zeros((cin * h * w, cout * ho * wo))
    present = np.zeros(weights.shape, dtype=bool)
    for co, oy, ox in itertools.product(range(cout), range(ho), range(wo)):
        g = co // cout_g
        for cl, ky, kx in itertools.product(range(cin_g), range(kh), range(kw)):
            iy = oy * node.stride[0] - node.padding[0] + ky * node.dilation[0]
            ix = ox * node.stride[1] - node.padding[1] + kx * node.dilation[1]
            if 0 <= iy < h and 0 <= ix < w:
                i = ((g * cin_g + cl) * h + iy) * w + ix
                j = (co * ho + oy) * wo + ox
                weights[i, j] = node.weight[co, cl, ky, kx]
                present[i, j] = True
    return weights, present


def avg_pool2d(node: AvgPool2d, in_shape, out_shape):
    """Unit weights: the oracle sums the window and divides afterwards."""
    c, h, w = in_shape
    _, ho, wo = out_shape
    present = np.zeros((c * h * w, c * ho * wo), dtype=bool)
    for ch, oy, ox, ky, kx in itertools.product(range(c), range(ho), range(wo), range(node.kernel[0]),
                                                range(node.kernel[1])):
        iy = oy * node.stride[0] - node.padding[0] + ky
        ix = ox * node.stride[1] - node.padding[1] + kx
        if 0 <= iy < h and 0 <= ix < w:
            present[(ch * h + iy) * w + ix, (ch * ho + oy) * wo + ox] = True
    return present.astype(np.float64), present


def mean(node: Mean, in_shape, out_shape):
    """Unit weights into the one output each input element is reduced into."""
    axes = node.norm_axes(tuple(in_shape))
    n_in = int(np.prod(in_shape))
    present = np.zeros((n_in, int(np.prod(out_shape))), dtype=bool)
    kept_shape = [n for a, n in enumerate(in_shape) if a not in axes]
    for i, pos in enumerate(itertools.product(*[range(n) for n in in_shape])):
        kept = [p for a, p in enumerate(pos) if a not in axes]
        present[i, int(np.ravel_multi_index(kept, kept_shape)) if kept else 0] = True
    return present.astype(np.float64), present


def channel_affine(node: ChannelAffine, in_shape, out_shape):
    n = int(np.prod(in_shape))
    weights = np.zeros((n, n))
    for i, pos in enumerate(itertools.product(*[range(k) for k in in_shape])):
        weights[i, i] = node.scale[pos[node.axis]]
    return weights, np.eye(n, dtype=bool)


BUILDERS = {Affine: affine, Conv2d: conv2d, AvgPool2d: avg_pool2d, Mean: mean, ChannelAffine: channel_affine}
