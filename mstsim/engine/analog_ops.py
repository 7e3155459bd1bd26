"""Operators of the analog per-step nodes: dense, one element operation per output element.

Softmax, LayerNorm, Gelu, MaxPool and elementwise ops run on each step's
values exactly as in ANN mode (the same forward functions); event inputs are
summed into a dense array first. Elementwise add/sub is the exception in the
counting: an event operand costs one AC per event (it accumulates into the
result), a constant operand one bias addition per element, and each further
analog operand one element operation per element.
"""
from __future__ import annotations

import numpy as np

from ..ann import ANN_OPS
from ..ir.analog import ELEMENTWISE, Elementwise, Gelu, LayerNorm, MaxPool2d, Softmax
from ..ledger import COL
from .events import Events
from .op import Op, register_op


class AnalogOp(Op):
    """Dense forward of the node on dense inputs; counting in ``count``."""

    def __init__(self, node, graph, dtype) -> None:
        super().__init__(node, graph, dtype)
        self.graph = graph
        self.forward = ANN_OPS.lookup(node)

    def step(self, ins, row):
        self.count_in(ins, row)
        b = ins[0].batch if isinstance(ins[0], Events) else ins[0].shape[0]
        dense_ins = [self.dense(x, k).reshape((b,) + tuple(self.in_shapes[k])) for k, x in enumerate(ins)]
        self.count(ins, row, b)
        return self.forward(self.node, self.graph, *dense_ins).reshape(b, -1)

    def count(self, ins, row, batch):
        row[COL["element_ops"]] += batch * self.out_size


for _node_type in (Softmax, LayerNorm, Gelu, MaxPool2d):
    register_op(_node_type)(type(f"{_node_type.__name__}Op", (AnalogOp,), {}))


@register_op(Elementwise)
class ElementwiseOp(AnalogOp):
    def count(self, ins, row, batch):
        if not ELEMENTWISE[self.node.op][2] or self.node.op == "neg":
            return super().count(ins, row, batch)
        n_analog = 0
        for o in self.node.operands:
            if not isinstance(o, int):
                row[COL["bias_adds"]] += batch * self.out_size
            elif isinstance(ins[o], Events):
                row[COL["acs"]] += ins[o].count
                row[COL["effective_acs"]] += ins[o].count
            else:
                n_analog += 1
        row[COL["element_ops"]] += batch * self.out_size * max(n_analog - 1, 0)
