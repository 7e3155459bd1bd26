"""The ANN-mode forward of every IR node type, on ``(B, *shape)`` arrays.

ANN mode evaluates the IR as the QCFS network it was converted from: every IF
node is its QCFS activation (lam = theta, its L), analog nodes are their
dense maths and a Mask drops elements as in the SNN. The engine's analog
operators and the reference simulator call these same forwards.
"""
from __future__ import annotations

import numpy as np

from . import dense
from .ir import IF, Add, Affine, AvgPool2d, ChannelAffine, Conv2d, Graph, Mean, Output, Remap
from .ir.analog import ELEMENTWISE, Elementwise, Gelu, LayerNorm, MaxPool2d, Softmax
from .ir.attention import Mask, MatMul
from .ir.errors import GraphError
from .ir.synaptic import conv_out_size
from .masking import keep_mask
from .registry import TypeRegistry

#: node type -> function(node, graph, *inputs) -> output
ANN_OPS = TypeRegistry("ANN forward")
register_ann = ANN_OPS.register


@register_ann(IF)
def _if(node: IF, graph: Graph, x: np.ndarray) -> np.ndarray:
    if node.levels is None:
        raise GraphError(f"node {node.name!r} (IF) has no QCFS level count L, so it has no ANN form")
    return dense.qcfs(x, node.theta, node.levels)


register_ann(Affine)(lambda node, graph, x: dense.affine(node, x))
register_ann(Conv2d)(lambda node, graph, x: dense.conv2d(node, x))
register_ann(AvgPool2d)(lambda node, graph, x: dense.avg_pool2d(node, x))
register_ann(Mean)(lambda node, graph, x: dense.mean(node, x))
register_ann(ChannelAffine)(lambda node, graph, x: dense.channel_affine(node, x))
register_ann(Add)(lambda node, graph, *xs: dense.add(node, *xs))
register_ann(Remap)(lambda node, graph, *xs: dense.remap(node, *xs))
register_ann(Output)(lambda node, graph, x: x)


def _per_sample(arr: np.ndarray, ndim: int) -> np.ndarray:
    """Insert axes after the batch axis so per-sample shapes right-align."""
    return arr.reshape(arr.shape[:1] + (1,) * (ndim - arr.ndim) + arr.shape[1:])


@register_ann(Elementwise)
def _elementwise(node: Elementwise, graph, *xs: np.ndarray) -> np.ndarray:
    dtype = xs[0].dtype
    rank = max(len(graph.shapes[node.name]), 0) + 1
    args = []
    for o in node.operands:
        if isinstance(o, int):
            args.append(_per_sample(xs[o], rank))
        else:
            args.append(o.astype(dtype, copy=False))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        y = ELEMENTWISE[node.op][0](*args)
    return np.ascontiguousarray(np.broadcast_to(y, (len(xs[0]),) + graph.shapes[node.name]), dtype=dtype)


@register_ann(Softmax)
def _softmax(node: Softmax, graph, x: np.ndarray) -> np.ndarray:
    axis = node.axis % (x.ndim - 1) + 1
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@register_ann(LayerNorm)
def _layer_norm(node: LayerNorm, graph, x: np.ndarray) -> np.ndarray:
    axes = tuple(a + 1 for a in node.norm_axes(x.ndim - 1))
    mu = x.mean(axis=axes, keepdims=True)
    d = x - mu
    var = (d * d).mean(axis=axes, keepdims=True)
    y = d / np.sqrt(var + x.dtype.type(node.eps))
    if node.weight is not None:
        y = y * node.weight.astype(x.dtype, copy=False)
    if node.bias is not None:
        y = y + node.bias.astype(x.dtype, copy=False)
    return y


@register_ann(Gelu)
def _gelu(node: Gelu, graph, x: np.ndarray) -> np.ndarray:
    t = x.dtype.type
    if node.approximate == "tanh":
        return t(0.5) * x * (t(1) + np.tanh(t(np.sqrt(2 / np.pi)) * (x + t(0.044715) * x ** 3)))
    return t(0.5) * x * (t(1) + ELEMENTWISE["erf"][0](x / t(np.sqrt(2.0))))


@register_ann(MaxPool2d)
def _max_pool2d(node: MaxPool2d, graph, x: np.ndarray) -> np.ndarray:
    _, _, h, w = x.shape
    (kh, kw), (sh, sw), (dh, dw) = node.kernel, node.stride, node.dilation
    pt, pl, pb, pr = node.padding
    ho = conv_out_size(h, kh, sh, dh, pt, pb)
    wo = conv_out_size(w, kw, sw, dw, pl, pr)
    xp = np.pad(x, ((0, 0), (0, 0), (pt, pb + sh), (pl, pr + sw)), constant_values=-np.inf)
    y = np.full(x.shape[:2] + (ho, wo), -np.inf, dtype=x.dtype)
    for ky in range(kh):
        for kx in range(kw):
            y0, x0 = ky * dh, kx * dw
            np.maximum(y, xp[:, :, y0:y0 + sh * (ho - 1) + 1:sh, x0:x0 + sw * (wo - 1) + 1:sw], out=y)
    return y


@register_ann(MatMul)
def _matmul(node: MatMul, graph, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    rank = max(a.ndim, b.ndim)
    return np.matmul(_per_sample(a, rank), _per_sample(b, rank))


def _mask(node: Mask, graph, x: np.ndarray, *, seed=None, sample_ids=None) -> np.ndarray:
    if node.ratio == 0.0:
        return x
    if seed is None:
        raise GraphError(f"node {node.name!r} (Mask, ratio {node.ratio}) draws random masks: pass seed=")
    keep = keep_mask(seed, sample_ids, node.name, 0, int(np.prod(x.shape[1:])), node.ratio)
    return x * keep.reshape(x.shape).astype(x.dtype)


_mask.needs_context = True  # type: ignore[attr-defined]
register_ann(Mask)(_mask)
