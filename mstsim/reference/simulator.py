"""The oracle: a dense, clock-driven NumPy simulator that counts by brute force.

Every tensor is dense. An event tensor is a pair (values, counts): the sum
of the event amplitudes at each element, and how many events are there.
Synaptic nodes multiply by their materialised connection matrix; ACs are
``sum(counts @ present)``, i.e. the number of (event, synapse) pairs.
Nothing here shares code with the engine beyond the IR and the ledger layout.
"""
from __future__ import annotations

import numpy as np

from ..ir import IF, Add, AvgPool2d, ChannelAffine, Graph, Input, Mean, Output, Remap
from ..ir.errors import GraphError
from ..ledger import COL, COLUMNS, Ledger
from ..ir.analog import Elementwise, Gelu, LayerNorm, MaxPool2d, Softmax
from ..ir.attention import Mask, MatMul
from . import attention
from .connections import BUILDERS


class ReferenceSimulator:
    """Slow and obviously correct; only for small networks in tests.

    ``run`` returns the cumulative output per step, a ledger, and a record of
    every node's per-step dense values, event counts and IF potentials.
    """

    def __init__(self, graph: Graph, *, dtype=np.float64, seed: int = 0) -> None:
        graph.check_complete()
        self.graph = graph
        self.seed = seed
        self.dtype = np.dtype(dtype)
        self.conn = {}
        for node in graph:
            build = BUILDERS.get(type(node))
            if build is not None:
                weights, present = build(node, graph.shapes[node.inputs[0]], graph.shapes[node.name])
                self.conn[node.name] = (weights.astype(self.dtype), present.astype(np.int64),
                                        (present & (weights != 0)).astype(np.int64))

    def run(self, x, T: int, *, sample_ids=None):
        g = self.graph
        inp = g.input_node()
        x = np.asarray(x)
        batch = x.shape[0]
        self.sample_ids = np.arange(batch) if sample_ids is None else np.asarray(sample_ids)
        names = [n.name for n in g]
        ann_macs = [int(self.conn[n][1].sum()) if n in self.conn else attention.ann_macs(g, g[n]) for n in names]
        ledger = Ledger.empty(names, [g.kinds[n] for n in names], ann_macs, T, detail=True)
        ledger.samples = batch
        potentials = {n.name: np.full((batch, int(np.prod(g.shapes[n.name]))), n.v_init, dtype=self.dtype)
                      for n in g if isinstance(n, IF)}
        total = np.zeros((batch, int(np.prod(g.shapes[g.output_node().name]))), dtype=self.dtype)
        record = {"values": [], "counts": [], "potentials": []}
        cum = []
        for t in range(T):
            vals, cnts = {}, {}
            rows = np.zeros((len(names), len(COLUMNS)), dtype=np.int64)
            for r, node in enumerate(g):
                row = rows[r]
                if isinstance(node, Input):
                    if g.kinds[node.name] == "event":
                        c = x[:, t].reshape(batch, -1).astype(np.int64) if t < x.shape[1] else \
                            np.zeros((batch, int(np.prod(inp.shape))), np.int64)
                        vals[node.name], cnts[node.name] = c.astype(self.dtype), c
                        row[COL["events_out"]] += c.sum()
                    else:
                        vals[node.name], cnts[node.name] = x.reshape(batch, -1).astype(self.dtype), None
                    continue
                ins_v = [vals[s] for s in node.inputs]
                ins_c = [cnts[s] for s in node.inputs]
                row[COL["events_in"]] += sum(int(c.sum()) for c in ins_c if c is not None)
                v, c = self._node(node, ins_v, ins_c, row, potentials, total, t)
                vals[node.name], cnts[node.name] = v, c
            ledger.per_step[t] = rows
            ledger.totals += rows
            cum.append(total.copy())
            record["values"].append(vals)
            record["counts"].append(cnts)
            record["potentials"].append({k: p.copy() for k, p in potentials.items()})
        out_shape = g.shapes[g.output_node().name]
        return np.stack(cum).reshape((T, batch) + out_shape), ledger, record

    def _node(self, node, ins_v, ins_c, row, potentials, total, t):
        batch = ins_v[0].shape[0]
        if isinstance(node, MatMul):
            return attention.matmul(node, self.graph, ins_v, ins_c, row)
        if isinstance(node, Mask):
            return attention.mask(node, self.graph, ins_v, ins_c, row, self.seed, self.sample_ids, t)
        if isinstance(node, (Elementwise, Softmax, LayerNorm, Gelu, MaxPool2d)):
            return attention.analog(node, self.graph, ins_v, ins_c, row)
        if node.name in self.conn:
            weights, present, effective = self.conn[node.name]
            x, c = ins_v[0], ins_c[0]
            if c is not None:
                row[COL["acs"]] += int((c @ present).sum())
                row[COL["effective_acs"]] += int((c @ effective).sum())
            else:
                row[COL["macs"]] += batch * int(present.sum())
            y = x @ weights
            if isinstance(node, AvgPool2d):
                div = np.broadcast_to(node.divisor(self.graph.shapes[node.inputs[0]])[None],
                                      self.graph.shapes[node.name]).reshape(-1)
                y = y / div.astype(self.dtype)
                row[COL["element_ops"]] += y.size
            elif isinstance(node, Mean):
                y = y / self.dtype.type(present.shape[0] // present.shape[1])
                row[COL["element_ops"]] += y.size
            bias = node.shift if isinstance(node, ChannelAffine) else getattr(node, "bias", None)
            if bias is not None:
                y = y + self._bias_flat(node, bias)
                row[COL["bias_adds"]] += y.size
            return y, None
        if isinstance(node, IF):
            v = potentials[node.name]
            v += ins_v[0]
            if ins_c[0] is not None:
                row[COL["acs"]] += int(ins_c[0].sum())
                row[COL["effective_acs"]] += int(ins_c[0].sum())
            row[COL["neuron_updates"]] += v.size
            s = v >= self.dtype.type(node.theta)
            v -= np.where(s, self.dtype.type(node.theta), self.dtype.type(0))
            row[COL["events_out"]] += int(s.sum())
            return np.where(s, self.dtype.type(node.theta), self.dtype.type(0)), s.astype(np.int64)
        if isinstance(node, Add):
            y = ins_v[0].copy()
            for v in ins_v[1:]:
                y = y + v
            if all(c is not None for c in ins_c):
                c = sum(ins_c)
                row[COL["events_out"]] += int(c.sum())
                return y, c
            n_analog = sum(c is None for c in ins_c)
            row[COL["element_ops"]] += y.size * (n_analog - 1)
            n_events = sum(int(c.sum()) for c in ins_c if c is not None)
            row[COL["acs"]] += n_events
            row[COL["effective_acs"]] += n_events
            return y, None
        if isinstance(node, Remap):
            y = self._gather(node, ins_v)
            if all(c is not None for c in ins_c):
                c = self._gather(node, ins_c)
                row[COL["events_out"]] += int(c.sum())
                return y, c
            return y, None
        if isinstance(node, Output):
            total += ins_v[0]
            return total.copy(), None
        raise GraphError(f"node {node.name!r}: the reference simulator has no rule for {type(node).__name__}")

    def _bias_flat(self, node, bias):
        shape = self.graph.shapes[node.name]
        axis = node.axis if isinstance(node, ChannelAffine) else (len(shape) - 1 if node.weight.ndim == 2 else 0)
        full = np.zeros(shape, dtype=self.dtype)
        moved = np.moveaxis(full, axis, -1)
        moved += bias.astype(self.dtype)
        return full.reshape(-1)

    @staticmethod
    def _gather(node: Remap, parts):
        flat = np.concatenate(parts, axis=1)
        out = np.zeros((flat.shape[0], node.src.shape[0]), dtype=flat.dtype)
        for j, s in enumerate(node.src):
            if s >= 0:
                out[:, j] = flat[:, s]
        return out
