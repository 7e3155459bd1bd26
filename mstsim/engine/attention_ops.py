"""Operators of spike attention: the dynamic MatMul and Random Spike Masking."""
from __future__ import annotations

import numpy as np

from ..ir.attention import Mask, MatMul
from ..kernels.matmul import analog_spike_matmul, spike_analog_matmul, spike_spike_matmul
from ..ledger import COL
from ..masking import uniform_at
from .events import Events
from .op import Op, register_op
from .structure_ops import invert_map, remap_batch


@register_op(MatMul)
class MatMulOp(Op):
    """``a @ b`` per step: events x events (one AC per coincidence), analog x events
    (M ACs per event of b), events x analog (N ACs per event of a), analog x analog (MACs).

    Operands whose leading axes are broadcast are first expanded along a
    precomputed index map (events are copied, never densified).
    """

    def __init__(self, node, graph, dtype) -> None:
        super().__init__(node, graph, dtype)
        out = graph.shapes[node.name]
        self.lead = out[:-2]
        self.m, self.n = out[-2], out[-1]
        self.k = self.in_shapes[0][-1]
        self.n_lead = int(np.prod(self.lead))
        self.synapses = self.n_lead * self.m * self.k * self.n  # the ANN's MACs per sample
        self.expand = [self._expansion(shape, full) for shape, full in
                       zip(self.in_shapes, [self.lead + (self.m, self.k), self.lead + (self.k, self.n)])]

    @staticmethod
    def _expansion(shape, full):
        if tuple(shape) == tuple(full):
            return None
        size = int(np.prod(shape))
        src = np.broadcast_to(np.arange(size).reshape((1,) * (len(full) - len(shape)) + tuple(shape)), full)
        src = np.ascontiguousarray(src.reshape(-1))
        return src, invert_map(src, size)

    def _operand(self, x, k):
        if self.expand[k] is None:
            return x
        src, (inv_ptr, inv_tgt) = self.expand[k]
        if isinstance(x, Events):
            return remap_batch(x, 0, inv_ptr, inv_tgt)
        return x[:, src]

    def step(self, ins, row):
        self.count_in(ins, row)
        a, b = (self._operand(x, k) for k, x in enumerate(ins))
        batch = a.batch if isinstance(a, Events) else a.shape[0]
        out = np.zeros((batch, self.out_size), dtype=self.dtype)
        m, k, n = self.m, self.k, self.n
        if isinstance(a, Events) and isinstance(b, Events):
            acs = spike_spike_matmul(a.ptr, a.idx, a.val.astype(self.dtype, copy=False), b.ptr, b.idx,
                                     b.val.astype(self.dtype, copy=False), self.n_lead, m, k, n, out)
        elif isinstance(b, Events):
            # transposed layout: columns of a and of the product become contiguous rows
            a_t = np.ascontiguousarray(a.reshape(batch, self.n_lead, m, k).transpose(0, 1, 3, 2), dtype=self.dtype)
            out_t = np.zeros((batch, self.n_lead * n * m), dtype=self.dtype)
            analog_spike_matmul(a_t.reshape(batch, -1), b.ptr, b.idx, b.val.astype(self.dtype, copy=False),
                                m, k, n, out_t)
            out = out_t.reshape(batch, self.n_lead, n, m).transpose(0, 1, 3, 2).reshape(batch, -1)
            acs = b.count * m
        elif isinstance(a, Events):
            spike_analog_matmul(a.ptr, a.idx, a.val.astype(self.dtype, copy=False),
                                np.ascontiguousarray(b, dtype=self.dtype), m, k, n, out)
            acs = a.count * n
        else:
            shape = (batch, self.n_lead)
            out[:] = (a.reshape(shape + (m, k)) @ b.reshape(shape + (k, n))).reshape(batch, -1)
            row[COL["macs"]] += batch * self.n_lead * m * k * n
            return out
        row[COL["acs"]] += acs
        row[COL["effective_acs"]] += acs
        return out


@register_op(Mask)
class MaskOp(Op):
    """Random Spike Masking: each event survives when its hashed uniform is >= ratio.

    The uniform is a pure function of (seed, global sample id, node name, step,
    element), so results do not depend on batching. Dropped events are gone
    (no deferral, no rescaling) and cost nothing downstream.
    """

    def __init__(self, node, graph, dtype) -> None:
        super().__init__(node, graph, dtype)
        self.ratio = float(node.ratio)

    def step(self, ins, row):
        x = ins[0]
        if not isinstance(x, Events):
            row[COL["element_ops"]] += x.size
            if self.ratio == 0.0:
                return x
            cols = np.arange(self.out_size)[None, :]
            u = uniform_at(self.ctx.seed, self.ctx.sample_ids[:, None], self.node.name, self.ctx.t, cols)
            return x * (u >= self.ratio)
        row[COL["events_in"]] += x.count
        if self.ratio == 0.0:
            row[COL["events_out"]] += x.count
            return x
        counts = x.counts_per_sample()
        samples = np.repeat(self.ctx.sample_ids, counts)
        keep = uniform_at(self.ctx.seed, samples, self.node.name, self.ctx.t, x.idx) >= self.ratio
        ptr = np.zeros_like(x.ptr)
        np.cumsum(np.bincount(np.repeat(np.arange(x.batch), counts)[keep], minlength=x.batch), out=ptr[1:])
        out = Events(ptr, x.idx[keep], x.val[keep])
        row[COL["events_out"]] += out.count
        row[COL["events_dropped"]] += x.count - out.count
        return out
