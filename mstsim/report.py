"""Text tables of a run: printed by ``mstsim run`` and again by ``mstsim report`` from the HDF5 file."""
from __future__ import annotations

import numpy as np

from .ledger import COL, E_AC_PJ, E_MAC_PJ
from .module_report import module_text, savings_text
from .modules import ModuleError, check_level, module_table, savings, spike_nodes
from .results import Results, RunResult


def checkpoints(T: int) -> list[int]:
    return [t for t in (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024) if t < T] + [T]


def _pct(x: float) -> str:
    return "  n/a" if np.isnan(x) else f"{100 * x:5.1f}"


def _label(run: RunResult) -> str:
    return "as exported" if run.mask_ratio is None else f"p = {run.mask_ratio:g}"


def title(run: RunResult, results: Results) -> str:
    """The run's masking, and its model when the file holds several."""
    several = len({r.model for r in results.runs}) > 1
    return f"{_label(run)} {run.model}" if several else _label(run)


def accuracy_table(results: Results) -> str:
    runs = results.runs
    labelled = all(np.all(r.labels >= 0) for r in runs)
    what = "accuracy (%)" if labelled else "agreement with the ANN's prediction (%)"
    lines = [f"SNN {what} after T steps, by masking ratio:", "",
             f"{'T':>6} " + " ".join(f"{title(r, results):>28}" for r in runs)]
    acc = [r.accuracy() for r in runs]
    for t in checkpoints(max(r.T for r in runs)):
        lines.append(f"{t:>6} " + " ".join(f"{_pct(a[t - 1]) if t <= len(a) else '':>28}" for a in acc))
    if labelled:
        lines.append(f"{'ANN':>6} " + " ".join(f"{_pct(r.ann_accuracy()):>28}" for r in runs))
    return "\n".join(lines)


def counting_conventions(config: dict) -> str:
    """The counting conventions a run used (files written before they existed used the defaults)."""
    padding = "counted" if config.get("count_padding") else "not counted"
    return (f"pool rule {config.get('pool_rule', 'events')!r}, padding taps {padding} in ANN MACs "
            f"(docs/accounting.md rules 17, 18):")


def cost_table(results: Results) -> str:
    """Per sample: ACs, MACs, events, energy, against the ANN and the first run."""
    base = results.runs[0]
    base_e = base.ledger.energy_pj() / max(base.ledger.samples, 1)
    lines = [f"Exact counts per sample (T = {base.T}); energy = {E_AC_PJ} pJ x ACs + {E_MAC_PJ} pJ x MACs;",
             counting_conventions(results.config), "",
             f"{'masking':>28} {'SNN acc %':>9} {'ACs':>14} {'MACs':>14} {'spikes':>12} {'dropped':>10} "
             f"{'energy uJ':>10} {'vs first':>8} {'vs ANN':>7}"]
    for r in results.runs:
        led = r.ledger
        e = led.energy_pj() / max(led.samples, 1)
        ann_e = led.ann_energy_pj() / max(led.samples, 1)
        spikes = led.totals[spike_nodes(led), COL["events_out"]].sum() / max(led.samples, 1)
        lines.append(f"{title(r, results):>28} {_pct(r.accuracy()[-1]):>9} {led.per_sample('acs'):>14,.0f} "
                     f"{led.per_sample('macs'):>14,.0f} {spikes:>12,.0f} {led.per_sample('events_dropped'):>10,.0f} "
                     f"{e / 1e6:>10.4f} {e / base_e:>8.3f} {e / ann_e:>7.3f}")
    ann = base.ledger.ann_macs.sum()
    lines.append(f"{'ANN ' + title(base, results):>28} {_pct(base.ann_accuracy()):>9} {'':>14} {ann:>14,.0f} {'':>12} {'':>10} "
                 f"{E_MAC_PJ * ann / 1e6:>10.4f}")
    if len(results.runs) > 1:
        lines.append("")
    for run in results.runs[1:]:
        led = run.ledger
        saving = 1 - (led.energy_pj() / max(led.samples, 1)) / base_e
        ac_saving = 1 - led.per_sample("acs") / max(base.ledger.per_sample("acs"), 1e-12)
        lines.append(f"{title(run, results)} vs {title(base, results)}: ACs {-100 * ac_saving:+.1f}%, "
                     f"energy {-100 * saving:+.1f}%, accuracy {100 * (run.accuracy()[-1] - base.accuracy()[-1]):+.1f} "
                     f"points.")
    return "\n".join(lines)


