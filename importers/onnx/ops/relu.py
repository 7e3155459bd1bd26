"""Relu: elementwise, analog (not part of a QCFS chain here)."""
from ..registry import register
from ._common import unary


@register("Relu", 6)
def relu(node, ctx):
    return unary(ctx, "relu")
