"""The MST paper's Table 3 (masking ratio vs power vs accuracy), measured from a run's results.

The paper (ICCV'23, Table 3, CIFAR-10) reports for its MST, masked on the
self-attention sites only, the power P and the accuracy at masking ratios 0,
50 and 75 %, each ratio a model trained with that ratio, and P relative to the
unmasked model (x1, x0.82, x0.74). :func:`table3` lays out mstsim's figures the
same way: one row per recipe, one column group per ratio, each cell a run of
the results (SNN accuracy at T, energy per sample and its ratio to the row's
first cell), then the exact counts (ACs, MACs, dropped events) of every cell
and, when the runs carry module paths, the ACs per module at each ratio. Every
figure comes from the results; only the paper's row is quoted (``PAPER``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .ledger import E_AC_PJ, E_MAC_PJ
from .results import Results, RunResult

#: Table 3 of the paper, MST on CIFAR-10: ratio -> (P as printed, P relative to 0 %, accuracy %)
PAPER = {0.0: ("3.9G", 1.0, 97.27), 0.5: ("3.2G", 0.82, 97.25), 0.75: ("2.9G", 0.74, 97.29)}
PAPER_LABEL = "paper: MST, CIFAR-10 (P)"


#: ``mstsim run`` without a model: the paper's Table 3 on the bundled MNIST-5k MSTs (models/README.md),
#: as (recipe, (model, ratio) per column); the unmasked model at 0 is every row's x1
DEFAULT_PLAN = (
    ("unmasked model, RSM at test only", (("mst_mnist", 0.0), ("mst_mnist", 0.5), ("mst_mnist", 0.75))),
    ("paper: unmasked, then fine-tuned with RSM",
     (("mst_mnist", 0.0), ("mst_mnist_ft50", 0.5), ("mst_mnist_ft75", 0.75))),
    ("RSM from the first epoch", (("mst_mnist", 0.0), ("mst_mnist_scratch50", 0.5), ("mst_mnist_scratch75", 0.75))),
)
#: test samples of the default run (the first of the bundled MNIST-5k test split, in a seeded random
#: order): its 7 simulations at the bundled T = 32 take about 60 CPU seconds
DEFAULT_SAMPLES = 100


@dataclass(frozen=True)
class Row:
    """A recipe: its label and the (model stem, masking ratio) of each cell; the first cell is x1."""

    label: str
    cells: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class Cell:
    """The measured figures of one run, per sample."""

    run: RunResult
    accuracy: float
    acs: float
    macs: float
    dropped: float
    energy_pj: float

    @classmethod
    def of(cls, run: RunResult) -> "Cell":
        led = run.ledger
        return cls(run=run, accuracy=float(run.accuracy()[-1]), acs=led.per_sample("acs"),
                   macs=led.per_sample("macs"), dropped=led.per_sample("events_dropped"),
                   energy_pj=led.energy_pj() / max(led.samples, 1))


def rows_for(default_run: bool, jobs) -> list:
    """The recipes of a run as JSON (stored in the results' config under ``table3``): DEFAULT_PLAN
    for the default run, one row per model when a model runs at two or more ratios, else none.
    ``jobs``: the run's (model path, ratio) pairs."""
    if default_run:
        return [[label, [list(c) for c in cells]] for label, cells in DEFAULT_PLAN]
    ratios = sorted({r for _, r in jobs if r is not None})
    stem = jobs[0][0].stem if jobs else ""
    return [[stem, [[stem, r] for r in ratios]]] if len(ratios) > 1 else []


def configured_table(results: Results) -> str | None:
    """:func:`table3` of the recipes stored in ``results.config["table3"]``; None when there are none."""
    rows = results.config.get("table3") or []
    if not rows:
        return None
    return table3(results, [Row(label, tuple((m, float(p)) for m, p in cells)) for label, cells in rows])


def default_rows(results: Results) -> list[Row]:
    """One row per model: its runs in order of masking ratio (runs "as exported" left out)."""
    rows: dict[str, list[tuple[str, float]]] = {}
    for r in results.runs:
        if r.mask_ratio is not None:
            rows.setdefault(r.model, []).append((r.model, r.mask_ratio))
    return [Row(model, tuple(sorted(cells, key=lambda c: c[1]))) for model, cells in rows.items()]


def _find(results: Results, model: str, ratio: float) -> RunResult | None:
    for r in results.runs:
        if r.model == model and r.mask_ratio is not None and np.isclose(r.mask_ratio, ratio):
            return r
    return None


def measure(results: Results, rows: list[Row]) -> list[list[Cell | None]]:
    """The cells of each row (None where the results hold no such run)."""
    return [[(lambda run: run and Cell.of(run))(_find(results, m, p)) for m, p in row.cells] for row in rows]


def _ratios(rows: list[Row]) -> list[float]:
    return sorted({p for row in rows for _, p in row.cells})


def _x(value: float, ref: float) -> str:
    return f"(x{value / ref:.2f})" if ref > 0 else "(x n/a)"


def table3(results: Results, rows: list[Row] | None = None) -> str:
    """The Table-3 layout of ``results``: accuracy and energy per recipe and ratio, counts, modules.

    Parameters
    ----------
    results : Results
        Runs of one or more models at several masking ratios (``mstsim run``).
    rows : list of Row, optional
        The recipes; default :func:`default_rows` (one row per model).

    Returns
    -------
    str
        The tables as text; a row's cells without a run are shown as ``-``.
    """
    rows = rows if rows is not None else default_rows(results)
    if not rows:
        return "Table 3: no run at a set masking ratio in these results."
    cells = measure(results, rows)
    ratios = _ratios(rows)
    c = results.config
    width = max([len(PAPER_LABEL)] + [len(r.label) for r in rows])
    group = 28
    lines = [f"Table 3 of the MST paper, measured: masking ratio vs energy vs accuracy (RSM on the "
             f"{c.get('mask_sites', 'attention')!r} sites)",
             f"{c.get('data')}, {c.get('samples')} samples, T = {c.get('T')}, seed {c.get('seed')}; SNN accuracy "
             f"at T; energy per sample = {E_AC_PJ} pJ x ACs + {E_MAC_PJ} pJ x MACs; (xN): against the row's "
             f"first cell", "",
             " " * width + "".join(f"{'masking ' + format(100 * p, 'g') + '%':>{group}}" for p in ratios),
             f"{'recipe':<{width}}" + f"{'acc %':>8}{'energy uJ':>11}{'(x)':>9}" * len(ratios)]
    paper = [PAPER.get(p) for p in ratios]
    lines.append(f"{PAPER_LABEL:<{width}}" + "".join(
        f"{v[2]:>8.2f}{v[0]:>11}{'(x' + format(v[1], '.2f') + ')':>9}" if v else f"{'-':>{group}}" for v in paper))
    for row, row_cells in zip(rows, cells):
        ref = row_cells[0].energy_pj if row_cells and row_cells[0] else 0.0
        by_ratio = {p: cell for (_, p), cell in zip(row.cells, row_cells)}
        lines.append(f"{row.label:<{width}}" + "".join(
            f"{100 * cell.accuracy:>8.2f}{cell.energy_pj / 1e6:>11.4f}{_x(cell.energy_pj, ref):>9}"
            if (cell := by_ratio.get(p)) else f"{'-':>{group}}" for p in ratios))
    lines += ["", counts_table(rows, cells, width)]
    modules = module_breakdown(rows, cells)
    if modules:
        lines += ["", modules]
    return "\n".join(lines)


def counts_table(rows: list[Row], cells: list[list[Cell | None]], width: int) -> str:
    """Exact counts per sample of every cell, ACs and energy against the row's first cell."""
    head = (f"{'recipe':<{width}} {'ratio':>6} {'model':<22} {'ACs':>13} {'(x)':>7} {'MACs':>11} "
            f"{'dropped':>10} {'energy uJ':>10} {'(x)':>7} {'acc %':>6}")
    lines = ["Counts per sample of each cell:", "", head]
    for row, row_cells in zip(rows, cells):
        first = row_cells[0] if row_cells else None
        for (model, p), cell in zip(row.cells, row_cells):
            if cell is None:
                lines.append(f"{row.label:<{width}} {100 * p:>5g}% {model:<22} (not in these results)")
                continue
            ref_acs, ref_e = (first.acs, first.energy_pj) if first else (0.0, 0.0)
            lines.append(f"{row.label:<{width}} {100 * p:>5g}% {model:<22} {cell.acs:>13,.0f} "
                         f"{_x(cell.acs, ref_acs):>7} {cell.macs:>11,.0f} {cell.dropped:>10,.0f} "
                         f"{cell.energy_pj / 1e6:>10.4f} {_x(cell.energy_pj, ref_e):>7} {100 * cell.accuracy:>6.2f}")
    return "\n".join(lines)


def module_breakdown(rows: list[Row], cells: list[list[Cell | None]]) -> str | None:
    """ACs per module kind (summed over blocks) at each cell of each row; None without module paths.

    Uses the per-module ledger (:mod:`mstsim.modules`) when the runs carry module paths.
    """
    runs = [cell.run for row_cells in cells for cell in row_cells if cell]
    if not runs or not all(getattr(r, "modules", None) for r in runs):
        return None
    parts = []
    for row, row_cells in zip(rows, cells):
        present = [(p, cell) for (_, p), cell in zip(row.cells, row_cells) if cell]
        if len(present) < 2:
            continue
        per_cell = [kind_acs(cell.run.ledger, cell.run.modules) for _, cell in present]
        kinds = [k for k in per_cell[0] if any(t.get(k, 0) for t in per_cell)]
        head = f"{'module (summed over blocks)':<28}" + "".join(f"{format(100 * p, 'g') + '%':>14}{'':>10}"
                                                               for p, _ in present)
        lines = [f"ACs per sample by module, {row.label}; (change) against {100 * present[0][0]:g}%:", "", head]
        for k in kinds + ["total"]:
            vals = [sum(t.values()) if k == "total" else t.get(k, 0.0) for t in per_cell]
            ref = vals[0]
            lines.append(f"{k:<28}" + "".join(
                f"{v:>14,.0f} {('(' + format(100 * (v / ref - 1), '+.1f') + '%)') if ref else '':>9}" for v in vals))
        parts.append("\n".join(lines))
    return "\n\n".join(parts) if parts else None


def _kind(row: str) -> str:
    """A module row's kind: the row without its block path (``stages.0.1.attn:qkv`` -> ``attn:qkv``,
    ``stages.1.0.mlp`` -> ``mlp``); a row that names a numbered child itself (a block's own ops,
    patch merging as ``stages.0.2``) is kept whole."""
    path, colon, part = row.partition(":")
    last = path.rpartition(".")[2]
    return row if last.isdigit() else last + colon + part


def kind_acs(ledger, modules) -> dict[str, float]:
    """ACs per sample of each module kind: the module ledger's ``auto`` rows (:mod:`mstsim.modules`)
    of ``ledger`` with the ``modules`` of its nodes, summed by :func:`_kind`, in row order."""
    from .modules import module_table
    table = module_table(ledger, modules, "auto")
    out: dict[str, float] = {}
    for row, acs in zip(table.rows, table.column("acs")):
        out[_kind(row)] = out.get(_kind(row), 0.0) + float(acs) / max(table.samples, 1)
    return out
