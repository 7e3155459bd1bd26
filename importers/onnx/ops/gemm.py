"""Gemm with constant B (and C) -> Affine: ``y = alpha * x @ B' + beta * C``."""
import numpy as np

from mstsim.ir import Affine

from ..registry import register


@register("Gemm", 7)
def gemm(node, ctx):
    v = ctx.value(node.input[0])
    if ctx.attr("transA", 0) or v.bax != 0:
        raise ctx.error("transA=1 (batch on the second axis) is not supported")
    b = np.asarray(ctx.const(node.input[1], "B (the weight)"), dtype=np.float64)
    w = b if ctx.attr("transB", 0) else b.T  # (out, in)
    w = float(ctx.attr("alpha", 1.0)) * w
    c = ctx.input_const(2)
    bias = None
    if c is not None:
        c = np.asarray(c, dtype=np.float64)
        c = c.reshape((1,) * (2 - c.ndim) + c.shape)
        if c.shape[0] != 1:
            raise ctx.error(f"bias C of shape {c.shape} varies along the batch axis")
        bias = float(ctx.attr("beta", 1.0)) * np.broadcast_to(c[0], (w.shape[0],))
    return ctx.add(Affine(name=ctx.fresh(), inputs=(v.node,), weight=w, bias=bias), ctx.out_shape(), 0, 1)
