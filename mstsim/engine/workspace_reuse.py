"""Workspace regions shared by tensors whose lives do not overlap within a step.

The builder hands out a fresh region of the float or int workspace for every
output, event list, underlying-event list or scratch (``PlanBuilder.dense``,
``int_scratch``), so a plan's workspace is the sum of all its tensors: 0.76 GB
for a Swin-T-size MST, streamed through DRAM every step. Here each region
lives from the node that owns it to the last node that reads an address in
it (its own row, its inputs' rows, the dense locations it reads), and a
region whose life is over is handed to a later node. The plan's addresses
are then moved to the new places (``share_workspace``).

Why this changes no bit: every node writes each element it reads within the
step before reading it (tests/engine/test_workspace_reuse.py fills the
workspace with NaN between runs), nodes run in plan order in each workspace
(the pipeline runs step t in workspace t % 2), and no node reads a region
after its last reader. Kept for the whole run: regions of nodes whose output
is the same at every step (computed once per sample), and the plan's shared
scratch (the node-count slots, counting room, compaction buffers). A run that
looks at every node's output after each step (``on_step``) builds its plan
without reuse.
"""
from __future__ import annotations

import bisect
from typing import Iterator

import numpy as np

from ..kernels import plan_layout as L

#: regions start on 64-byte lines (16 float32, 8 int64), so no two tensors share a cache line
ALIGN = 16
FOREVER = np.iinfo(np.int64).max


def address_fields(code: np.ndarray, i: int) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """(float, int) address fields of row i as ``(row, column)``: every place a workspace address is kept.

    Op-specific fields: a conv's channels-last accumulator, a MatMul's broadcast copies and scratch.
    """
    f = [(i, L.OFF), (i, L.MARK)]
    n = [(i, L.IOFF), (i, L.SHD), (i, L.SHD_FLAG)]
    op = code[i, L.OP]
    if op == L.CONV:
        f.append((i, L.P0 + 7))
    elif op == L.MATMUL:
        for q in range(2):
            base = L.P0 + 5 + 6 * q
            n.append((i, base + 2))
            f += [(i, base + 3), (i, base + 4)]
        n += [(i, L.P0 + 17), (i, L.P0 + 18)]
        f += [(i, L.P0 + 19), (i, L.P0 + 20), (i, L.P0 + 21)]
    return f, n


def table_entries(code: np.ndarray, i: int) -> Iterator[tuple[int, int, str]]:
    """(start in ints, length, space) of row i's tables of addresses: its inputs' dense locations (float)
    and their counting rooms (int)."""
    yield code[i, L.DENSE_AT], code[i, L.NIN], "f"
    if code[i, L.CNT_AT] >= 0:
        yield code[i, L.CNT_AT], code[i, L.NIN], "i"


class Regions:
    """The regions of one workspace (float or int) in the order they were handed out."""

    def __init__(self, allocs, start_free: int) -> None:
        self.owner = np.array([a[0] for a in allocs], dtype=np.int64)
        self.start = np.array([a[1] for a in allocs], dtype=np.int64)
        self.size = np.array([a[2] for a in allocs], dtype=np.int64)
        self.base = start_free  # below it: fixed slots, never moved
        order = np.argsort(self.start, kind="stable")
        self._sorted = [(int(self.start[k]), int(self.size[k]), int(k)) for k in order if self.size[k] > 0]
        self._keys = [s for s, _, _ in self._sorted]
        self.last = np.where(self.owner < 0, FOREVER, self.owner)
        self.seen = np.zeros(self.owner.size, dtype=bool)

    def find(self, addr: int) -> int:
        """The region holding ``addr`` (-1: a fixed slot, or none)."""
        k = bisect.bisect_right(self._keys, addr) - 1
        if k < 0:
            return -1
        s, size, region = self._sorted[k]
        return region if addr < s + size else -1

    def read_by(self, addr: int, node: int) -> None:
        r = self.find(addr)
        if r >= 0:
            self.seen[r] = True
            if self.last[r] != FOREVER:
                self.last[r] = max(self.last[r], node)

    def place(self) -> tuple[np.ndarray, int]:
        """New starts and the workspace size: regions kept for the run first, one after another; then
        each in turn in the best-fitting hole that ended lives left."""
        new = np.zeros(self.owner.size, dtype=np.int64)
        end = _aligned(self.base)
        kept = self.last == FOREVER
        for r in np.flatnonzero(kept):
            new[r] = end
            end += _aligned(int(self.size[r]))
        holes: list[list[int]] = []  # [start, size], sorted by start, coalesced
        ending: dict[int, list[int]] = {}
        current = None
        for r in np.flatnonzero(~kept):  # the order they were handed out: by owner
            if self.owner[r] != current:
                current = self.owner[r]
                for node in [k for k in ending if k < current]:
                    for q in ending.pop(node):
                        _free(holes, int(new[q]), _aligned(int(self.size[q])))
            size = _aligned(int(self.size[r]))
            if size == 0:
                continue
            new[r], end = _take(holes, size, end)
            ending.setdefault(int(self.last[r]), []).append(r)
        return new, end

