"""Floor: elementwise, analog (not part of a QCFS chain here)."""
from ..registry import register
from ._common import unary


@register("Floor", 6)
def floor(node, ctx):
    return unary(ctx, "floor")
