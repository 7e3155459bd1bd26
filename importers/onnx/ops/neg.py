"""Neg: elementwise, analog (not part of a QCFS chain here)."""
from ..registry import register
from ._common import unary


@register("Neg", 6)
def neg(node, ctx):
    return unary(ctx, "neg")
