"""Fuse Random Spike Masking ``x * (rand(x.shape) > p)`` into one Mask node.

Matched forms: ``Mul(x, Cast(Greater(R, p)))`` (either operand order) and
``Where(Greater(R, p), x, 0)``, where R is RandomUniform with x's shape or
RandomUniformLike, possibly through Cast/Identity, and p a scalar constant.
The exporters keep the pattern even when p = 0.
"""
from __future__ import annotations

from onnx import helper

from ..registry import MSTSIM_DOMAIN
from .view import OnnxView

_PASS = ("Cast", "Identity")


def _through(view: OnnxView, name: str, used: list):
    """Producer of ``name`` skipping Cast/Identity (collected in ``used``)."""
    node = view.producer.get(name)
    while node is not None and node.op_type in _PASS:
        used.append(node)
        node = view.producer.get(node.input[0])
    return node


def _site(node) -> str:
    """A readable site name: the node's scope (``/a/b/q_mask/Mul`` -> ``/a/b/q_mask``)."""
    for p in node.metadata_props:
        if p.key == "pkg.torch.onnx.name_scopes":
            return p.value
    name = node.name or node.output[0]
    return name.rsplit("/", 1)[0] if "/" in name.strip("/") else name


def _random_source(view: OnnxView, greater, shape_of_x, shapes) -> tuple[list, float] | None:
    used = []
    r = _through(view, greater.input[0], used)
    p = view.scalar(greater.input[1])
    if r is None or p is None or r.op_type not in ("RandomUniform", "RandomUniformLike"):
        return None
    a = view.attrs(r)
    if a.get("low", 0.0) != 0.0 or a.get("high", 1.0) != 1.0:
        return None
    if shapes.get(r.output[0]) != shape_of_x:  # one draw per element, as in MST
        return None
    return used + [r], p


def fuse_rsm(view: OnnxView, shapes: dict) -> int:
    """Replace every RSM pattern by ``ai.mstsim::Mask(ratio=p, site)``; return the count."""
    count = 0
    for node in [n for n in view.nodes if n.op_type in ("Mul", "Where")]:
        if node.op_type == "Mul":
            cands = [(node.input[1 - i], node.input[i]) for i in range(2)]
        else:
            zero = view.scalar(node.input[2])
            cands = [(node.input[1], node.input[0])] if zero == 0.0 else []
        for x, m in cands:
            used = []
            greater = _through(view, m, used) if node.op_type == "Mul" else view.producer.get(m)
            if greater is None or greater.op_type != "Greater" or x not in shapes:
                continue
            src = _random_source(view, greater, shapes[x], shapes)
            if src is None:
                continue
            chain = used + [greater] + src[0]
            if any(view.only_consumer(n.output[0]) is None for n in chain):
                continue  # part of the mask feeds something else: leave it alone
            new = helper.make_node("Mask", [x], [node.output[0]], name=node.name, domain=MSTSIM_DOMAIN,
                                   ratio=src[1], site=_site(node))
            view.replace(chain + [node], new)
            count += 1
            break
    return count
