"""Greater: elementwise with NumPy broadcasting (constants become operands)."""
from ..registry import register
from ._common import elementwise


@register("Greater", 7)
def greater(node, ctx):
    if len(node.input) != 2:
        raise ctx.error("expects exactly two operands")
    return elementwise(ctx, "greater", node.input)
