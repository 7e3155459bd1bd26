"""Gather with constant indices on a dynamic tensor: a remap."""
import numpy as np

from mstsim.ir import remaps

from ..registry import register


@register("Gather", 1)
def gather(node, ctx):
    v = ctx.value(node.input[0])
    idx = np.asarray(ctx.const(node.input[1], "the indices"), dtype=np.int64)
    axis = int(ctx.attr("axis", 0)) % len(v.full)
    ps_axis = ctx.axis(v, axis)
    bax = v.bax + idx.ndim - 1 if axis < v.bax else v.bax
    return ctx.add(remaps.gather(ctx.fresh(), v.node, v.shape, idx, ps_axis), ctx.out_shape(), bax, v.k)
