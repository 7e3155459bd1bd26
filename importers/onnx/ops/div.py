"""Div: elementwise with NumPy broadcasting (constants become operands)."""
from ..registry import register
from ._common import elementwise


@register("Div", 7)
def div(node, ctx):
    if len(node.input) != 2:
        raise ctx.error("expects exactly two operands")
    return elementwise(ctx, "div", node.input)
