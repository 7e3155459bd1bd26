"""BatchNormalization (inference) -> ChannelAffine; a later pass folds it where exact.

``y = (x - mean) / sqrt(var + eps) * gamma + beta = scale * x + shift``.
"""
import numpy as np

from mstsim.ir import ChannelAffine

from ..registry import register


@register("BatchNormalization", 7)
def batch_norm(node, ctx):
    if ctx.attr("training_mode", 0) or len([o for o in node.output if o]) > 1:
        raise ctx.error("BatchNormalization in training mode is not supported (export in eval mode)")
    v = ctx.value(node.input[0])
    gamma, beta, mean, var = (np.asarray(ctx.input_const(i), dtype=np.float64) for i in range(1, 5))
    scale = gamma / np.sqrt(var + float(ctx.attr("epsilon", 1e-5)))
    ir = ChannelAffine(name=ctx.fresh(), inputs=(v.node,), scale=scale, shift=beta - mean * scale,
                       axis=ctx.axis(v, 1))
    return ctx.add(ir, ctx.out_shape(), v.bax, v.k)
