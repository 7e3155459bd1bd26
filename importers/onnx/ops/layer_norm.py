"""LayerNormalization (and the importer's fused form of the decomposed pattern) -> LayerNorm."""
from mstsim.ir.analog import LayerNorm

from ..registry import MSTSIM_DOMAIN, register


def _layer_norm(node, ctx):
    if any(ctx.used(o) for o in node.output[1:]):
        raise ctx.error("the Mean / InvStdDev outputs are used by the graph; only the normalised output is supported")
    v = ctx.value(node.input[0])
    rank = len(v.full)
    axis = int(ctx.attr("axis", -1)) % rank
    if v.bax >= axis:
        raise ctx.error(f"normalises over axes {axis}.. which include the batch axis of {v.full}")
    ir = LayerNorm(name=ctx.fresh(), inputs=(v.node,), axis=ctx.axis(v, axis),
                   eps=float(ctx.attr("epsilon", 1e-5)), weight=ctx.input_const(1), bias=ctx.input_const(2))
    return ctx.add(ir, ctx.out_shape(), v.bax, v.k)


register("LayerNormalization", 17)(_layer_norm)
register("LayerNorm", 1, MSTSIM_DOMAIN)(_layer_norm)
