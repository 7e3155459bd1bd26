"""Identity, Dropout (inference) and Cast between float types: no IR node."""
import numpy as np
from onnx import helper

from ..registry import register
from ._common import unary


@register("Identity", 1)
def identity(node, ctx):
    return ctx.value(node.input[0])


@register("Dropout", 1)
def dropout(node, ctx):
    if len(node.output) > 1 and node.output[1]:
        raise ctx.error("the Dropout mask output is not supported")
    if ctx.attr("training_mode", 0) or (len(node.input) > 2 and node.input[2]
                                        and bool(ctx.input_const(2))):
        raise ctx.error("Dropout in training mode is not supported (export in eval mode)")
    return ctx.value(node.input[0])


@register("Cast", 6)
def cast(node, ctx):
    to = np.dtype(helper.tensor_dtype_to_np_dtype(ctx.attr("to")))
    if to.kind == "f":
        return ctx.value(node.input[0])
    if to.kind == "b":
        return unary(ctx, "ne0")
    return unary(ctx, "trunc")
