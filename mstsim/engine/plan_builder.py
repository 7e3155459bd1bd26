"""Assembling a step plan: tables, workspace and state layout (the encoders fill them per node)."""
from __future__ import annotations

import numpy as np

from ..kernels import plan_layout as L
from ..kernels.plan_entries import entry_of
from .workspace_reuse import share_workspace


class PlanBuilder:
    """Collects the plan's code rows, constants and workspace offsets while encoders run."""

    def __init__(self, graph, dtype, input_multiplicity: int, *, pool_rule: str = "events",
                 count_padding: bool = False, share: bool = True) -> None:
        self.graph = graph
        self.share = share  # tensors whose lives do not overlap share workspace (workspace_reuse.py)
        self.current = -1  # the node being encoded, which owns what it is handed; -1: the plan's own
        self.allocs: dict[str, list[tuple[int, int, int]]] = {"f": [], "i": []}  # (owner, offset, size)
        self.pool_rule = pool_rule
        self.count_padding = bool(count_padding)
        # affine-of-events tensors: name -> (mode "local" | "through", has offset, capacity, multiplicity)
        self.shadow: dict[str, tuple[str, bool, int, int]] = {}
        self.through_fan: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.through_pools: list[str] = []
        self.through_fallbacks: list[str] = []  # pools of events that pool_rule "through" counts by "events"
        # analog gathers later remaps may read through: name -> (inputs, which, local); reads through each
        self.gathers: dict[str, tuple[list[str], np.ndarray, np.ndarray]] = {}
        self.folded: dict[str, int] = {}
        self.dtype = np.dtype(dtype)
        self.m_in = int(input_multiplicity)
        self.index = {node.name: i for i, node in enumerate(graph)}
        n = len(self.index)
        self.code = np.full((n, L.WIDTH), -1, dtype=np.int64)
        self._ints: list[np.ndarray] = []
        self._flts: list[np.ndarray] = []
        self.n_ints = self.n_flts = 0
        self.f64: list[float] = []
        self.hashes: list[int] = []
        self.wf_size = 0
        self.wi_size = n  # wi[j] holds node j's event count
        self.st_init: list[np.ndarray] = []
        self.st_size = 0
        self.mult: dict[str, int] = {}
        self.static: dict[str, bool] = {}
        self.compact_size = 0
        self.room_size = 0
        self._room_tables: list[np.ndarray] = []  # tables of offsets into the shared counting room
        self.ann_macs = np.zeros(n, dtype=np.int64)

    # -- constants -----------------------------------------------------------------
    def ints(self, values) -> int:
        arr = np.ascontiguousarray(np.asarray(values, dtype=np.int64).reshape(-1))
        off = self.n_ints
        self._ints.append(arr)
        self.n_ints += arr.size
        return off

    def flts(self, values) -> int:
        arr = np.ascontiguousarray(np.asarray(values, dtype=np.float64).reshape(-1).astype(self.dtype))
        off = self.n_flts
        self._flts.append(arr)
        self.n_flts += arr.size
        return off

    def scalar64(self, value: float) -> int:
        self.f64.append(float(value))
        return len(self.f64) - 1

    # -- workspace and state ---------------------------------------------------------
    def dense(self, size: int) -> int:
        off = self.wf_size
        self.wf_size += int(size)
        self.allocs["f"].append((self.current, off, int(size)))
        return off

    def int_scratch(self, size: int) -> int:
        off = self.wi_size
        self.wi_size += int(size)
        self.allocs["i"].append((self.current, off, int(size)))
        return off

    def state(self, size: int, value: float) -> int:
        off = self.st_size
        self.st_init.append(np.full(int(size), value, dtype=np.float64))
        self.st_size += int(size)
        return off

    # -- per node --------------------------------------------------------------------
    def row(self, node):
        return self.code[self.index[node.name]]

    def begin(self, node, op: int, *, events: bool, cap_mult: int = 1, need_dense: bool = False) -> np.ndarray:
        """Start a node's row: output buffer, inputs and their dense locations."""
        g = self.graph
        r = self.row(node)
        size = int(np.prod(g.shapes[node.name]))
        r[L.OP], r[L.KIND], r[L.SIZE], r[L.NIN] = op, int(events), size, len(node.inputs)
        if events:
            cap = size * cap_mult
            r[L.CAP], r[L.OFF], r[L.IOFF] = cap, self.dense(cap), self.int_scratch(cap)
            self.mult[node.name] = cap_mult
        else:
            r[L.CAP], r[L.OFF] = 0, self.dense(size)
        ins = [self.index[s] for s in node.inputs]
        r[L.INS] = self.ints(ins) if ins else 0
        locs = []
        for s in node.inputs:
            src = self.code[self.index[s]]
            if src[L.KIND] == 1 and need_dense:
                locs.append(self.dense(src[L.SIZE]))
            else:
                locs.append(src[L.OFF])
        r[L.DENSE_AT] = self.ints(locs) if locs else 0
        r[L.NEED_DENSE] = int(need_dense and any(self.is_events(s) for s in node.inputs))
        stateless = op not in (L.IF, L.MASK, L.OUTPUT, L.INPUT_EVENTS)
        self.static[node.name] = op == L.INPUT_ANALOG or (
            stateless and bool(node.inputs) and all(self.static[s] for s in node.inputs))
        r[L.STATIC] = int(self.static[node.name])
        return r

    def is_events(self, name: str) -> bool:
        return self.code[self.index[name], L.KIND] == 1

    def cap_of(self, name: str) -> int:
        return int(self.code[self.index[name], L.CAP])

    def need_compaction(self, size: int) -> None:
        self.compact_size = max(self.compact_size, int(size))

    def counting_room(self, sizes) -> int:
        """ints offset of the int workspace offsets of ``len(sizes)`` scratch vectors that one node uses
        while it runs; every node shares the same room."""
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        self.room_size = max(self.room_size, int(np.sum(sizes)))
        off = self.ints(starts)
        self._room_tables.append(self._ints[-1])
        return off

    def finish(self):
        for row in self.code:
            row[L.ENTRY] = entry_of(row)
        self.current = -1
        room = self.int_scratch(self.room_size)
        for table in self._room_tables:
            table += room
        comp_i = self.int_scratch(self.compact_size)
        comp_f = self.dense(self.compact_size)
        cat = lambda parts, dt: np.concatenate(parts).astype(dt, copy=False) if parts else np.zeros(0, dt)  # noqa: E731
        ints = cat(self._ints, np.int64)
        comp = np.array([comp_i, self.compact_size, comp_f], dtype=np.int64)
        wf_size, wi_size = self.wf_size, self.wi_size
        if self.share:
            static = np.array([self.static[node.name] for node in self.graph], dtype=bool)
            wf_size, wi_size = share_workspace(self.code, ints, comp, static, self.allocs, len(self.index))
        return dict(code=self.code, ints=ints, flts=cat(self._flts, self.dtype),
                    f64=np.asarray(self.f64 + [0.0], dtype=np.float64),
                    hashes=np.asarray(self.hashes + [0], dtype=np.uint64),
                    wf_size=wf_size, wi_size=wi_size, st_init=cat(self.st_init, np.float64),
                    comp=comp, ann_macs=self.ann_macs)
