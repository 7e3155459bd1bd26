"""Expand: broadcast a dynamic tensor as a remap (each output reads one input)."""
from ..registry import register
from ._common import expand_to


@register("Expand", 8)
def expand(node, ctx):
    return expand_to(ctx, ctx.value(node.input[0]), ctx.out_shape())
