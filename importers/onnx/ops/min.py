"""Min: elementwise with NumPy broadcasting (constants become operands)."""
from ..registry import register
from ._common import elementwise


@register("Min", 7)
def min(node, ctx):
    if len(node.input) != 2:
        raise ctx.error("expects exactly two operands")
    return elementwise(ctx, "min", node.input)
