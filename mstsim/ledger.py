"""The accounting ledger: exact int64 operation counts per node (and step).

The rules behind each column are in ``docs/accounting.md``. The engine and
the reference oracle fill ledgers independently; tests demand equality.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: the counted quantities, in column order
COLUMNS = (
    "events_in",       # events arriving at the node
    "events_out",      # events the node emits
    "acs",             # accumulates: per delivered event, its fan-out
    "effective_acs",   # the same over non-zero weights only
    "macs",            # multiply-accumulates of dense work on analog input
    "neuron_updates",  # IF membrane updates (every neuron, every step)
    "bias_adds",       # bias / shift additions
    "element_ops",     # other dense elementwise work (pool divisions, analog adds, softmax, ...)
    "events_dropped",  # events removed by Random Spike Masking (offered = events_in)
)
COL = {name: i for i, name in enumerate(COLUMNS)}

E_AC_PJ = 0.9   # 45 nm figures used by MST and most SNN papers
E_MAC_PJ = 4.6


@dataclass
class Ledger:
    """Counts of one simulation: ``totals[node, column]`` over all steps and samples.

    ``per_step[t, node, column]`` is kept when the run asked for detail.
    ``ann_macs[node]`` is the ANN's MAC count for one sample (static).
    """

    nodes: list[str]
    kinds: list[str]
    totals: np.ndarray
    ann_macs: np.ndarray
    samples: int = 0
    steps: int = 0
    per_step: np.ndarray | None = None

    @classmethod
    def empty(cls, nodes: list[str], kinds: list[str], ann_macs, steps: int, detail: bool) -> "Ledger":
        n = len(nodes)
        per_step = np.zeros((steps, n, len(COLUMNS)), dtype=np.int64) if detail else None
        return cls(nodes=list(nodes), kinds=list(kinds), totals=np.zeros((n, len(COLUMNS)), dtype=np.int64),
                   ann_macs=np.asarray(ann_macs, dtype=np.int64), steps=steps, per_step=per_step)

    def column(self, name: str) -> np.ndarray:
        return self.totals[:, COL[name]]

    def total(self, name: str) -> int:
        return int(self.totals[:, COL[name]].sum())

    def merge(self, other: "Ledger") -> None:
        """Add the counts of another batch of the same network and T."""
        if other.nodes != self.nodes or other.steps != self.steps:
            raise ValueError("ledgers of different networks or step counts cannot be merged")
        self.totals += other.totals
        if self.per_step is not None and other.per_step is not None:
            self.per_step += other.per_step
        self.samples += other.samples

    def energy_pj(self, *, e_ac: float = E_AC_PJ, e_mac: float = E_MAC_PJ, effective: bool = False,
                  e_element: float = 0.0) -> float:
        """Total energy in pJ: ``e_ac * ACs + e_mac * MACs + e_element * element_ops`` (all samples).

        Element operations (softmax, LayerNorm, pooling divisions, ...) are not
        priced by default (``e_element = 0``): the 45 nm AC/MAC figures have no
        agreed counterpart for them and MST's energy figures leave them out.
        """
        acs = self.total("effective_acs" if effective else "acs")
        return e_ac * acs + e_mac * self.total("macs") + e_element * self.total("element_ops")

    def ann_energy_pj(self, *, e_mac: float = E_MAC_PJ) -> float:
        """Energy of the ANN on the same samples: every MAC once per sample."""
        return e_mac * float(self.ann_macs.sum()) * self.samples

    def per_sample(self, name: str) -> float:
        return self.total(name) / max(self.samples, 1)

    def table(self, *, top: int | None = None, sort_by: str | None = None) -> str:
        """A text table of the counts per node, per sample."""
        order = list(range(len(self.nodes)))
        if sort_by:
            order.sort(key=lambda i: -int(self.totals[i, COL[sort_by]]))
        if top:
            order = order[:top]
        s = max(self.samples, 1)
        names = ("node", "kind") + COLUMNS + ("ann_macs",)
        width = max([len(self.nodes[i]) for i in order] + [4])
        head = f"{names[0]:<{width}} {names[1]:<6} " + " ".join(f"{c:>14}" for c in names[2:])
        rows = [head, "-" * len(head)]
        for i in order:
            vals = [self.totals[i, j] / s for j in range(len(COLUMNS))] + [float(self.ann_macs[i])]
            rows.append(f"{self.nodes[i]:<{width}} {self.kinds[i]:<6} " + " ".join(f"{v:>14.6g}" for v in vals))
        if not top:
            vals = [self.totals[:, j].sum() / s for j in range(len(COLUMNS))] + [float(self.ann_macs.sum())]
            rows.append(f"{'total':<{width}} {'':<6} " + " ".join(f"{v:>14.6g}" for v in vals))
        return "\n".join(rows)
