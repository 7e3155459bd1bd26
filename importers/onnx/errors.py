"""Errors raised while importing an ONNX model.

Each names what the user needs to find the problem: the file, the ONNX node
and its op type, the opset. None should surface as a protobuf or NumPy
traceback.
"""
from __future__ import annotations

from mstsim.ir.errors import MstsimError


class OnnxImportError(MstsimError):
    """Base class of the importer's errors."""


class MalformedModel(OnnxImportError):
    """The file is not a valid ONNX model (unreadable, truncated, fails the checker)."""


class UnsafeExternalData(OnnxImportError):
    """A tensor's external data path leaves the model's folder."""


class UnsupportedOp(OnnxImportError):
    """No converter for this (domain, op type, opset)."""

    def __init__(self, node_name: str, op_type: str, domain: str, opset: int, supported: list[str],
                 source: str = ""):
        self.node_name, self.op_type, self.domain, self.opset = node_name, op_type, domain, opset
        dom = domain or "ai.onnx"
        where = f"{source}: " if source else ""
        super().__init__(
            f"{where}node {node_name!r} ({op_type}): op {dom}::{op_type} (opset {opset}) is not supported.\n"
            f"Supported ops: {', '.join(supported)}")


class UnsupportedUse(OnnxImportError):
    """A supported op used in a way the IR cannot express (dynamic weights, batch-mixing axes...)."""


class BatchError(OnnxImportError):
    """The per-sample graph cannot be recovered from the exported batch layout."""


class NoQCFS(OnnxImportError):
    """The network contains no QCFS activation, so there is nothing to convert to spikes."""


def node_label(node) -> str:
    """``node 'name' (Op)``, or for an unnamed node ``node -> 'first output' (Op)``."""
    if node.name:
        return f"node {node.name!r} ({node.op_type})"
    return f"node -> {node.output[0]!r} ({node.op_type})" if node.output else f"unnamed node ({node.op_type})"


#: what to tell the user when the batch axis cannot be recovered
REEXPORT_HINT = ("re-export the model with a fixed batch size of 2 or more, e.g. "
                 "torch.onnx.export(model, torch.zeros(2, *sample_shape), path), with every "
                 "per-sample computation kept off the batch axis (view/reshape with -1 only on it)")
