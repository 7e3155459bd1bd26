"""Clip outside a QCFS chain: ``y = min(max(x, lo), hi)`` (analog, flagged)."""
from ..registry import register
from ._common import elementwise


@register("Clip", 6)
def clip(node, ctx):
    if ctx.opset() < 11:  # bounds were attributes before opset 11
        lo, hi = ctx.attr("min"), ctx.attr("max")
    else:
        lo, hi = ctx.input_const(1), ctx.input_const(2)
    x = node.input[0]
    if lo is not None and hi is not None:
        return elementwise(ctx, "clip", [x, lo, hi])
    if lo is not None:
        return elementwise(ctx, "max", [x, lo])
    if hi is not None:
        return elementwise(ctx, "min", [x, hi])
    return ctx.value(x)
