"""MatMul: constant on either side -> Affine (with transposes), dynamic -> MatMul."""
import numpy as np

from mstsim.ir import Affine, remaps
from mstsim.ir.attention import MatMul

from ..registry import register


def _weight(ctx, c):
    c = np.asarray(c, dtype=np.float64)
    while c.ndim > 2 and c.shape[0] == 1:
        c = c[0]
    if c.ndim != 2:
        raise ctx.error(f"a constant operand of shape {c.shape} is not supported (need 2-D)")
    return c


@register("MatMul", 1)
def matmul(node, ctx):
    a, b = node.input
    out = ctx.out_shape()
    if ctx.is_const(b):  # x @ W: y[..., o] = sum_i W[i, o] x[..., i]
        v = ctx.value(a)
        if len(v.full) < 2:
            raise ctx.error("a 1-D dynamic operand is not supported")
        ir = Affine(name=ctx.fresh(), inputs=(v.node,), weight=_weight(ctx, ctx.consts[b]).T)
        return ctx.add(ir, out, v.bax, v.k)
    v = ctx.value(b)
    if ctx.is_const(a):  # C @ x contracts x's second-to-last axis: transpose, Affine, transpose back
        if len(v.shape) < 2 or v.bax >= len(v.full) - 2:
            raise ctx.error("C @ x needs the batch outside the last two axes of x")
        perm = list(range(len(v.shape)))
        perm[-2:] = perm[-1], perm[-2]
        t = ctx.graph.add(remaps.transpose(ctx.fresh(), v.node, v.shape, perm))
        ctx.provenance[t] = node.name
        w = _weight(ctx, ctx.consts[a])
        f = ctx.graph.add(Affine(name=ctx.fresh(), inputs=(t,), weight=w))
        ctx.provenance[f] = node.name
        return ctx.add(remaps.transpose(ctx.fresh(), f, ctx.graph.shapes[f], perm), out, v.bax, v.k)
    va = ctx.value(a)
    if len(va.full) < 2 or len(v.full) < 2:
        raise ctx.error("1-D dynamic operands are not supported")
    bax, k = ctx.broadcast([va, v], len(out))
    if bax >= len(out) - 2:
        raise ctx.error("the batch must sit outside the two matrix axes")
    return ctx.add(MatMul(name=ctx.fresh(), inputs=(va.node, v.node)), out, bax, k)
