"""Encoders of the plan for analog per-step nodes, spike products and RSM masks."""
from __future__ import annotations

import numpy as np

from ..ir.analog import ELEMENTWISE, Elementwise, Gelu, LayerNorm, MaxPool2d, Softmax
from ..ir.attention import Mask, MatMul
from ..kernels import plan_layout as L
from ..kernels.sample_analog import ELEMENTWISE_CODES
from ..masking import name_hash
from .encode_core import encodes, invert_map


def broadcast_map(shape, full) -> np.ndarray | None:
    """Flat source index of every element of ``full`` (right-aligned broadcast), None when equal."""
    shape, full = tuple(shape), tuple(full)
    if shape == full:
        return None
    src = np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape)
    return np.ascontiguousarray(np.broadcast_to(src, full).reshape(-1))


def repeated_blocks(m: np.ndarray) -> tuple[int, int] | None:
    """(P, R) when the broadcast map reads blocks of P source elements, each R times in a row
    (``m[e] = (e // (P * R)) * P + e % P``: a bias tiled over windows, a mask over heads, a scalar)."""
    e = np.arange(m.size)
    p = int(np.argmax(m != e)) if np.any(m != e) else m.size
    if p == 0:
        return None
    off = m != e % p
    r = (int(np.argmax(off)) if np.any(off) else m.size) // p
    if r == 0 or m.size % (p * r):
        return None
    return (p, r) if np.array_equal(m, (e // (p * r)) * p + e % p) else None


def _blocks_of_two(maps) -> tuple[int, int, int]:
    """(P, R, which) for two operands where one is read whole and the other, number ``which``, in
    repeated blocks (``repeated_blocks``), so the plan runs contiguous loops; else (-1, -1, -1)."""
    if len(maps) != 2 or (maps[0] is None) == (maps[1] is None):
        return -1, -1, -1
    which = 0 if maps[0] is not None else 1
    form = repeated_blocks(maps[which])
    return (form[0], form[1], which) if form else (-1, -1, -1)


@encodes(Softmax)
def _softmax(b, node):
    shape = b.graph.shapes[node.name]
    a = node.axis % len(shape)
    r = b.begin(node, L.SOFTMAX, events=False, need_dense=True)
    r[L.P0:L.P0 + 3] = int(np.prod(shape[:a])), shape[a], int(np.prod(shape[a + 1:]))


@encodes(LayerNorm)
def _layer_norm(b, node):
    shape = b.graph.shapes[node.name]
    axes = node.norm_axes(len(shape))
    inner = tuple(shape[axes[0]:])
    r = b.begin(node, L.LAYER_NORM, events=False, need_dense=True)
    r[L.P0], r[L.P0 + 1] = int(np.prod(shape[:axes[0]])), int(np.prod(inner))
    r[L.P0 + 2] = b.scalar64(b.dtype.type(node.eps))
    r[L.P0 + 3] = -1 if node.weight is None else b.flts(np.broadcast_to(node.weight, inner))
    r[L.P0 + 4] = -1 if node.bias is None else b.flts(np.broadcast_to(node.bias, inner))


@encodes(Gelu)
def _gelu(b, node):
    r = b.begin(node, L.GELU, events=False, need_dense=True)
    r[L.P0] = int(node.approximate == "tanh")


@encodes(MaxPool2d)
def _max_pool(b, node):
    c, h, w = b.graph.shapes[node.inputs[0]]
    _, ho, wo = b.graph.shapes[node.name]
    r = b.begin(node, L.MAX_POOL, events=False, need_dense=True)
    r[L.P0] = b.ints([c, h, w, ho, wo, *node.stride, *node.dilation, node.padding[0], node.padding[1],
                      *node.kernel])


@encodes(Elementwise)
def _elementwise(b, node):
    g = b.graph
    out = g.shapes[node.name]
    size = int(np.prod(out))
    r = b.begin(node, L.ELEMENTWISE, events=False, need_dense=True)
    table, maps = [], []
    n_analog = n_const = 0
    for o in node.operands:
        if isinstance(o, int):
            shape = g.shapes[node.inputs[o]]
            m = broadcast_map(shape, out)
            maps.append(m)
            # the outputs each input element reaches: an event there costs that many ACs
            reach = -1 if m is None else b.ints(np.bincount(m, minlength=int(np.prod(shape))))
            table += [0, o, -1 if m is None else b.ints(m), reach]
            n_analog += not b.is_events(node.inputs[o])
        else:
            m = broadcast_map(o.shape, out)
            maps.append(m)
            table += [1, b.flts(o), -1 if m is None else b.ints(m), -1]
            n_const += 1
    r[L.P0], r[L.P0 + 1], r[L.P0 + 2] = ELEMENTWISE_CODES[node.op], len(node.operands), b.ints(table)
    r[L.P0 + 6], r[L.P0 + 7], r[L.P0 + 8] = _blocks_of_two(maps)
    if ELEMENTWISE[node.op][2] and node.op != "neg":  # a sum: events are ACs, constants bias adds
        r[L.P0 + 3], r[L.P0 + 4], r[L.P0 + 5] = size * max(n_analog - 1, 0), size * n_const, 1
    else:
        r[L.P0 + 3], r[L.P0 + 4], r[L.P0 + 5] = size, 0, 0


@encodes(MatMul)
def _matmul(b, node):
    g = b.graph
    out = g.shapes[node.name]
    lead, m, n = out[:-2], out[-2], out[-1]
    k = g.shapes[node.inputs[0]][-1]
    nl = int(np.prod(lead))
    ev = [b.is_events(s) for s in node.inputs]
    variant = {(True, True): L.SS, (False, True): L.AS, (True, False): L.SA, (False, False): L.AA}[tuple(ev)]
    r = b.begin(node, L.MATMUL, events=False)
    r[L.P0:L.P0 + 5] = variant, nl, m, k, n
    b.ann_macs[b.index[node.name]] = nl * m * k * n
    for q, (s, full) in enumerate(zip(node.inputs, [lead + (m, k), lead + (k, n)])):
        f = L.P0 + 5 + 6 * q
        full_size = int(np.prod(full))
        src = broadcast_map(g.shapes[s], full)
        if ev[q]:
            cap = b.cap_of(s) if src is None else full_size * b.mult[s]
            r[f + 5] = cap
            if src is not None:
                inv_ptr, inv_tgt = invert_map(src, int(np.prod(g.shapes[s])))
                r[f], r[f + 1] = b.ints(inv_ptr), b.ints(inv_tgt)
                r[f + 2], r[f + 3] = b.int_scratch(cap), b.dense(cap)
        else:
            r[f + 5] = full_size
            if src is not None:
                r[f], r[f + 4] = b.ints(src), b.dense(full_size)
    if variant == L.SS:
        r[L.P0 + 17] = b.int_scratch(nl * k + 1)
        r[L.P0 + 18] = b.int_scratch(r[L.P0 + 16])
        r[L.P0 + 19] = b.dense(r[L.P0 + 16])
    if variant == L.AS:
        r[L.P0 + 20], r[L.P0 + 21] = b.dense(nl * k * m), b.dense(nl * n * m)


@encodes(Mask)
def _mask(b, node):
    src = node.inputs[0]
    events = b.is_events(src)
    r = b.begin(node, L.MASK, events=events, cap_mult=b.mult.get(src, 1))
    r[L.P0] = b.scalar64(node.ratio)
    b.hashes.append(int(name_hash(node.name)))
    r[L.P0 + 1] = len(b.hashes) - 1
