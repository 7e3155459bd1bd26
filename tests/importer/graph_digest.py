"""A digest of everything an import produces: every IR node's fields (arrays bit for bit) and the network's records.

Two imports of a file agree exactly when their digests do; :func:`node_records`
lists per node what went in, so a failing comparison can name the first node
that differs.
"""
from __future__ import annotations

import dataclasses
import hashlib

import numpy as np


def _canon(value):
    """A deterministic, exact text form of a field value (floats as hex, arrays by dtype, shape and bytes)."""
    if isinstance(value, np.ndarray):
        data = np.ascontiguousarray(value)
        return f"array({data.dtype.str}, {data.shape}, {hashlib.sha256(data.tobytes()).hexdigest()})"
    if isinstance(value, (float, np.floating)):
        return f"{type(value).__name__}({float(value).hex()})"
    if isinstance(value, (bool, int, np.integer, str, bytes)) or value is None:
        return f"{type(value).__name__}({value!r})"
    if isinstance(value, (tuple, list)):
        return f"{type(value).__name__}[" + ", ".join(_canon(v) for v in value) + "]"
    if isinstance(value, dict):
        return "dict{" + ", ".join(f"{_canon(k)}: {_canon(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"no canonical form for {type(value).__name__}")


def node_records(graph) -> list[str]:
    """One line per IR node, in graph order: its class and every dataclass field."""
    return [f"{type(n).__name__} " + ", ".join(f"{f.name}={_canon(getattr(n, f.name))}" for f in dataclasses.fields(n))
            for n in graph]


def network_records(net) -> list[str]:
    """The node lines, then the graph's shapes, kinds and modules and the network's provenance, tensors, patterns,
    layouts, metadata and file names."""
    graph = net.graph
    extra = {"shapes": dict(graph.shapes), "kinds": dict(graph.kinds), "modules": dict(getattr(graph, "modules", {})),
             "provenance": net.provenance, "tensors": net.tensors, "patterns": net.patterns,
             "layouts": dict(net._layouts), "metadata": net.metadata, "export_batch": net.export_batch,
             "onnx_input": net.onnx_input, "onnx_output": net.onnx_output, "source": net.source}
    return node_records(graph) + [f"{k}: {_canon(v)}" for k, v in extra.items()]


def digest(net) -> str:
    """SHA-256 of :func:`network_records`."""
    return hashlib.sha256("\n".join(network_records(net)).encode()).hexdigest()
