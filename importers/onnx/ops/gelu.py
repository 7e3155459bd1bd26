"""Gelu (opset 20, and the importer's fused Erf pattern) -> Gelu."""
from mstsim.ir.analog import Gelu

from ..registry import MSTSIM_DOMAIN, register


def _gelu(node, ctx):
    v = ctx.value(node.input[0])
    approx = ctx.attr("approximate", b"none")
    approx = approx.decode() if isinstance(approx, bytes) else approx
    return ctx.add(Gelu(name=ctx.fresh(), inputs=(v.node,), approximate=approx), ctx.out_shape(), v.bax, v.k)


register("Gelu", 20)(_gelu)
register("Gelu", 1, MSTSIM_DOMAIN)(_gelu)
