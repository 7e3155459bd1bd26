"""The ledger per source module, and what masking saves in each.

Rows are chosen by a *level* from the nodes' module paths
(:mod:`mstsim.module_map`):

``auto`` (default)
    A transformer is split where its costs differ: every attention module
    into its parts (``stages.0.1.attn:qkv``, ``:qkT``, ``:scores``, ``:Pv``,
    ``:proj``), and every other child of a block that holds an attention
    (its MLP, norms, neurons) is a row; the block's own ops (residual adds,
    window shifts) are the block's row. List containers (``nn.Sequential``,
    ``nn.ModuleList``) are opened: each of their children is a row, except
    that a list of leaf modules (a CNN's ``features``) is grouped into layers
    (``features:layer2``: a Conv or Linear and the norms, neurons and pools
    after it). Any other module (patch embedding, patch merging, a ResNet
    block, the head) is one row.
``block``
    The same, but a block holding an attention is one row.
``module``
    One row per module path.
an integer N
    The first N names of each path (``1``: the model's top-level children).

Nodes of the model's own ``forward`` are the row ``(model)``; nodes the file
gives no module for are the row ``(no module)``. Every count is the exact
int64 sum of the ledger's counts of the row's nodes, so the rows add up to
the ledger's totals.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .ir.errors import MstsimError
from .ledger import COL, E_AC_PJ, E_MAC_PJ, Ledger
from .module_map import PARTS, SYNAPTIC_OPS, NodeModules, node_modules

__all__ = ["LEVELS", "MODEL_ROW", "UNKNOWN_ROW", "ModuleTable", "ModuleSavings", "ModuleError", "NodeModules",
           "check_level", "report_level", "group_keys", "module_table", "node_modules", "savings", "spike_nodes"]

LEVELS = ("auto", "block", "module")
MODEL_ROW = "(model)"
UNKNOWN_ROW = "(no module)"
#: the table's count columns: ledger columns, and spikes (events out of IF nodes)
COLUMNS = ("acs", "effective_acs", "macs", "spikes", "events_dropped")


class ModuleError(MstsimError):
    """A module level is not one of the known ones, or two tables cannot be compared."""


def check_level(level) -> str | int:
    """``auto``, ``block``, ``module`` or an integer >= 1 (also as a string)."""
    if isinstance(level, str) and level.strip().isdigit():
        level = int(level)
    if isinstance(level, (int, np.integer)) and not isinstance(level, bool) and level >= 1:
        return int(level)
    if level in LEVELS:
        return level
    raise ModuleError(f"module level must be one of {', '.join(LEVELS)} or an integer >= 1, got {level!r}")


def report_level(value) -> str | int | None:
    """A ``--by-module`` value: None for ``off``, else :func:`check_level`'s."""
    return None if str(value).strip().lower() in ("off", "none") else check_level(value)


class _Tree:
    """The module tree of a set of paths, and which modules hold attentions."""

    def __init__(self, mods: NodeModules) -> None:
        self.mods = mods
        self.children: dict[str, set[str]] = {}
        for path in set(mods.paths.values()):
            names = path.split(".") if path else []
            for i in range(len(names)):
                self.children.setdefault(".".join(names[:i]), set()).add(".".join(names[:i + 1]))
        self.attention = mods.attention_modules()
        self.synaptic = {mods.paths[n] for n, op in mods.ops.items() if op in SYNAPTIC_OPS and n in mods.paths}

    def holds_attention(self, path: str) -> bool:
        return any(a == path or a.startswith(path + ".") or path == "" for a in self.attention)

    def is_list(self, path: str) -> bool:
        kids = self.children.get(path, ())
        return bool(kids) and all(k.rpartition(".")[2].isdigit() for k in kids)

    def layer(self, parent: str, child: str) -> str:
        """Row of ``child`` in a list of leaf modules: the layer its nearest synaptic child starts."""
        kids = sorted(self.children[parent], key=lambda k: int(k.rpartition(".")[2]))
        starts = [k for k in kids if any(s == k or s.startswith(k + ".") for s in self.synaptic)]
        if len(starts) <= 1:
            return parent or MODEL_ROW
        index = kids.index(child)
        k = max(1, sum(kids.index(s) <= index for s in starts))
        return f"{parent or MODEL_ROW}:layer{k}"

    def leaf_list(self, path: str) -> bool:
        return self.is_list(path) and not any(self.children.get(k) for k in self.children[path])


def _auto_key(tree: _Tree, node: str, path: str, collapse_blocks: bool) -> str:
    """Walk down from the model, opening modules, until the module that is ``node``'s row."""
    here = ""
    while path != here:
        rest = path[len(here) + 1:] if here else path
        child = (f"{here}." if here else "") + rest.split(".")[0]
        if tree.leaf_list(here) and not tree.holds_attention(here):
            return tree.layer(here, child)
        if tree.holds_attention(child) and not tree.is_list(child):
            if collapse_blocks:
                return child
            if child in tree.attention:
                return f"{child}:{tree.mods.parts[node]}" if node in tree.mods.parts else child
        elif not tree.is_list(child):
            return child
        here = child
    return here or MODEL_ROW  # the own ops of an opened module


