"""Add: ``y = a + b`` with broadcasting."""
from ..registry import register
from ._common import elementwise


@register("Add", 7)
def add(node, ctx):
    return elementwise(ctx, "add", node.input)
