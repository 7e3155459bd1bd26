"""Chains of analog gathers composed at build time, so each element moves once.

The importer already fuses a remap chain whose links have one consumer each.
What stays are remaps with several remap consumers: the Reshape+Transpose of
a qkv projection read by three Gathers (q, k, v), the Slices of a roll read
by two Slices. Each consumer can read the remap's own inputs through the
composed map instead, and the remap, read by nobody, need not run. Values are
copied, never combined, so the result has the same bits; a remap moves no
events and counts nothing on analog data, so the ledger is unchanged.

Only truly analog tensors take part: no event inputs, no affine-of-events
inputs (their underlying events move along each remap's own map).
"""
from __future__ import annotations

import numpy as np

from ..ir import Remap
from ..kernels import plan_layout as L


def _plain_analog(b, name: str) -> bool:
    return not b.is_events(name) and name not in b.shadow


def composed_gather(b, node):
    """``(inputs, which, local)`` of an analog remap read through composable producers, or None.

    None when no producer composes (the remap keeps its own map).

    ``which[j]`` is the input number output element ``j`` reads (-1: zero),
    ``local[j]`` the element of that input.
    """
    if b.is_events(node.name) or not all(_plain_analog(b, s) for s in node.inputs):
        return None
    names: list[str] = []
    number: dict[str, int] = {}

    def num(s: str) -> int:
        if s not in number:
            number[s] = len(names)
            names.append(s)
        return number[s]

    which_parts, local_parts = [], []
    through = False
    for s in node.inputs:
        if s in b.gathers:
            ins, which, local = b.gathers[s]
            renumber = np.array([num(t) for t in ins] + [-1], dtype=np.int64)
            which_parts.append(renumber[which])
            local_parts.append(local)
            b.folded[s] = b.folded.get(s, 0) + 1
            through = True
        else:
            size = int(np.prod(b.graph.shapes[s]))
            which_parts.append(np.full(size, num(s), dtype=np.int64))
            local_parts.append(np.arange(size, dtype=np.int64))
    which_all, local_all = np.concatenate(which_parts), np.concatenate(local_parts)
    src = np.asarray(node.src, dtype=np.int64)
    keep = src >= 0
    at = np.where(keep, src, 0)
    which = np.where(keep, which_all[at], -1)
    local = np.where(which >= 0, local_all[at], 0)
    if _feeds_only_gathers(b.graph, node.name):
        b.gathers[node.name] = (names, which, local)
    return (names, which, local) if through else None


def _feeds_only_gathers(g, name: str) -> bool:
    cons = g.consumers.get(name, [])
    return bool(cons) and all(isinstance(g[c], Remap) and g.kinds[c] != "event" for c in cons)


def point_inputs(b, r, names) -> None:
    """Replace a row's inputs by the composed gather's (all analog: dense location = output offset)."""
    rows = [b.index[s] for s in names]
    r[L.NIN] = len(rows)
    r[L.INS] = b.ints(rows)
    r[L.DENSE_AT] = b.ints([b.code[j, L.OFF] for j in rows])


def retire_unread(b) -> list[str]:
    """Remaps every consumer reads through: mark them as nothing to run; their names."""
    retired = []
    for name in b.gathers:
        if b.folded.get(name, 0) == len(b.graph.consumers[name]):
            b.row(b.graph[name])[L.P0 + 5] = 2  # the runner skips it like an aliased window
            retired.append(name)
    return retired


def retired_values(node, values: dict) -> np.ndarray:
    """A retired remap's output (batch, size) from its inputs' values, for ``on_step``."""
    flat = np.concatenate([values[s].reshape(values[s].shape[0], -1) for s in node.inputs], axis=1)
    out = np.zeros((flat.shape[0], node.src.size), dtype=flat.dtype)
    keep = node.src >= 0
    out[:, keep] = flat[:, node.src[keep]]
    return out
