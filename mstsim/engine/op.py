"""The engine's per-node operators and their registry.

An operator is built once per node (precomputing maps, transposed weights
and fan-outs), reset at the start of every batch, and stepped once per time
step. ``step`` receives the input tensors (``Events`` or dense ``(B, n)``
arrays) and a ledger row (int64 array, one entry per ledger column) into
which it adds what it did.
"""
from __future__ import annotations

import numpy as np

from ..ir import Graph, Node
from ..registry import TypeRegistry
from ..ledger import COL
from .events import Events

ENGINE_OPS = TypeRegistry("engine operator")
register_op = ENGINE_OPS.register


def make_op(node: Node, graph: Graph, dtype) -> "Op":
    return ENGINE_OPS.lookup(node)(node, graph, dtype)


class RunContext:
    """What every operator may read during a run: seed, global sample ids, current step."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = int(seed)
        self.sample_ids = np.zeros(0, dtype=np.int64)
        self.t = 0


class Op:
    """Base operator: knows its node, shapes, the dtype and the run context."""

    def __init__(self, node: Node, graph: Graph, dtype) -> None:
        self.node = node
        self.dtype = np.dtype(dtype)
        self.in_shapes = graph.in_shapes(node)
        self.in_sizes = [int(np.prod(s)) for s in self.in_shapes]
        self.out_shape = graph.shapes[node.name]
        self.out_size = int(np.prod(self.out_shape))
        self.batch = 0
        self.ctx = RunContext()

    def reset(self, batch: int) -> None:
        self.batch = batch

    def step(self, ins: list, row: np.ndarray):
        raise NotImplementedError

    # helpers shared by operators
    @staticmethod
    def count_in(ins: list, row: np.ndarray) -> None:
        row[COL["events_in"]] += sum(x.count for x in ins if isinstance(x, Events))

    def dense(self, x, k: int = 0) -> np.ndarray:
        """Input k as a dense ``(B, n)`` array (events are summed in place)."""
        if isinstance(x, Events):
            return x.to_dense(self.in_sizes[k], self.dtype)
        return x
