"""Reshape, Flatten, Squeeze, Unsqueeze: per-sample index remaps.

The target comes from shape inference (the baked batch size included); the
batch factor is located in it and the rest becomes the per-sample shape.
"""
from ..registry import register
from ._common import reshape_to


@register("Reshape", 5)
def reshape(node, ctx):
    return reshape_to(ctx, ctx.value(node.input[0]), ctx.out_shape())


@register("Flatten", 1)
def flatten(node, ctx):
    return reshape_to(ctx, ctx.value(node.input[0]), ctx.out_shape())


@register("Squeeze", 1)
def squeeze(node, ctx):
    return reshape_to(ctx, ctx.value(node.input[0]), ctx.out_shape())


@register("Unsqueeze", 1)
def unsqueeze(node, ctx):
    return reshape_to(ctx, ctx.value(node.input[0]), ctx.out_shape())
