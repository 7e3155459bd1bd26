"""Exp: elementwise, analog (not part of a QCFS chain here)."""
from ..registry import register
from ._common import unary


@register("Exp", 6)
def exp(node, ctx):
    return unary(ctx, "exp")
