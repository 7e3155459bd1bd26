"""Fusion passes, apart from the converters.

ONNX-level passes rewrite node chains into the importer's own ops (domain
``ai.mstsim``): QCFS -> ``QCFS``, Random Spike Masking -> ``Mask``, the
decomposed LayerNorm -> ``LayerNorm``, the Erf form of Gelu -> ``Gelu``.
IR-level passes (``ir_passes``) fold biases and BatchNorm into the
preceding synaptic node where exact and compose chains of remaps.
"""
from .view import OnnxView
from .qcfs import fuse_qcfs
from .rsm import fuse_rsm
from .layernorm import fuse_layernorm
from .gelu import fuse_gelu

#: ONNX-level passes in the order they run (name, function)
ONNX_PASSES = (("masks", fuse_rsm), ("qcfs", fuse_qcfs), ("layernorm", fuse_layernorm), ("gelu", fuse_gelu))

__all__ = ["OnnxView", "ONNX_PASSES", "fuse_qcfs", "fuse_rsm", "fuse_layernorm", "fuse_gelu"]
