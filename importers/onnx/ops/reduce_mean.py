"""ReduceMean over non-batch axes -> Mean."""
from mstsim.ir import Mean

from ..registry import register
from ._common import ints


@register("ReduceMean", 1)
def reduce_mean(node, ctx):
    v = ctx.value(node.input[0])
    rank = len(v.full)
    axes = ctx.attr("axes") if ctx.opset() < 18 else ctx.input_const(1)
    if axes is None or len(ints(axes)) == 0:
        if ctx.attr("noop_with_empty_axes", 0):
            return v
        axes = range(rank)
    axes = sorted({a % rank for a in ints(axes)})
    keep = bool(ctx.attr("keepdims", 1))
    ps_axes = tuple(ctx.axis(v, a) for a in axes)
    bax = v.bax if keep else v.bax - sum(a < v.bax for a in axes)
    return ctx.add(Mean(name=ctx.fresh(), inputs=(v.node,), axes=ps_axes, keepdims=keep), ctx.out_shape(), bax, v.k)