def top_layers(run: RunResult, k: int = 8) -> str:
    led = run.ledger
    acs = led.column("acs")
    order = np.argsort(-acs, kind="stable")[:k]
    total = max(int(acs.sum()), 1)
    rate = run.firing_rates()
    lines = [f"Top {k} nodes by ACs ({_label(run)} {run.model}), per sample:", "",
             f"{'node':<48} {'ACs':>12} {'share':>6} {'events in':>10} {'MACs':>10}"]
    for i in order:
        name = led.nodes[i] if len(led.nodes[i]) <= 48 else "…" + led.nodes[i][-47:]
        lines.append(f"{name:<48} {acs[i] / max(led.samples, 1):>12,.0f} {100 * acs[i] / total:>5.1f}% "
                     f"{led.totals[i, COL['events_in']] / max(led.samples, 1):>10,.0f} "
                     f"{led.totals[i, COL['macs']] / max(led.samples, 1):>10,.0f}")
    ifs = [i for i, kind in enumerate(led.kinds) if kind == "event" and led.totals[i, COL["neuron_updates"]]]
    if ifs:
        lines += ["", f"IF firing rate (spikes per neuron and step): mean {np.mean(rate[ifs]):.4f}, "
                      f"min {np.min(rate[ifs]):.4f}, max {np.max(rate[ifs]):.4f} over {len(ifs)} IF nodes"]
    return "\n".join(lines)


def default_run_memory(net, *, batch: int = 128) -> str:
    """What ``mstsim run MODEL`` with default options would need in memory, against what is available."""
    from .inputs import Preprocess, bounded_settings, input_bytes, open_samples
    from .memory import available_bytes, estimate_simulation, format_bytes
    from .ir.errors import MstsimError
    meta = bounded_settings(net.metadata)
    pre = Preprocess.from_metadata(net.metadata)  # bad preprocessing metadata is reported here too
    T = meta.get("T") or 64
    data, samples, need_in = meta.get("dataset"), batch, 0
    if data:
        try:
            ds, samples = open_samples(data, None)
            need_in = input_bytes(ds, samples, pre, net.input_shape, T)
        except MstsimError:
            data = None  # the dataset is not on this machine: estimate for one batch
    est = estimate_simulation(net.graph, samples=samples, batch=batch, T=T, detail=True, input_bytes=need_in,
                              ann=True)
    free = available_bytes()
    what = f"{samples} samples of {data}" if data else f"{samples} samples"
    return (f"memory of the default run ({what}, batch {min(batch, samples)}, T = {T}, float32): "
            f"{est.describe()}; available: {'unknown' if free is None else format_bytes(free)}")


def _baseline(run: RunResult, results: Results) -> RunResult | None:
    """The unmasked run to compare ``run`` with: of the same model first, else of another of the same structure."""
    if not run.mask_ratio:
        return None
    unmasked = [r for r in results.runs if r.mask_ratio == 0.0 and r.modules and r is not run]
    unmasked.sort(key=lambda r: r.model != run.model)
    return unmasked[0] if unmasked else None


def module_report(results: Results, level="auto", *, savings_tables: bool = True) -> str:
    """The first run's module table and, for each masked run, its savings per module against an unmasked run.

    Parameters
    ----------
    results : Results
    level : str or int
        Row level, see :mod:`mstsim.modules` (``auto``, ``block``, ``module``, N).
    savings_tables : bool
        False: the first run's table only.
    """
    level = check_level(level)
    runs = [r for r in results.runs if r.modules]
    if not runs:
        return ("No per-module table: the results hold no module paths (a file written before mstsim recorded "
                "them, or a model file that names no modules).")
    tables = {id(r): module_table(r.ledger, r.modules, level) for r in runs}
    parts = [module_text(tables[id(runs[0])], title(runs[0], results))]
    for run in runs[1:] if savings_tables else []:
        base = _baseline(run, results)
        try:
            if base is None:
                raise ModuleError("no unmasked run to compare with")
            sv = savings(tables[id(base)], tables[id(run)])
        except ModuleError:
            parts.append(module_text(tables[id(run)], title(run, results)))
            continue
        parts.append(savings_text(sv, f"{title(run, results)} vs {title(base, results)}"))
    return "\n\n".join(parts)


def full_report(results: Results, *, by_module="auto", savings: bool = True) -> str:
    c = results.config
    models = ", ".join(f"{m} (sha256 {h[:12]}...)" for m, h in zip(c.get("models", [c.get("model")]),
                                                                   c.get("models_sha256", [c.get("model_sha256", "")])))
    head = (f"model {models}, data {c.get('data')}, "
            f"{c.get('samples')} samples, T = {c.get('T')}, {c.get('dtype')}, seed {c.get('seed')}, "
            f"masks on {c.get('mask_sites')!r} sites")
    parts = [head, accuracy_table(results), cost_table(results), top_layers(results.runs[0])]
    if by_module is not None:
        parts.append(module_report(results, by_module, savings_tables=savings))
    return "\n\n".join(parts)
