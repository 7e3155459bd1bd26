"""Max: elementwise with NumPy broadcasting (constants become operands)."""
from ..registry import register
from ._common import elementwise


@register("Max", 7)
def max(node, ctx):
    if len(node.input) != 2:
        raise ctx.error("expects exactly two operands")
    return elementwise(ctx, "max", node.input)
