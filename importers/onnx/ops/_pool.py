"""Window attributes shared by Conv and the pools (2-D only)."""
from __future__ import annotations

from ..context import Ctx, Value


def window(ctx: Ctx, v: Value, kernel, dilation=(1, 1)) -> tuple[tuple, tuple, tuple]:
    """(stride, padding as (top, left, bottom, right), dilation) of a 2-D window op."""
    if len(v.full) != 4 or v.bax != 0 or not v.squeezed:
        raise ctx.error(f"only 2-D windows on (N, C, H, W) inputs are supported, input is {v.full}")
    if ctx.attr("ceil_mode", 0):
        raise ctx.error("ceil_mode=1 is not supported")
    stride = tuple(ctx.attr("strides", [1, 1]))
    dilation = tuple(ctx.attr("dilations", list(dilation)))
    auto_pad = ctx.attr("auto_pad", b"NOTSET")
    auto_pad = auto_pad.decode() if isinstance(auto_pad, bytes) else auto_pad
    if auto_pad in ("NOTSET", "VALID"):
        p = list(ctx.attr("pads", [0, 0, 0, 0])) if auto_pad == "NOTSET" else [0, 0, 0, 0]
        return stride, (p[0], p[1], p[2], p[3]), dilation
    out = ctx.out_shape()[2:]
    pads = []
    for i in range(2):  # SAME_UPPER / SAME_LOWER: total padding from the output size
        total = max((out[i] - 1) * stride[i] + (kernel[i] - 1) * dilation[i] + 1 - v.full[2 + i], 0)
        small = total // 2
        pads.append((small, total - small) if auto_pad == "SAME_UPPER" else (total - small, small))
    return stride, (pads[0][0], pads[1][0], pads[0][1], pads[1][1]), dilation
