"""AveragePool, MaxPool and GlobalAveragePool on (N, C, H, W)."""
from mstsim.ir import AvgPool2d, Mean
from mstsim.ir.analog import MaxPool2d

from ..registry import register
from ._pool import window


@register("AveragePool", 1)
def average_pool(node, ctx):
    v = ctx.value(node.input[0])
    kernel = tuple(ctx.attr("kernel_shape"))
    stride, padding, _ = window(ctx, v, kernel)
    ir = AvgPool2d(name=ctx.fresh(), inputs=(v.node,), kernel=kernel, stride=stride, padding=padding,
                   count_include_pad=bool(ctx.attr("count_include_pad", 0)))
    return ctx.add(ir, ctx.out_shape(), 0, 1)


@register("MaxPool", 1)
def max_pool(node, ctx):
    if len(node.output) > 1 and ctx.used(node.output[1]):
        raise ctx.error("the Indices output of MaxPool is used by the graph; it is not supported")
    v = ctx.value(node.input[0])
    kernel = tuple(ctx.attr("kernel_shape"))
    stride, padding, dilation = window(ctx, v, kernel)
    ir = MaxPool2d(name=ctx.fresh(), inputs=(v.node,), kernel=kernel, stride=stride, padding=padding,
                   dilation=dilation)
    return ctx.add(ir, ctx.out_shape(), 0, 1)


@register("GlobalAveragePool", 1)
def global_average_pool(node, ctx):
    v = ctx.value(node.input[0])
    if v.bax != 0 or not v.squeezed or len(v.full) < 3:
        raise ctx.error(f"expects (N, C, ...) input, got {v.full}")
    axes = tuple(range(1, len(v.shape)))
    return ctx.add(Mean(name=ctx.fresh(), inputs=(v.node,), axes=axes, keepdims=True), ctx.out_shape(), 0, 1)
