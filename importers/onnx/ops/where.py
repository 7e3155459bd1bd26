"""Where: ``y = b if c else d`` elementwise (shift masks are usually folded away)."""
from ..registry import register
from ._common import elementwise


@register("Where", 9)
def where(node, ctx):
    return elementwise(ctx, "where", node.input)
