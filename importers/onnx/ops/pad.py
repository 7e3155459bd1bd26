"""Pad with zeros: a remap reading nothing (-1) in the border."""
import numpy as np

from mstsim.ir import remaps

from ..registry import register
from ._common import ints


@register("Pad", 2)
def pad(node, ctx):
    v = ctx.value(node.input[0])
    rank = len(v.full)
    if ctx.attr("mode", b"constant") not in (b"constant", "constant"):
        raise ctx.error(f"only constant padding is supported, got mode {ctx.attr('mode')!r}")
    if ctx.opset() < 11:
        pads, value, axes = ctx.attr("pads"), ctx.attr("value", 0.0), list(range(rank))
    else:
        pads = ints(ctx.input_const(1))
        value = ctx.input_const(2, 0.0)
        axes = ints(ctx.input_const(3, range(rank)))
    if np.any(np.asarray(value) != 0):
        raise ctx.error(f"only zero padding is supported, got value {value}")
    n = len(axes)
    per_axis = {int(a) % rank: (pads[i], pads[i + n]) for i, a in enumerate(axes)}
    if min(pads) < 0:
        raise ctx.error("negative pads (cropping) are not supported")
    if per_axis.get(v.bax, (0, 0)) != (0, 0):
        raise ctx.error("pads the batch axis")
    ps = [per_axis.get(a, (0, 0)) for a in range(rank) if not (a == v.bax and v.squeezed)]
    return ctx.add(remaps.pad(ctx.fresh(), v.node, v.shape, ps), ctx.out_shape(), v.bax, v.k)
