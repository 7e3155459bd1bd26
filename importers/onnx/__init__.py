"""ONNX importer: QCFS networks exported from PyTorch -> mstsim IR.

>>> net = from_onnx("model.onnx")          # doctest: +SKIP
>>> print(net.inspect())                    # doctest: +SKIP
"""
from __future__ import annotations

from .errors import (BatchError, MalformedModel, NoQCFS, OnnxImportError, UnsafeExternalData, UnsupportedOp,
                     UnsupportedUse)
from mstsim.network import Network


def from_onnx(path_or_model, *, input_shape=None, require_qcfs: bool = True) -> Network:
    """Import an ONNX model as a network.

    Parameters
    ----------
    path_or_model : str, Path or onnx.ModelProto
    input_shape : sequence of int, optional
        Binds dynamic input dimensions: the full shape (batch first) or the
        per-sample shape.
    require_qcfs : bool
        Refuse a model without any QCFS activation (default). False imports
        plain ANNs for ANN mode only (used by the per-op tests).

    Returns
    -------
    Network

    Imports of files are cached (``cache.py``; ``MSTSIM_CACHE_DIR=off`` turns it off).
    """
    from . import cache  # an unchanged file imported before: its IR is read back, onnx is not even loaded
    found = cache.lookup(path_or_model, input_shape, require_qcfs)
    if found is None:
        from .convert import convert
        found = convert(path_or_model, input_shape=input_shape, require_qcfs=require_qcfs)
        cache.store(path_or_model, input_shape, require_qcfs, *found)
    graph, info = found
    return Network(graph, **info)


def inspect_model(path, *, input_shape=None) -> str:
    """The ``mstsim inspect MODEL.onnx`` table as a string."""
    net = from_onnx(path, input_shape=input_shape)
    return f"{net.source}\n" + net.inspect()


__all__ = ["from_onnx", "inspect_model", "Network", "OnnxImportError", "MalformedModel", "UnsafeExternalData",
           "UnsupportedOp", "UnsupportedUse", "BatchError", "NoQCFS"]
