"""Tables and plots of a sweep file (``mstsim report SWEEP.h5``), with the spread over seeds.

Every figure at a grid T is exact: accuracy from the predictions after T
steps, counts from the per-step ledger summed over the first T steps (the
simulation is causal, so this equals a run of T steps).
"""
from __future__ import annotations

import pathlib
import sys
from dataclasses import dataclass

import numpy as np

from .ledger import COL, E_AC_PJ, E_MAC_PJ
from .report import counting_conventions
from .sweep_results import SweepResults, load
from .sweep_store import DONE, FAILED


@dataclass
class Point:
    """One (model, sites, ratio) of the grid: per-seed figures at each grid T, shape (seeds, len(Ts))."""

    model: str
    sites: str
    ratio: float
    seeds: list
    accuracy: np.ndarray
    acs: np.ndarray
    macs: np.ndarray
    dropped: np.ndarray
    energy_uj: np.ndarray
    ann_accuracy: np.ndarray   # (seeds,)
    samples: int


def _truth(run):
    return run.labels if np.all(run.labels >= 0) else run.ann_predictions


def points(res: SweepResults) -> list[Point]:
    """The grid with the seeds of each (model, sites, ratio) gathered."""
    Ts = res.config["T"]
    groups: dict = {}
    for sr in res.runs:
        groups.setdefault((sr.model, sr.mask_sites or "", sr.mask_ratio), []).append(sr)
    out = []
    for (model, sites, ratio), runs in groups.items():
        rows = {k: [] for k in ("accuracy", "acs", "macs", "dropped", "energy_uj", "ann")}
        for sr in runs:
            r = sr.result
            if not r.labels.size:  # no chunk of this run is done yet
                for key in rows:
                    rows[key].append(np.full(len(Ts), np.nan) if key != "ann" else np.nan)
                continue
            n = r.ledger.samples
            cum = np.cumsum(r.ledger.per_step, axis=0)[[t - 1 for t in Ts]]  # (Ts, nodes, columns)
            ok = r.predictions[[t - 1 for t in Ts]] == _truth(r)[None, :]
            rows["accuracy"].append(ok.mean(axis=1))
            acs, macs = cum[:, :, COL["acs"]].sum(1) / n, cum[:, :, COL["macs"]].sum(1) / n
            rows["acs"].append(acs)
            rows["macs"].append(macs)
            rows["dropped"].append(cum[:, :, COL["events_dropped"]].sum(1) / n)
            rows["energy_uj"].append((E_AC_PJ * acs + E_MAC_PJ * macs) / 1e6)
            rows["ann"].append(np.mean(r.ann_predictions == r.labels) if np.all(r.labels >= 0) else np.nan)
        out.append(Point(model, sites, ratio, [sr.seed for sr in runs],
                         *(np.array(rows[k], dtype=np.float64) for k in ("accuracy", "acs", "macs", "dropped",
                                                                         "energy_uj", "ann")),
                         samples=min(sr.result.ledger.samples for sr in runs)))
    return out


def _spread(values: np.ndarray, fmt: str, scale: float = 1.0) -> str:
    """``mean ± std`` over the seeds with results (the sample standard deviation; the value for one seed)."""
    v = values[~np.isnan(values)] * scale
    if not v.size:
        return "n/a"
    if v.shape[0] < 2:
        return format(float(v[0]), fmt)
    return f"{format(float(np.mean(v)), fmt)} ± {format(float(np.std(v, ddof=1)), fmt)}"


def _name(p: Point) -> str:
    return f"{p.model} {p.sites} p={p.ratio:g}"


def accuracy_table(res: SweepResults, pts: list[Point]) -> str:
    Ts = res.config["T"]
    w = max([len(_name(p)) for p in pts] + [10])
    lines = [f"SNN accuracy (%) after T steps, mean ± std over seeds:", "",
             f"{'':<{w}} " + " ".join(f"{'T=' + str(t):>14}" for t in Ts) + f" {'ANN':>14}"]
    for p in pts:
        cells = [_spread(p.accuracy[:, j], ".1f", 100) for j in range(len(Ts))] + [_spread(p.ann_accuracy, ".1f", 100)]
        lines.append(f"{_name(p):<{w}} " + " ".join(f"{c:>14}" for c in cells))
    return "\n".join(lines)


