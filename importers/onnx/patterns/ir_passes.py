"""IR-level fusions on a converted node list: bias folding, BatchNorm folding, remap composition.

Each pass takes and returns ``(nodes, tensors)``: the nodes in topological
order and the map IR node -> ONNX tensor it computes (dropped for nodes
whose value no longer equals an ONNX tensor).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from mstsim.ir import Affine, ChannelAffine, Conv2d, Remap
from mstsim.ir import remaps
from mstsim.ir.analog import Elementwise


def _consumers(nodes) -> dict[str, list]:
    out: dict[str, list] = {n.name: [] for n in nodes}
    for n in nodes:
        for i in n.inputs:
            out[i].append(n)
    return out


def _rewire(nodes, old: str, new: str) -> list:
    return [dataclasses.replace(n, inputs=tuple(new if i == old else i for i in n.inputs))
            if old in n.inputs else n for n in nodes]


def fold_bias(nodes, tensors, shapes):
    """``Affine`` then ``+ c`` with c along the last axis only -> one Affine with bias."""
    cons = _consumers(nodes)
    by_name = {n.name: n for n in nodes}
    out, drop, count = list(nodes), set(), 0
    for n in nodes:
        if not (isinstance(n, Elementwise) and n.op == "add" and len(n.inputs) == 1):
            continue
        src = by_name[n.inputs[0]]
        c = next(o for o in n.operands if isinstance(o, np.ndarray))
        c = c.reshape(c.shape[np.argmax(np.array(c.shape) != 1):] if c.ndim else (1,))
        if not isinstance(src, Affine) or len(cons[src.name]) != 1 or c.ndim != 1 \
                or c.shape[0] != src.weight.shape[0]:
            continue
        bias = c if src.bias is None else src.bias + c
        new = dataclasses.replace(src, name=n.name, bias=bias)
        out = [new if m is src else m for m in out]
        drop.add(n.name)
        tensors.pop(src.name, None)
        count += 1
    return [m for m in out if m.name not in drop or isinstance(m, Affine)], tensors, count


def _channel_of(node, shape, flat: np.ndarray) -> np.ndarray:
    if isinstance(node, Affine):
        return flat % shape[-1]
    return flat // int(np.prod(shape[1:]))  # Conv2d: (C, H, W)


def fold_batchnorm(nodes, tensors, shapes):
    """Fold a ChannelAffine into the Affine/Conv2d feeding it (through remaps) where exact.

    Exact means: every element the ChannelAffine scales comes, through the
    remaps, from the producer's output channel with the same index, and no
    remapped element is padding. Then ``CA(R(P(x))) = R(P'(x))`` with P's
    rows scaled and shifted.
    """
    count = 0
    while True:
        cons = _consumers(nodes)
        by_name = {n.name: n for n in nodes}
        for ca in nodes:
            if not isinstance(ca, ChannelAffine):
                continue
            chain, cur = [], by_name[ca.inputs[0]]
            while isinstance(cur, Remap) and len(cur.inputs) == 1 and len(cons[cur.name]) == 1:
                chain.insert(0, cur)
                cur = by_name[cur.inputs[0]]
            if not isinstance(cur, (Affine, Conv2d)) or len(cons[cur.name]) != 1:
                continue
            pshape = shapes[cur.name]
            src = np.arange(int(np.prod(pshape)))
            for r in chain:
                src = np.where(r.src >= 0, src[np.maximum(r.src, 0)], -1)
            in_shape = shapes[ca.inputs[0]]
            chan = np.indices(in_shape)[ca.axis % len(in_shape)].reshape(-1)
            if src.min() < 0 or not np.array_equal(_channel_of(cur, pshape, src), chan):
                continue
            w = cur.weight * ca.scale.reshape((-1,) + (1,) * (cur.weight.ndim - 1))
            b = ca.scale * (cur.bias if cur.bias is not None else 0.0) + (ca.shift if ca.shift is not None else 0.0)
            new_p = dataclasses.replace(cur, weight=w, bias=np.broadcast_to(b, ca.scale.shape).copy())
            last = chain[-1] if chain else cur
            renamed = dataclasses.replace(new_p if last is cur else last, name=ca.name)
            repl = {cur.name: new_p, last.name: renamed}
            # the last node takes the ChannelAffine's name, so its consumers need no rewiring
            nodes = [repl.get(n.name, n) for n in nodes if n is not ca]
            for n in [cur] + chain:
                tensors.pop(n.name, None)
            count += 1
            break
        else:
            return nodes, tensors, count


def compose_remaps(nodes, tensors, shapes):
    """Merge each single-consumer Remap into the one-input Remap that reads it; drop identities."""
    count = 0
    while True:
        cons = _consumers(nodes)
        by_name = {n.name: n for n in nodes}
        for r2 in nodes:
            if not (isinstance(r2, Remap) and len(r2.inputs) == 1):
                continue
            r1 = by_name[r2.inputs[0]]
            if isinstance(r1, Remap) and len(cons[r1.name]) == 1:
                merged = remaps.compose(r2.name, r1, r2)
                nodes = [merged if n is r2 else n for n in nodes if n is not r1]
                tensors.pop(r1.name, None)
                count += 1
                break
            if r2.in_shapes[0] == r2.out_shape and np.array_equal(r2.src, np.arange(r2.src.size)):
                nodes = _rewire([n for n in nodes if n is not r2], r2.name, r2.inputs[0])
                if r2.name in tensors and r1.name not in tensors:
                    tensors[r1.name] = tensors[r2.name]
                tensors.pop(r2.name, None)
                count += 1
                break
        else:
            return nodes, tensors, count
