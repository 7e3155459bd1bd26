"""Operator of the IF neuron."""
from __future__ import annotations

import numpy as np

from ..ir import IF
from ..kernels import fire, integrate_events
from ..ledger import COL
from .events import Events
from .op import Op, register_op


@register_op(IF)
class IFOp(Op):
    """Integrate (dense input, or one AC per input event), fire, subtract theta."""

    def __init__(self, node, graph, dtype) -> None:
        super().__init__(node, graph, dtype)
        self.theta = self.dtype.type(node.theta)
        self.v = np.zeros((0, self.out_size), dtype=self.dtype)

    def reset(self, batch: int) -> None:
        super().reset(batch)
        self.v = np.full((batch, self.out_size), self.node.v_init, dtype=self.dtype)

    def step(self, ins, row):
        x = ins[0]
        if isinstance(x, Events):
            row[COL["events_in"]] += x.count
            row[COL["acs"]] += x.count
            row[COL["effective_acs"]] += x.count
            integrate_events(x.ptr, x.idx, x.val.astype(self.dtype, copy=False), self.v)
        else:
            self.v += x
        row[COL["neuron_updates"]] += self.v.size
        ptr, idx = fire(self.v, self.theta)
        row[COL["events_out"]] += idx.shape[0]
        return Events(ptr, idx, np.full(idx.shape[0], self.theta, dtype=self.dtype))
