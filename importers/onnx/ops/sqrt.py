"""Sqrt: elementwise, analog (not part of a QCFS chain here)."""
from ..registry import register
from ._common import unary


@register("Sqrt", 6)
def sqrt(node, ctx):
    return unary(ctx, "sqrt")