def group_keys(nodes, mods: NodeModules, level="auto") -> list[str]:
    """The row of each of ``nodes`` at ``level`` (see the module docstring)."""
    level = check_level(level)
    tree = _Tree(mods) if level in ("auto", "block") else None
    keys = []
    for node in nodes:
        path = mods.paths.get(node)
        if path is None:
            keys.append(UNKNOWN_ROW)
        elif isinstance(level, int):
            keys.append(".".join(path.split(".")[:level]) if path else MODEL_ROW)
        elif level == "module":
            keys.append(path or MODEL_ROW)
        else:
            keys.append(_auto_key(tree, node, path, level == "block"))
    return keys


def _ordered(keys: list[str]) -> list[str]:
    """Rows in graph order of their first node; an attention's parts together, in data-flow order."""
    first = list(dict.fromkeys(keys))
    where = {}
    for i, row in enumerate(first):
        module, _, part = row.rpartition(":")
        if part in PARTS and module:
            where.setdefault(module, i)
    def rank(row):
        module, _, part = row.rpartition(":")
        if part in PARTS and module in where:
            return (where[module], PARTS.index(part))
        return (first.index(row), -1)
    return sorted(first, key=rank)


def spike_nodes(ledger: Ledger) -> np.ndarray:
    """Which ledger nodes are IF neurons (the ones that update membranes): their events out are spikes."""
    return ledger.totals[:, COL["neuron_updates"]] > 0


@dataclass
class ModuleTable:
    """Exact counts per row: ``counts[row, column]`` (int64) summed over samples and steps."""

    rows: list[str]
    counts: np.ndarray
    members: list[list[str]]
    samples: int
    level: str | int

    def column(self, name: str) -> np.ndarray:
        return self.counts[:, COLUMNS.index(name)]

    def energy_pj(self, *, e_ac: float = E_AC_PJ, e_mac: float = E_MAC_PJ) -> np.ndarray:
        """Energy per row over all samples: ``e_ac * ACs + e_mac * MACs`` (as :meth:`Ledger.energy_pj`)."""
        return e_ac * self.column("acs").astype(np.float64) + e_mac * self.column("macs").astype(np.float64)

    def totals(self) -> np.ndarray:
        return self.counts.sum(axis=0)


def module_table(ledger: Ledger, mods: NodeModules, level="auto") -> ModuleTable:
    """Group a ledger's nodes into module rows (``mods`` from :func:`node_modules` or a results file)."""
    keys = group_keys(ledger.nodes, mods, level)
    rows = _ordered(keys)
    index = np.array([rows.index(k) for k in keys], dtype=np.int64) if keys else np.zeros(0, np.int64)
    per_node = np.zeros((len(ledger.nodes), len(COLUMNS)), dtype=np.int64)
    for j, name in enumerate(COLUMNS):
        if name == "spikes":
            per_node[:, j] = np.where(spike_nodes(ledger), ledger.totals[:, COL["events_out"]], 0)
        else:
            per_node[:, j] = ledger.totals[:, COL[name]]
    counts = np.zeros((len(rows), len(COLUMNS)), dtype=np.int64)
    np.add.at(counts, index, per_node)
    members = [[n for n, k in zip(ledger.nodes, keys) if k == row] for row in rows]
    return ModuleTable(rows=rows, counts=counts, members=members, samples=ledger.samples, level=check_level(level))


@dataclass
class ModuleSavings:
    """What a masked run saves per row against a base run of the same structure (per sample)."""

    base: ModuleTable
    run: ModuleTable

    @property
    def rows(self) -> list[str]:
        return self.run.rows

    def per_sample(self, table: ModuleTable, name: str) -> np.ndarray:
        values = table.energy_pj() if name == "energy" else table.column(name).astype(np.float64)
        order = [table.rows.index(r) for r in self.rows]
        return values[order] / max(table.samples, 1)

    def change(self, name: str) -> np.ndarray:
        """Run minus base, per sample, per row (``name``: a column or ``energy`` in pJ)."""
        return self.per_sample(self.run, name) - self.per_sample(self.base, name)

    def relative(self, name: str) -> np.ndarray:
        """:meth:`change` over the base's value (NaN where the base's is 0)."""
        base = self.per_sample(self.base, name)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(base != 0, self.change(name) / np.where(base != 0, base, 1), np.nan)

    def total_change(self, name: str) -> tuple[float, float]:
        """(absolute, relative) change of the whole network."""
        base = self.per_sample(self.base, name).sum()
        delta = self.change(name).sum()
        return float(delta), float(delta / base) if base else float("nan")


def savings(base: ModuleTable, run: ModuleTable) -> ModuleSavings:
    """Compare ``run`` with ``base``: tables of the same model at different mask ratios (same rows)."""
    if set(base.rows) != set(run.rows):
        only = sorted(set(base.rows) ^ set(run.rows))
        raise ModuleError(f"the two runs have different module rows ({', '.join(only[:4])}"
                          f"{', ...' if len(only) > 4 else ''}): not the same network structure")
    if base.level != run.level:
        raise ModuleError(f"module tables at different levels ({base.level!r} and {run.level!r})")
    return ModuleSavings(base=base, run=run)
