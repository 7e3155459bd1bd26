"""The importer's fused ops: QCFS chains -> IF, RSM patterns -> Mask."""
from mstsim.ir import IF
from mstsim.ir.attention import Mask

from ..registry import MSTSIM_DOMAIN, register


@register("QCFS", 1, MSTSIM_DOMAIN)
def qcfs(node, ctx):
    v = ctx.value(node.input[0])
    ir = IF(name=ctx.fresh(), inputs=(v.node,), theta=float(ctx.attr("theta")), levels=int(ctx.attr("levels")))
    return ctx.add(ir, ctx.out_shape(), v.bax, v.k)


@register("Mask", 1, MSTSIM_DOMAIN)
def mask(node, ctx):
    v = ctx.value(node.input[0])
    site = ctx.attr("site", b"")
    site = site.decode() if isinstance(site, bytes) else site
    ir = Mask(name=ctx.fresh(), inputs=(v.node,), ratio=float(ctx.attr("ratio")), site=site)
    return ctx.add(ir, ctx.out_shape(), v.bax, v.k)
