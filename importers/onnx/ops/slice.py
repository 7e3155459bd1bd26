"""Slice: a per-sample strided selection (never along the batch axis)."""
from ..registry import register
from ._common import ints, slice_value


@register("Slice", 1)
def slice_(node, ctx):
    v = ctx.value(node.input[0])
    if ctx.opset() < 10:  # bounds were attributes before opset 10
        starts, ends = ctx.attr("starts"), ctx.attr("ends")
        axes, steps = ctx.attr("axes", list(range(len(starts)))), None
    else:
        starts, ends = ints(ctx.input_const(1)), ints(ctx.input_const(2))
        axes = ints(ctx.input_const(3, range(len(starts))))
        steps = ctx.input_const(4)
        steps = ints(steps) if steps is not None else None
    return slice_value(ctx, v, starts, ends, axes, steps, ctx.out_shape())
