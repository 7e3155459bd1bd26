"""Conv (2-D) with constant weights -> Conv2d."""
from mstsim.ir import Conv2d

from ..registry import register
from ._pool import window


@register("Conv", 1)
def conv(node, ctx):
    v = ctx.value(node.input[0])
    w = ctx.input_const(1)
    if w is None or w.ndim != 4:
        raise ctx.error("only 2-D convolutions with constant weights are supported")
    stride, padding, dilation = window(ctx, v, w.shape[2:])
    ir = Conv2d(name=ctx.fresh(), inputs=(v.node,), weight=w, bias=ctx.input_const(2), stride=stride,
                padding=padding, dilation=dilation, groups=int(ctx.attr("group", 1)))
    return ctx.add(ir, ctx.out_shape(), 0, 1)
