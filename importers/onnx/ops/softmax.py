"""Softmax along one non-batch axis (analog, per step)."""
from mstsim.ir.analog import Softmax

from ..registry import register


@register("Softmax", 1)
def softmax(node, ctx):
    v = ctx.value(node.input[0])
    rank = len(v.full)
    axis = int(ctx.attr("axis", -1 if ctx.opset() >= 13 else 1)) % rank
    if ctx.opset() < 13 and axis != rank - 1:  # old Softmax flattens the axes from `axis` on
        raise ctx.error(f"opset {ctx.opset()} Softmax over flattened axes {axis}.. is not supported")
    return ctx.add(Softmax(name=ctx.fresh(), inputs=(v.node,), axis=ctx.axis(v, axis)), ctx.out_shape(), v.bax, v.k)
