"""Concat of dynamic tensors: one remap reading all of them."""
from mstsim.ir import remaps

from ..registry import register


@register("Concat", 4)
def concat(node, ctx):
    vals = [ctx.value(n) for n in node.input]  # constants are refused here
    bax, k = ctx.broadcast(vals, len(vals[0].full))
    axis = ctx.axis(vals[0], ctx.attr("axis"))
    node_ir = remaps.concat(ctx.fresh(), [v.node for v in vals], [v.shape for v in vals], axis)
    return ctx.add(node_ir, ctx.out_shape(), bax, k)
