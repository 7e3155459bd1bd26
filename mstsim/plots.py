"""PNG plots of a results file (matplotlib, from the optional ``plot`` extra)."""
from __future__ import annotations

import pathlib

import numpy as np

from .ledger import COL
from .report import title
from .results import Results


def have_matplotlib() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def write_plots(results: Results, folder) -> list[pathlib.Path]:
    """Accuracy vs T, ACs per layer, firing rate per layer, energy vs masking ratio (if several)."""
    import matplotlib
    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []

    def save(fig, name):
        path = folder / name
        fig.tight_layout()
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)

    fig, ax = plt.subplots(figsize=(6.5, 4))
    for run in results.runs:
        name = title(run, results)
        ax.plot(np.arange(1, run.T + 1), 100 * run.accuracy(), label=f"SNN {name}")
        ann = run.ann_accuracy()
        if not np.isnan(ann):
            ax.axhline(100 * ann, linestyle="--", linewidth=1, color=ax.lines[-1].get_color(), label=f"ANN {name}")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("time steps T")
    ax.set_ylabel("accuracy (%)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    save(fig, "accuracy_vs_T.png")

    run = results.runs[0]
    led = run.ledger
    syn = [i for i in range(len(led.nodes)) if led.totals[i, COL["acs"]] or led.totals[i, COL["macs"]]]
    fig, ax = plt.subplots(figsize=(7, 4))
    idx = np.arange(len(syn))
    ax.bar(idx, led.totals[syn, COL["acs"]] / led.samples, label="ACs")
    ax.bar(idx, led.totals[syn, COL["macs"]] / led.samples, bottom=led.totals[syn, COL["acs"]] / led.samples,
           label="MACs")
    ax.set_xlabel("node (graph order)")
    ax.set_ylabel("operations per sample")
    ax.set_yscale("log")
    ax.legend()
    save(fig, "ops_per_layer.png")

    rate = run.firing_rates()
    ifs = [i for i, k in enumerate(led.kinds) if k == "event" and led.totals[i, COL["neuron_updates"]]]
    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.bar(np.arange(len(ifs)), rate[ifs])
    ax.set_xlabel("IF node (graph order)")
    ax.set_ylabel("spikes / neuron / step")
    save(fig, "firing_rate_per_layer.png")

    masked = [r for r in results.runs if r.mask_ratio is not None]
    if len({r.mask_ratio for r in masked}) > 1:
        fig, ax = plt.subplots(figsize=(5.5, 3.5))
        for model in dict.fromkeys(r.model for r in masked):  # one line per model
            runs = sorted((r for r in masked if r.model == model), key=lambda r: r.mask_ratio)
            ax.plot([r.mask_ratio for r in runs], [r.ledger.energy_pj() / r.ledger.samples / 1e6 for r in runs],
                    "o-", label=model or None)
        ax.set_xlabel("masking ratio")
        ax.set_ylabel("energy per sample (uJ)")
        ax.grid(alpha=0.3)
        if any(r.model for r in masked):
            ax.legend(fontsize=8)
        save(fig, "energy_vs_masking.png")
    return written
