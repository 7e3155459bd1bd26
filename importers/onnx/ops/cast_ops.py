"""Identity, Dropout (inference) and Cast between float types: no IR node."""
import onnx

from ..registry import register
from ._common import unary


@register("Identity", 1)
def identity(node, ctx):
    return ctx.value(node.input[0])


@register("Dropout", 1)
def dropout(node, ctx):
    if len(node.output) > 1 and ctx.used(node.output[1]):
        raise ctx.error("the Dropout mask output is used by the graph; only inference Dropout (no mask) is supported")
    if ctx.attr("training_mode", 0) or (len(node.input) > 2 and node.input[2]
                                        and bool(ctx.input_const(2))):
        raise ctx.error("Dropout in training mode is not supported (export in eval mode)")
    return ctx.value(node.input[0])


#: Casts the IR computes exactly: to the simulator's own float types (identity), to integers (truncation),
#: to bool (nonzero)
_FLOATS = {onnx.TensorProto.FLOAT, onnx.TensorProto.DOUBLE}
_INTS = {getattr(onnx.TensorProto, t) for t in ("INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16", "UINT32",
                                                "UINT64")}


@register("Cast", 6)
def cast(node, ctx):
    to = int(ctx.attr("to"))
    if to in _FLOATS:
        return ctx.value(node.input[0])
    if to == onnx.TensorProto.BOOL:
        return unary(ctx, "ne0")
    if to in _INTS:
        return unary(ctx, "trunc")
    raise ctx.error(f"Cast to {onnx.TensorProto.DataType.Name(to)} rounds to a number format the simulator does "
                    "not model (it computes in float32 or float64); export the model in float32")
