"""Tanh: elementwise, analog (not part of a QCFS chain here)."""
from ..registry import register
from ._common import unary


@register("Tanh", 6)
def tanh(node, ctx):
    return unary(ctx, "tanh")
