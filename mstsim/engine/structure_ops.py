"""Operators that move or sum tensors: Input, Add, Remap, Output."""
from __future__ import annotations

import numpy as np

from .. import dense
from ..ir import Add, Input, Output, Remap
from ..kernels import merge_events, remap_events, scatter_one_to_one
from ..ledger import COL
from .events import Events
from .op import Op, register_op


@register_op(Input)
class InputOp(Op):
    """Hands out the step's input, set by the simulator before each step."""

    def __init__(self, node, graph, dtype) -> None:
        super().__init__(node, graph, dtype)
        self.current = None

    def step(self, ins, row):
        if isinstance(self.current, Events):
            row[COL["events_out"]] += self.current.count
        return self.current


def merge(parts: list[Events], batch: int) -> Events:
    if len(parts) == 1:
        return parts[0]
    ptr, idx, val = merge_events(tuple(p.ptr for p in parts), tuple(p.idx for p in parts),
                                 tuple(p.val for p in parts), batch)
    return Events(ptr, idx, val)


@register_op(Add)
class AddOp(Op):
    """Events only: merged, free. With analog operands: dense sum, one AC per event."""

    def __init__(self, node, graph, dtype) -> None:
        super().__init__(node, graph, dtype)
        self.target = np.arange(self.out_size, dtype=np.int64)
        self.ones = np.ones(self.out_size, dtype=self.dtype)

    def step(self, ins, row):
        self.count_in(ins, row)
        events = [x for x in ins if isinstance(x, Events)]
        analog = [x for x in ins if not isinstance(x, Events)]
        if not analog:
            out = merge(events, events[0].batch)
            row[COL["events_out"]] += out.count
            return out
        out = analog[0].copy()
        for x in analog[1:]:
            out += x
        row[COL["element_ops"]] += out.size * (len(analog) - 1)
        for ev in events:
            scatter_one_to_one(ev.ptr, ev.idx, ev.val.astype(self.dtype, copy=False), self.target, self.ones, out)
            row[COL["acs"]] += ev.count
            row[COL["effective_acs"]] += ev.count
        return out


def invert_map(src: np.ndarray, total: int) -> tuple[np.ndarray, np.ndarray]:
    """CSR of a gather map's inverse: the outputs reading each of ``total`` inputs."""
    keep = src >= 0
    order = np.argsort(src[keep], kind="stable")
    targets = np.nonzero(keep)[0][order]
    inv_ptr = np.zeros(total + 1, dtype=np.int64)
    np.cumsum(np.bincount(src[keep], minlength=total), out=inv_ptr[1:])
    return inv_ptr, np.ascontiguousarray(targets.astype(np.int64))


def remap_batch(ev: Events, offset: int, inv_ptr: np.ndarray, inv_tgt: np.ndarray) -> Events:
    return Events(*remap_events(ev.ptr, ev.idx, ev.val, offset, inv_ptr, inv_tgt))


@register_op(Remap)
class RemapOp(Op):
    """Moves events along the inverted gather map; densifies only for analog output."""

    def __init__(self, node, graph, dtype) -> None:
        super().__init__(node, graph, dtype)
        self.inv_ptr, self.inv_tgt = invert_map(node.src, sum(self.in_sizes))
        self.offsets = np.concatenate([[0], np.cumsum(self.in_sizes)[:-1]]).astype(np.int64)
        self.all_events = graph.kinds[node.name] == "event"

    def step(self, ins, row):
        self.count_in(ins, row)
        if self.all_events:
            parts = [remap_batch(x, off, self.inv_ptr, self.inv_tgt) for x, off in zip(ins, self.offsets)]
            out = merge(parts, ins[0].batch)
            row[COL["events_out"]] += out.count
            return out
        dense_ins = [self.dense(x, k) for k, x in enumerate(ins)]
        b = dense_ins[0].shape[0]
        return dense.remap(self.node, *dense_ins).reshape(b, -1)


@register_op(Output)
class OutputOp(Op):
    """Running sum of its input over the steps of a batch."""

    def reset(self, batch: int) -> None:
        super().reset(batch)
        self.total = np.zeros((batch, self.out_size), dtype=self.dtype)

    def step(self, ins, row):
        self.count_in(ins, row)
        self.total += self.dense(ins[0])
        return self.total
