"""Split: one slice remap per output."""
import numpy as np

from ..registry import register
from ._common import ints, slice_value


@register("Split", 2)
def split(node, ctx):
    v = ctx.value(node.input[0])
    axis = int(ctx.attr("axis", 0)) % len(v.full)
    if ctx.opset() >= 13:
        sizes = ctx.input_const(1)
    else:
        sizes = ctx.attr("split")
    n = len(node.output)
    if sizes is None:  # equal parts, the last one smaller (opset 18 num_outputs)
        part = -(-v.full[axis] // n)
        sizes = [min(part, v.full[axis] - i * part) for i in range(n)]
    bounds = np.concatenate([[0], np.cumsum(ints(sizes))])
    out = []
    for i, name in enumerate(node.output):
        if not name:
            out.append(None)
            continue
        out.append(slice_value(ctx, v, [bounds[i]], [bounds[i + 1]], [axis], [1], ctx.out_shape(i),
                               name=ctx.fresh(name)))
    return out
