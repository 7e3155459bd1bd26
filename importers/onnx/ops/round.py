"""Round: elementwise, analog (not part of a QCFS chain here)."""
from ..registry import register
from ._common import unary


@register("Round", 11)
def round(node, ctx):
    return unary(ctx, "round")
