"""Transpose: a per-sample axis permutation (the batch axis moves with it)."""
from mstsim.ir import remaps

from ..registry import register


@register("Transpose", 1)
def transpose(node, ctx):
    v = ctx.value(node.input[0])
    perm = [int(p) for p in ctx.attr("perm", list(range(len(v.full)))[::-1])]
    bax = perm.index(v.bax)
    if v.squeezed:  # the batch axis is not in the per-sample tensor
        perm = [p - (p > v.bax) for p in perm if p != v.bax]
    return ctx.add(remaps.transpose(ctx.fresh(), v.node, v.shape, perm), ctx.out_shape(), bax, v.k)
