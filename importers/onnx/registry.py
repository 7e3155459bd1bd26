"""Converter registry keyed by (domain, op type, since-version).

A converter is a pure function ``(node, ctx) -> value`` (see ``context.py``)
registered for the op versions from ``since_version`` on. The model's opset
picks the converter: ``onnx.defs.get_schema(op, max_inclusive_version=opset,
domain=...)`` gives the op version in force, and the converter registered
with the greatest since-version not above it handles it. Registering a key
twice is an error.
"""
from __future__ import annotations

from typing import Callable

import onnx

from .errors import UnsupportedOp

#: the domain of the importer's own fused ops (QCFS, RSM mask, ...)
MSTSIM_DOMAIN = "ai.mstsim"

#: the newest ai.onnx opset whose op versions the converters were checked against (the onnx package's
#: node conformance cases, docs/onnx-conformance.md); a newer opset may change an op's meaning unseen
MAX_OPSET = 28

_CONVERTERS: dict[tuple[str, str, int], Callable] = {}


def _norm(domain: str) -> str:
    return "" if domain in ("", "ai.onnx") else domain


def register(op_type: str, since_version: int = 1, domain: str = ""):
    """Decorator: register ``fn`` as the converter of ``op_type`` from ``since_version`` on."""
    key = (_norm(domain), op_type, int(since_version))

    def wrap(fn: Callable) -> Callable:
        if key in _CONVERTERS:
            raise RuntimeError(f"converter for {key} registered twice "
                               f"({_CONVERTERS[key].__module__} and {fn.__module__})")
        _CONVERTERS[key] = fn
        return fn

    return wrap


def supported_ops() -> list[str]:
    """Sorted names of the ops with a converter (standard domain unprefixed)."""
    return sorted({op if not d else f"{d}::{op}" for d, op, _ in _CONVERTERS})


def op_version(op_type: str, domain: str, opset: int) -> int:
    """The op's since-version in force at ``opset`` (``opset`` for custom domains)."""
    if _norm(domain) == MSTSIM_DOMAIN:
        return opset
    try:
        return onnx.defs.get_schema(op_type, max_inclusive_version=opset, domain=_norm(domain)).since_version
    except Exception:  # onnx raises SchemaError for unknown ops
        return -1


def lookup(node: onnx.NodeProto, opsets: dict[str, int], source: str = "") -> Callable:
    """The converter for ``node`` at the model's opsets, or UnsupportedOp."""
    domain = _norm(node.domain)
    opset = opsets.get(domain, 1)
    version = op_version(node.op_type, domain, opset)
    best = None
    for (d, op, since), fn in _CONVERTERS.items():
        if d == domain and op == node.op_type and since <= version and (best is None or since > best[0]):
            best = (since, fn)
    if best is None:
        raise UnsupportedOp(node.name or f"<unnamed, output {node.output[0] if node.output else ''}>", node.op_type, domain, opset, supported_ops(), source)
    return best[1]
