"""Erf: elementwise, analog (not part of a QCFS chain here)."""
from ..registry import register
from ._common import unary


@register("Erf", 9)
def erf(node, ctx):
    return unary(ctx, "erf")
