"""Fuse the decomposed LayerNorm into one ``ai.mstsim::LayerNorm``.

Matched: ``d = x - ReduceMean(x)``; ``var = ReduceMean(d^2)`` (Pow 2 or
d*d); ``y = d / Sqrt(var + eps)`` (or ``d * Reciprocal(...)``); then
optionally ``* weight`` and ``+ bias`` (constants). The reduced axes must be
the trailing ones.
"""
from __future__ import annotations

import numpy as np
from onnx import helper

from ..registry import MSTSIM_DOMAIN
from .view import OnnxView


def _axes(view: OnnxView, node, rank: int):
    a = view.attrs(node).get("axes")
    if a is None and len(node.input) > 1:
        a = view.consts.get(node.input[1])
    if a is None or not view.attrs(node).get("keepdims", 1):
        return None
    return sorted(int(x) % rank for x in np.reshape(a, -1))


def _op(view, name, op_type):
    node = view.producer.get(name)
    return node if node is not None and node.op_type == op_type else None


def _match(view: OnnxView, sub, shapes):
    x = sub.input[0]
    mean = _op(view, sub.input[1], "ReduceMean")
    if mean is None or mean.input[0] != x or x not in shapes:
        return None
    rank = len(shapes[x])
    axes = _axes(view, mean, rank)
    if not axes or axes != list(range(axes[0], rank)):
        return None
    d = sub.output[0]
    users = view.consumers.get(d, [])
    sq = [u for u in users if (u.op_type == "Pow" and view.scalar(u.input[1]) == 2.0)
          or (u.op_type == "Mul" and list(u.input) == [d, d])]
    div = [u for u in users if u.op_type == "Div" and u.input[0] == d]
    if len(sq) != 1 or len(div) != 1 or len(users) != 2:
        return None
    mean2 = view.only_consumer(sq[0].output[0])
    if mean2 is None or mean2.op_type != "ReduceMean" or _axes(view, mean2, rank) != axes:
        return None
    add = view.only_consumer(mean2.output[0])
    eps = view.scalar(add.input[1]) if add is not None and add.op_type == "Add" else None
    sqrt = view.only_consumer(add.output[0]) if eps is not None else None
    if sqrt is None or sqrt.op_type != "Sqrt" or div[0].input[1] != sqrt.output[0]:
        return None
    chain, last, weight, bias = [mean, sub, sq[0], mean2, add, sqrt, div[0]], div[0], None, None
    nxt = view.only_consumer(last.output[0])
    if nxt is not None and nxt.op_type == "Mul" and nxt.input[1] in view.consts:
        weight, last = nxt.input[1], nxt
        chain.append(nxt)
        nxt = view.only_consumer(last.output[0])
    if nxt is not None and nxt.op_type == "Add" and nxt.input[1] in view.consts:
        bias, last = nxt.input[1], nxt
        chain.append(nxt)
    if any(view.only_consumer(n.output[0]) is None for n in chain[:-1] if n is not sub):
        return None
    return chain, x, axes[0], eps, weight, bias, last


def fuse_layernorm(view: OnnxView, shapes: dict) -> int:
    """Replace every decomposed LayerNorm; return the count."""
    count = 0
    for sub in [n for n in view.nodes if n.op_type == "Sub"]:
        m = _match(view, sub, shapes)
        if m is None:
            continue
        chain, x, axis, eps, weight, bias, last = m
        ins = [x, weight or "", bias or ""]
        while ins[-1] == "":
            ins.pop()
        new = helper.make_node("LayerNorm", ins, [last.output[0]], name=last.name, domain=MSTSIM_DOMAIN,
                               axis=axis, epsilon=eps)
        view.replace(chain, new)
        count += 1
    return count
