"""Helpers shared by the converters: elementwise ops and index remaps on values."""
from __future__ import annotations

import numpy as np

from mstsim.ir import Add, Remap
from mstsim.ir import remaps
from mstsim.ir.analog import Elementwise

from ..context import Ctx, Value


def elementwise(ctx: Ctx, op: str, names) -> Value:
    """Convert an elementwise op with NumPy broadcasting; constants become operands.

    ``names`` holds tensor names or constant arrays.
    """
    out_full = ctx.out_shape()
    rank = len(out_full)
    names = [n if isinstance(n, str) else np.asarray(n) for n in names]
    is_const = [not isinstance(n, str) or ctx.is_const(n) for n in names]
    dyn = [ctx.value(n) for n, c in zip(names, is_const) if not c]
    if not dyn:
        raise ctx.error("all operands are constants but were not folded")
    bax, k = ctx.broadcast(dyn, rank)
    if op == "add" and len(dyn) == 2 and dyn[0].shape == dyn[1].shape:
        return ctx.add(Add(name=ctx.fresh(), inputs=(dyn[0].node, dyn[1].node)), out_full, bax, k)
    inputs, operands = [], []
    for n, c in zip(names, is_const):
        if c:
            operands.append(ctx.const_per_sample(ctx.consts[n] if isinstance(n, str) else n, rank, bax, k))
        else:
            operands.append(len(inputs))
            inputs.append(ctx.values[n].node)
    node = Elementwise(name=ctx.fresh(), inputs=tuple(inputs), op=op, operands=tuple(operands))
    return ctx.add(node, out_full, bax, k)


def unary(ctx: Ctx, op: str) -> Value:
    return elementwise(ctx, op, [ctx.node.input[0]])


def reshape_to(ctx: Ctx, v: Value, out_full, name: str | None = None) -> Value:
    """Per-sample reshape of ``v`` to the full shape ``out_full``."""
    bax, k = ctx.reshape_batch(v, out_full)
    target = Value("", tuple(out_full), bax, k).shape
    node = remaps.reshape(name or ctx.fresh(), v.node, v.shape, target)
    return ctx.add(node, out_full, bax, k)


def expand_to(ctx: Ctx, v: Value, out_full) -> Value:
    """Broadcast ``v`` to ``out_full`` (never along the batch axis)."""
    bax = v.bax + len(out_full) - len(v.full)
    if out_full[bax] != v.full[v.bax]:
        raise ctx.error(f"expands the batch axis of {v.full} to {tuple(out_full)}")
    target = Value("", tuple(out_full), bax, v.k).shape
    idx = np.arange(int(np.prod(v.shape)), dtype=np.int64).reshape(v.shape)
    src = np.broadcast_to(idx.reshape((1,) * (len(target) - idx.ndim) + idx.shape), target)
    node = Remap(name=ctx.fresh(), inputs=(v.node,), in_shapes=(v.shape,), out_shape=target,
                 src=np.ascontiguousarray(src), op="Expand")
    return ctx.add(node, out_full, bax, v.k)


def slice_value(ctx: Ctx, v: Value, starts, ends, axes, steps, out_full, name: str | None = None) -> Value:
    ps_axes = [ctx.axis(v, a) for a in axes]
    node = remaps.slice_(name or ctx.fresh(), v.node, v.shape, starts, ends, ps_axes, steps)
    return ctx.add(node, out_full, v.bax, v.k)


def ints(values) -> list[int]:
    return [int(x) for x in np.asarray(values).reshape(-1)]
