"""Abs: elementwise, analog (not part of a QCFS chain here)."""
from ..registry import register
from ._common import unary


@register("Abs", 6)
def abs(node, ctx):
    return unary(ctx, "abs")
