"""Text tables of the per-module ledger and of masking savings per module (``run`` and ``report``)."""
from __future__ import annotations

import numpy as np

from .ledger import E_AC_PJ, E_MAC_PJ
from .modules import ModuleSavings, ModuleTable

_WIDTH = 30
LEGEND = ("attention parts: qkv = projection and q, k, v neurons; qkT = q/k masks and q k^T; "
          "scores = scale, score neurons and mask, bias, softmax; Pv = P v and its neurons; "
          "proj = output projection")


def _name(row: str) -> str:
    return row if len(row) <= _WIDTH else "…" + row[-(_WIDTH - 1):]


def _pct(x: float) -> str:
    return "n/a" if np.isnan(x) else f"{100 * x:+.1f}%"


def _hidden(n: int) -> list[str]:
    return [f"({n} row{'s' if n != 1 else ''} with no counts not shown)"] if n else []


def module_text(table: ModuleTable, title: str) -> str:
    """Counts per row and sample, with each row's share of the energy and the exact total."""
    s = max(table.samples, 1)
    energy = table.energy_pj()
    total_e = max(float(energy.sum()), 1e-300)
    head = (f"{'module':<{_WIDTH}} {'ACs':>13} {'eff. ACs':>13} {'MACs':>11} {'spikes':>11} {'dropped':>9} "
            f"{'energy nJ':>10} {'share':>6}")
    lines = [f"Per module ({title}; level {table.level}), per sample; energy = {E_AC_PJ} pJ x ACs + "
             f"{E_MAC_PJ} pJ x MACs:", "", head, "-" * len(head)]
    hidden = 0
    for i, row in enumerate(table.rows):
        c = table.counts[i]
        if not c.any():
            hidden += 1
            continue
        lines.append(f"{_name(row):<{_WIDTH}} {c[0] / s:>13,.1f} {c[1] / s:>13,.1f} {c[2] / s:>11,.1f} "
                     f"{c[3] / s:>11,.1f} {c[4] / s:>9,.1f} {energy[i] / s / 1e3:>10.3f} "
                     f"{100 * energy[i] / total_e:>5.1f}%")
    t = table.totals()
    lines.append(f"{'total':<{_WIDTH}} {t[0] / s:>13,.1f} {t[1] / s:>13,.1f} {t[2] / s:>11,.1f} {t[3] / s:>11,.1f} "
                 f"{t[4] / s:>9,.1f} {energy.sum() / s / 1e3:>10.3f}")
    lines += _hidden(hidden)
    if any(":" in r and r.rpartition(":")[2] in ("qkv", "qkT") for r in table.rows):
        lines.append(LEGEND)
    return "\n".join(lines)


def savings_text(sv: ModuleSavings, title: str) -> str:
    """Per row: the base's ACs and the masked run's change in ACs, spikes, energy and dropped events."""
    cols = ("acs", "spikes", "energy", "events_dropped")
    change = {c: sv.change(c) for c in cols}
    rel = {c: sv.relative(c) for c in cols}
    base_acs = sv.per_sample(sv.base, "acs")
    head = (f"{'module':<{_WIDTH}} {'ACs base':>13} {'ACs change':>13} {'%':>7} {'spikes change':>13} {'%':>7} "
            f"{'energy nJ':>10} {'%':>7} {'dropped':>10}")
    lines = [f"Masking savings per module, {title}, per sample (change = masked - base):", "", head,
             "-" * len(head)]
    hidden = 0
    for i, row in enumerate(sv.rows):
        if not sv.base.counts[sv.base.rows.index(row)].any() and not sv.run.counts[i].any():
            hidden += 1
            continue
        lines.append(f"{_name(row):<{_WIDTH}} {base_acs[i]:>13,.1f} {change['acs'][i]:>+13,.1f} "
                     f"{_pct(rel['acs'][i]):>7} {change['spikes'][i]:>+13,.1f} {_pct(rel['spikes'][i]):>7} "
                     f"{change['energy'][i] / 1e3:>+10.3f} {_pct(rel['energy'][i]):>7} "
                     f"{change['events_dropped'][i]:>+10,.1f}")
    tot = {c: sv.total_change(c) for c in cols}
    lines.append(f"{'total':<{_WIDTH}} {base_acs.sum():>13,.1f} {tot['acs'][0]:>+13,.1f} {_pct(tot['acs'][1]):>7} "
                 f"{tot['spikes'][0]:>+13,.1f} {_pct(tot['spikes'][1]):>7} {tot['energy'][0] / 1e3:>+10.3f} "
                 f"{_pct(tot['energy'][1]):>7} {tot['events_dropped'][0]:>+10,.1f}")
    return "\n".join(lines + _hidden(hidden))