def _check_all_referenced(code, spaces) -> None:
    """Every region must be found through the fields above, or its readers would be unknown; the one
    exception is the output room of a remap that aliases a window of its input instead."""
    for name, sp in spaces.items():
        for r in np.flatnonzero(~sp.seen & (sp.size > 0)):
            i = sp.owner[r]
            if not (i >= 0 and code[i, L.OP] == L.REMAP and code[i, L.P0 + 5] == 2):
                raise RuntimeError(f"workspace reuse: a {'float' if name == 'f' else 'int'} region of node {i} "
                                   "is kept in a field workspace_reuse.address_fields does not know")


def _aligned(x: int) -> int:
    return -(-x // ALIGN) * ALIGN


def _take(holes, size: int, end: int) -> tuple[int, int]:
    best = -1
    for h, (_, hs) in enumerate(holes):
        if hs >= size and (best < 0 or hs < holes[best][1]):
            best = h
    if best < 0:
        return end, end + size
    start = holes[best][0]
    holes[best][0] += size
    holes[best][1] -= size
    if holes[best][1] == 0:
        del holes[best]
    return start, end


def _free(holes, start: int, size: int) -> None:
    k = bisect.bisect_left([h[0] for h in holes], start)
    holes.insert(k, [start, size])
    for j in (k, k - 1):  # merge with the next, then with the previous
        if 0 <= j < len(holes) - 1 and holes[j][0] + holes[j][1] == holes[j + 1][0]:
            holes[j][1] += holes[j + 1][1]
            del holes[j + 1]


def share_workspace(code: np.ndarray, ints: np.ndarray, comp: np.ndarray, static: np.ndarray,
                    allocs: dict, fixed_ints: int) -> tuple[int, int]:
    """Give regions whose lives do not overlap the same places; rewrite every address in ``code``,
    ``ints`` and ``comp`` in place. Returns the new (float, int) workspace sizes."""
    spaces = {"f": Regions(allocs["f"], 0), "i": Regions(allocs["i"], fixed_ints)}
    for sp in spaces.values():  # outputs computed once per sample are read at every later step
        sp.last[(sp.owner >= 0) & static[np.maximum(sp.owner, 0)]] = FOREVER
    n = code.shape[0]
    for i in range(n):
        rows = [i] + [int(j) for j in ints[code[i, L.INS]:code[i, L.INS] + code[i, L.NIN]]]
        for r in rows:
            f_fields, i_fields = address_fields(code, r)
            for space, fields in (("f", f_fields), ("i", i_fields)):
                for row, col in fields:
                    if code[row, col] >= 0:
                        spaces[space].read_by(int(code[row, col]), i)
        for at, count, space in table_entries(code, i):
            for a in ints[at:at + count]:
                spaces[space].read_by(int(a), i)
    spaces["i"].read_by(int(comp[0]), n)  # the compaction buffers, kept for the run
    spaces["f"].read_by(int(comp[2]), n)
    _check_all_referenced(code, spaces)
    moved = {k: sp.place() for k, sp in spaces.items()}

    def move(space: str, addr: int) -> int:
        sp = spaces[space]
        r = sp.find(addr)
        return addr if r < 0 else int(moved[space][0][r] + addr - sp.start[r])

    done_tables = set()
    new_code = code.copy()
    for i in range(n):
        f_fields, i_fields = address_fields(code, i)
        for space, fields in (("f", f_fields), ("i", i_fields)):
            for row, col in fields:
                if code[row, col] >= 0:
                    new_code[row, col] = move(space, int(code[row, col]))
        for at, count, space in table_entries(code, i):
            if (at, space) not in done_tables:  # a table may be shared by rows
                done_tables.add((at, space))
                ints[at:at + count] = [move(space, int(a)) for a in ints[at:at + count]]
    code[:] = new_code
    comp[0], comp[2] = move("i", int(comp[0])), move("f", int(comp[2]))
    return moved["f"][1], moved["i"][1]
