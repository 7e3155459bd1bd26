"""Mul: elementwise with NumPy broadcasting (constants become operands)."""
from ..registry import register
from ._common import elementwise


@register("Mul", 7)
def mul(node, ctx):
    if len(node.input) != 2:
        raise ctx.error("expects exactly two operands")
    return elementwise(ctx, "mul", node.input)
