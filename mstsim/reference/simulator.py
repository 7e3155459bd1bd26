"""The oracle: a dense, clock-driven float64 simulator that counts by brute force.

Every tensor is dense, ``(B, n)`` per node and step. An event tensor is a
pair (values, counts): the sum of the event amplitudes at each element and
how many events are there. An affine-of-events tensor keeps its dense values
and the counts of its underlying events, with an offset flag; a pool under
the ``through`` rule hands its consumers its input events and a 0/1 matrix
of where they go (``forms.py``). The maths is float64, written from the IR
docstrings; with ``dtype=float32`` every node's result (and every membrane
update) is rounded to float32, so on exactly representable graphs the
oracle reproduces a float32 simulator bit for bit. Counts follow
docs/accounting.md from materialised structures (synapse lists, window
taps, broadcast operands, coincidence products). Nothing here shares code
with the engine, ``mstsim.dense``, ANN mode or ``mstsim.masking``; it reads
only the IR and the ledger layout.
"""
from __future__ import annotations

import numpy as np

from ..ir import Graph, Input
from ..ir.analog import MaxPool2d
from ..ir.errors import GraphError
from ..ledger import COL, COLUMNS, Ledger
from ..validate import ArgumentError
from .analog import max_pool_taps
from .forms import AE, EVENT, ROUTED, Forms, check_pool_rule
from .nodes import STEPS, ann_macs
from .synapses import synapses_of


class ReferenceSimulator:
    """Slow and obviously correct; only for small networks in tests.

    ``run`` returns the cumulative output per step, a ledger with per-step
    rows, and a record of every node's per-step values, event counts (event
    tensors), underlying event counts (affine-of-events tensors) and IF
    potentials. ``pool_rule`` ("events", "through", "dense") and
    ``count_padding`` change the counts only, never a value.
    """

    def __init__(self, graph: Graph, *, dtype=np.float64, seed: int = 0, pool_rule: str = "events",
                 count_padding: bool = False) -> None:
        self.pool_rule = check_pool_rule(pool_rule)
        if not isinstance(count_padding, (bool, np.bool_)):
            raise ArgumentError(f"count_padding must be True or False, got {count_padding!r}")
        self.count_padding = bool(count_padding)
        graph.check_complete()
        self.graph = graph
        self.seed = int(seed)
        self.dtype = np.dtype(dtype)
        self.synapses = {}
        self.taps = {}
        for node in graph:
            if type(node) not in STEPS:
                raise GraphError(f"node {node.name!r}: the reference simulator has no rule for {type(node).__name__}")
            syn = synapses_of(node, graph.shapes[node.inputs[0]], graph.shapes[node.name]) if node.inputs else None
            if syn is not None:
                self.synapses[node.name] = syn
            if isinstance(node, MaxPool2d):
                self.taps[node.name] = max_pool_taps(node, graph.shapes[node.inputs[0]], graph.shapes[node.name])
        self.forms = Forms(graph, self.synapses, self.pool_rule)

    def round(self, a) -> np.ndarray:
        """Round float64 values to the run's precision (kept as float64)."""
        a = np.asarray(a, dtype=np.float64)
        return a if self.dtype == np.float64 else a.astype(self.dtype).astype(np.float64)

    def size(self, name: str) -> int:
        return int(np.prod(self.graph.shapes[name]))

    def run(self, x, T: int, *, sample_ids=None):
        g = self.graph
        x = np.asarray(x, dtype=np.float64)
        self.batch = x.shape[0]
        self.x = x
        self.sample_ids = np.arange(self.batch) if sample_ids is None else np.asarray(sample_ids).reshape(-1)
        names = [n.name for n in g]
        ledger = Ledger.empty(names, [g.kinds[n] for n in names], [ann_macs(self, n) for n in g], T, detail=True)
        ledger.samples = self.batch
        self.potentials = {}
        self.total = np.zeros((self.batch, self.size(g.output_node().name)))
        record = {"values": [], "counts": [], "underlying": [], "potentials": []}
        cum = []
        for t in range(T):
            self.t = t
            out = {}
            rows = np.zeros((len(names), len(COLUMNS)), dtype=np.int64)
            for r, node in enumerate(g):
                ins = [out[s] for s in node.inputs]
                rows[r, COL["events_in"]] += sum(int(x.counts.sum()) for x in ins if _arrives(x))
                out[node.name] = STEPS[type(node)](self, node, ins, rows[r])
            ledger.per_step[t] = rows
            ledger.totals += rows
            cum.append(self.total.astype(self.dtype))
            record["values"].append({k: x.values.astype(self.dtype) for k, x in out.items()})
            record["counts"].append({k: x.counts if x.form == EVENT else None for k, x in out.items()})
            record["underlying"].append({k: x.counts for k, x in out.items() if x.form == AE})
            record["potentials"].append({k: p.astype(self.dtype) for k, p in self.potentials.items()})
        out_shape = g.shapes[g.output_node().name]
        return np.stack(cum).reshape((T, self.batch) + out_shape), ledger, record

    def input_step(self, node: Input):
        """The step's input: the image (direct encoding) or unit events from the count stream."""
        if self.graph.kinds[node.name] != "event":
            return self.round(self.x.reshape(self.batch, -1)), None
        if self.t < self.x.shape[1]:
            counts = self.x[:, self.t].reshape(self.batch, -1).astype(np.int64)
        else:
            counts = np.zeros((self.batch, self.size(node.name)), dtype=np.int64)
        return counts.astype(np.float64), counts


def _arrives(x) -> bool:
    """What a node's inputs emit arrives: events, underlying events, events routed through a pool."""
    return x.form in (EVENT, AE, ROUTED)
