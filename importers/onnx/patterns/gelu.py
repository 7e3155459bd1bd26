"""Fuse the Erf form of Gelu ``x/2 * (1 + erf(x / sqrt 2))`` into one ``ai.mstsim::Gelu``.

Matched: Erf of ``x / sqrt2`` (or ``x * (1/sqrt2)``), ``+ 1``, then the
products by x and by 1/2 in either order.
"""
from __future__ import annotations

import numpy as np
from onnx import helper

from ..registry import MSTSIM_DOMAIN
from .view import OnnxView


def _other(node, name):
    return node.input[1] if node.input[0] == name else node.input[0]


def _match(view: OnnxView, erf):
    pre = view.producer.get(erf.input[0])
    if pre is None or len(view.dynamic_inputs(pre)) != 1 or view.only_consumer(pre.output[0]) is None:
        return None
    c = view.scalar(pre.input[1])
    scale = {"Div": 1 / c if c else None, "Mul": c}.get(pre.op_type) if c is not None else None
    if scale is None or not np.isclose(scale, 2 ** -0.5, rtol=1e-6):
        return None
    x = pre.input[0]
    add = view.only_consumer(erf.output[0])
    if add is None or add.op_type != "Add" or view.scalar(_other(add, erf.output[0])) != 1.0:
        return None
    mul = view.only_consumer(add.output[0])
    if mul is None or mul.op_type != "Mul":
        return None
    other = _other(mul, add.output[0])
    half = view.producer.get(other)
    if other == x:  # (x * (1 + erf)) * 0.5
        last = view.only_consumer(mul.output[0])
        if last is None or last.op_type != "Mul" or view.scalar(_other(last, mul.output[0])) != 0.5:
            return None
        return [pre, erf, add, mul, last], x, last
    if (half is not None and half.op_type == "Mul" and x in half.input
            and view.scalar(_other(half, x)) == 0.5 and view.only_consumer(half.output[0]) is not None):
        return [half, pre, erf, add, mul], x, mul
    return None


def fuse_gelu(view: OnnxView, shapes: dict) -> int:
    """Replace every Erf-form Gelu; return the count."""
    count = 0
    for erf in [n for n in view.nodes if n.op_type == "Erf"]:
        m = _match(view, erf)
        if m is None:
            continue
        chain, x, last = m
        view.replace(chain, helper.make_node("Gelu", [x], [last.output[0]], name=last.name, domain=MSTSIM_DOMAIN))
        count += 1
    return count
