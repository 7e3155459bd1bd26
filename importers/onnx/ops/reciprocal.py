"""Reciprocal: elementwise, analog (not part of a QCFS chain here)."""
from ..registry import register
from ._common import unary


@register("Reciprocal", 6)
def reciprocal(node, ctx):
    return unary(ctx, "reciprocal")
