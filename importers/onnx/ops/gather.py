"""Gather with constant indices on a dynamic tensor: a remap.

Gathering along the batch axis is accepted when the data flow shows it is
per sample: every output sample reads only its own sample's elements, at
the same offsets for every sample. The dynamo exporter writes
``AdaptiveAvgPool1d`` this way (``as_strided``: the pooled ``(B, C, 1)``
flattened to ``(B*C,)``, then gathered back with indices ``b*C + c``).
"""
import numpy as np

from mstsim.ir import remaps

from ..errors import REEXPORT_HINT, BatchError
from ..registry import register


def _per_sample_indices(idx: np.ndarray, batch: int, k: int):
    """(output batch axis, per-sample factor, per-sample indices) if ``idx`` gathers per sample, else None.

    ``idx`` indexes an axis holding ``batch * k`` elements, sample-major. The
    output batch axis is the first axis of ``idx`` whose outer factor of
    ``batch`` is exactly the sample each index reads from.
    """
    sample, offset = np.divmod(idx, k)
    for ax, n in enumerate(idx.shape):
        if n % batch:
            continue
        split = idx.shape[:ax] + (batch, n // batch) + idx.shape[ax + 1:]
        s, o = sample.reshape(split), offset.reshape(split)
        want = np.arange(batch).reshape((1,) * ax + (batch,) + (1,) * (len(split) - ax - 1))
        if np.all(s == want) and np.all(o == np.take(o, [0], axis=ax)):
            per = np.take(o, 0, axis=ax)
            kout = n // batch
            return ax, kout, per if kout > 1 else per.reshape(idx.shape[:ax] + idx.shape[ax + 1:])
    return None


@register("Gather", 1)
def gather(node, ctx):
    v = ctx.value(node.input[0])
    idx = np.asarray(ctx.const(node.input[1], "the indices"), dtype=np.int64)
    axis = int(ctx.attr("axis", 0)) % len(v.full)
    if axis != v.bax:
        ps_axis = ctx.axis(v, axis)
        bax = v.bax + idx.ndim - 1 if axis < v.bax else v.bax
        return ctx.add(remaps.gather(ctx.fresh(), v.node, v.shape, idx, ps_axis), ctx.out_shape(), bax, v.k)
    found = _per_sample_indices(idx % v.full[axis], ctx.batch, v.k) if idx.ndim and v.k > 1 else None
    if found is None:
        raise ctx.error(f"gathers along the batch axis {axis} of shape {v.full} with indices that mix samples; "
                        f"{REEXPORT_HINT}", BatchError)
    iax, kout, per = found
    ir = remaps.gather(ctx.fresh(), v.node, v.shape, per, axis)
    return ctx.add(ir, ctx.out_shape(), axis + iax, kout)