def cost_table(res: SweepResults, pts: list[Point], T: int) -> str:
    j = res.config["T"].index(T)
    w = max([len(_name(p)) for p in pts] + [10])
    lines = [f"Exact counts per sample at T = {T} (mean ± std over seeds); "
             f"energy = {E_AC_PJ} pJ x ACs + {E_MAC_PJ} pJ x MACs;", counting_conventions(res.config), "",
             f"{'':<{w}} {'acc %':>12} {'ACs':>24} {'MACs':>14} {'energy uJ':>18} {'dropped':>20}"]
    for p in pts:
        lines.append(f"{_name(p):<{w}} {_spread(p.accuracy[:, j], '.1f', 100):>12} {_spread(p.acs[:, j], ',.0f'):>24} "
                     f"{_spread(p.macs[:, j], ',.0f'):>14} {_spread(p.energy_uj[:, j], '.3f'):>18} "
                     f"{_spread(p.dropped[:, j], ',.0f'):>20}")
    return "\n".join(lines)


def status(res: SweepResults) -> str:
    done, failed = int((res.state == DONE).sum()), int((res.state == FAILED).sum())
    total = res.state.size
    line = f"{done} of {total} chunks done" + (f", {failed} failed" if failed else "")
    if done < total:
        line += f" (finish with: mstsim sweep --resume --out {res.path})"
    lines = [line]
    for (run, k), msg in list(res.errors.items())[:10]:
        lines.append(f"  failed: run {run}, chunk {k} (samples {res.bounds[k]}-{res.bounds[k + 1] - 1}): {msg}")
    if len(res.errors) > 10:
        lines.append(f"  ... and {len(res.errors) - 10} more failed chunks")
    return "\n".join(lines)


def summary(res: SweepResults) -> str:
    """What ``mstsim sweep`` prints at the end: head, status, accuracy and costs at the largest T."""
    c = res.config
    pts = points(res)
    head = (f"sweep of {len(c['models'])} model(s) on {c['data']}, {c['samples']} samples in chunks of "
            f"{c['chunk']}, T = {c['T']}, masking {c['mask_ratios']}, seeds {c['seeds']}, {c['dtype']}")
    return "\n\n".join([head, status(res), accuracy_table(res, pts), cost_table(res, pts, max(c["T"]))])


def full_report(res: SweepResults) -> str:
    """The summary plus the cost table at every other grid T."""
    pts = points(res)
    extra = [cost_table(res, pts, T) for T in res.config["T"] if T != max(res.config["T"])]
    return "\n\n".join([summary(res)] + extra)


def write_plots(res: SweepResults, folder) -> list[pathlib.Path]:
    """accuracy and energy vs masking ratio per model (at the largest T), accuracy vs T."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    pts, Ts = points(res), res.config["T"]
    curves: dict = {}
    for p in pts:
        curves.setdefault(f"{p.model} ({p.sites})", []).append(p)
    written = []
    for fname, what, scale, label in (("sweep_accuracy_vs_masking.png", "accuracy", 100, "accuracy (%)"),
                                      ("sweep_energy_vs_masking.png", "energy_uj", 1, "energy per sample (uJ)")):
        fig, ax = plt.subplots(figsize=(6, 4))
        for name, ps in curves.items():
            ps = sorted(ps, key=lambda p: p.ratio)
            vals = [getattr(p, what)[:, -1] * scale for p in ps]
            vals = [v[~np.isnan(v)] for v in vals]
            ax.errorbar([p.ratio for p in ps], [np.mean(v) if v.size else np.nan for v in vals],
                        yerr=[np.std(v, ddof=1) if len(v) > 1 else 0 for v in vals], marker="o", capsize=3,
                        label=name)
        ax.set_xlabel("masking ratio")
        ax.set_ylabel(f"{label} at T = {max(Ts)}")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        written.append(_save(plt, fig, folder / fname))
    fig, ax = plt.subplots(figsize=(6, 4))
    for p in pts:
        if not np.all(np.isnan(p.accuracy)):
            ax.plot(Ts, 100 * np.nanmean(p.accuracy, axis=0), marker="o", label=_name(p))
    if len(Ts) > 1:
        ax.set_xscale("log", base=2)
    ax.set_xlabel("time steps T")
    ax.set_ylabel("accuracy (%), mean over seeds")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    written.append(_save(plt, fig, folder / "sweep_accuracy_vs_T.png"))
    return written


def _save(plt, fig, path):
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def report(path, plots=None) -> int:
    """``mstsim report SWEEP.h5 [--plots DIR]`` (dispatched from the CLI by the file's format marker)."""
    from .plots import have_matplotlib
    res = load(str(path))
    print(full_report(res))
    if plots:
        if not have_matplotlib():
            print("\nno plots: matplotlib is not installed (pip install 'mstsim[plot]'); tables only", file=sys.stderr)
        else:
            for p in write_plots(res, plots):
                print(f"wrote {p}")
    return 0
