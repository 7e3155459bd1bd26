"""Run the engine and the oracle side by side and name the first place they differ.

The engine is observed only through its public API: ``Simulator.run(...,
detail=True, on_step=...)``. ``on_step(t, values)`` hands every node's output
of the step; an event tensor is read as CSR per sample (``ptr``, ``idx``,
``val``), an analog one as an array ``(B, ...)``. Membrane potentials are
read at the same moment from ``Simulator.potentials()`` (``{IF name: (B, n)
array}``) when the engine offers it, else from the current engine's
operators (``sim.ops[i].v``). Both run with the same counting rules
(``pool_rule``, ``count_padding``: keyword ``rules``), which change counts only.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from mstsim.engine import Simulator
from mstsim.ir import IF
from mstsim.ledger import COLUMNS
from mstsim.reference import ReferenceSimulator

#: float64 engine vs float64 oracle on graphs with rounding-dependent analog nodes:
#: |engine - oracle| <= RTOL * max(1, max |oracle|) per node and step; measured with the
#: compiled plan: at most 1.0e-13 over 300 random graphs (0 on the exact family)
RTOL = 1e-12


@dataclass
class Trace:
    """One simulator's per-step view: values, event counts and potentials of every node."""

    cum: np.ndarray
    ledger: object
    values: list[dict] = field(default_factory=list)
    counts: list[dict] = field(default_factory=list)
    potentials: list[dict] = field(default_factory=list)


def _potentials(sim) -> dict:
    if callable(getattr(sim, "potentials", None)):
        return {k: np.array(v, dtype=np.float64).reshape(len(v), -1) for k, v in sim.potentials().items()}
    if hasattr(sim, "ops"):
        return {op.node.name: op.v.astype(np.float64) for op in sim.ops if isinstance(op.node, IF)}
    raise AssertionError("the engine exposes no membrane potentials: give Simulator a potentials() method "
                         "returning {IF node name: (B, n) array} during on_step")


def _dense(value, n: int):
    """(values, counts) of one node's step output; counts None for an analog tensor."""
    if hasattr(value, "ptr") and hasattr(value, "idx"):
        ptr, idx = np.asarray(value.ptr), np.asarray(value.idx)
        batch = ptr.shape[0] - 1
        rows = np.repeat(np.arange(batch), np.diff(ptr))
        counts = np.zeros((batch, n), np.int64)
        np.add.at(counts, (rows, idx), 1)
        values = np.zeros((batch, n))
        np.add.at(values, (rows, idx), np.asarray(value.val, dtype=np.float64))
        return values, counts
    arr = np.array(value, dtype=np.float64)  # a copy: engines may reuse their buffers
    return arr.reshape(arr.shape[0], -1), None


def engine_trace(graph, x, T, *, dtype, seed=0, sample_ids=None, **rules) -> Trace:
    sim = Simulator(graph, dtype=dtype, seed=seed, **rules)
    steps = []

    def on_step(t, values):
        dense = {name: _dense(v, int(np.prod(graph.shapes[name]))) for name, v in values.items()}
        steps.append((dense, _potentials(sim)))

    res = sim.run(x, T, detail=True, sample_ids=sample_ids, on_step=on_step)
    trace = Trace(res.cum_logits, res.ledger)
    for dense, pots in steps:
        trace.values.append({k: v for k, (v, _) in dense.items()})
        trace.counts.append({k: c for k, (_, c) in dense.items()})
        trace.potentials.append(pots)
    return trace


def oracle_trace(graph, x, T, *, dtype, seed=0, sample_ids=None, **rules) -> Trace:
    cum, ledger, rec = ReferenceSimulator(graph, dtype=dtype, seed=seed, **rules).run(x, T, sample_ids=sample_ids)
    f64 = [{k: np.asarray(v, np.float64) for k, v in d.items()} for d in rec["values"]]
    pots = [{k: np.asarray(v, np.float64) for k, v in d.items()} for d in rec["potentials"]]
    return Trace(cum, ledger, f64, rec["counts"], pots)


def _where(diff: np.ndarray) -> str:
    b, i = np.argwhere(diff)[0]
    return f"sample {b}, element {i}"


def _close(e, o, rtol, scale=0.0):
    if rtol == 0:
        return e == o
    return np.abs(e - o) <= rtol * max(1.0, float(np.abs(o).max(initial=0.0)), scale)


def _value_divergence(e, o, rtol, what="values", scale=0.0) -> str | None:
    ok = _close(e, o, rtol, scale)
    if np.all(ok):
        return None
    b, i = np.argwhere(~ok)[0]
    return f"{what} differ at sample {b}, element {i}: engine {e[b, i]!r}, oracle {o[b, i]!r}"


def first_divergence(graph, eng: Trace, ora: Trace, rtol: float = 0.0) -> str | None:
    """Describe the first (step, node in graph order) where the traces differ, or None.

    Event counts must be identical; values and potentials equal (rtol 0) or
    within ``rtol`` of the node's magnitude. For a spike difference the
    oracle's membrane margin ``v - theta`` before the reset is reported, so a
    near-tie is told apart from a wrong rule.
    """
    for t in range(len(ora.values)):
        for node in graph:
            name = node.name
            if name not in eng.values[t]:
                return f"step {t}, node {name!r}: the engine's on_step gave no value for it"
            ec, oc = eng.counts[t][name], ora.counts[t][name]
            if (ec is None) != (oc is None):
                return f"step {t}, node {name!r}: engine gives {'events' if ec is not None else 'analog'}"
            if oc is not None and not np.array_equal(ec, oc):
                where = _where(ec != oc)
                margin = ""
                if isinstance(node, IF):
                    v = ora.potentials[t][name] + node.theta * oc
                    b, i = np.argwhere(ec != oc)[0]
                    margin = f"; oracle v - theta = {v[b, i] - node.theta:.3e}"
                return f"step {t}, node {name!r} ({type(node).__name__}): event counts differ at {where}{margin}"
            where = _value_divergence(eng.values[t][name], ora.values[t][name], rtol)
            if where is None and isinstance(node, IF):
                # a membrane sums its inputs over the steps: its rounding scales with what it summed
                # (a large exp upstream feeds 1-ulp differences of that size into it), not with v
                summed = sum(float(np.abs(ora.values[s][node.inputs[0]]).max(initial=0.0)) for s in range(t + 1))
                where = _value_divergence(eng.potentials[t][name], ora.potentials[t][name], rtol, "potentials",
                                          summed)
            if where is not None:
                return f"step {t}, node {name!r} ({type(node).__name__}): {where}"
    return None


def ledger_divergence(eng_ledger, ora_ledger) -> str | None:
    """The first (step, node, column) where the int64 ledgers differ, or None."""
    if not np.array_equal(eng_ledger.ann_macs, ora_ledger.ann_macs):
        i = int(np.argwhere(eng_ledger.ann_macs != ora_ledger.ann_macs)[0, 0])
        return f"ann_macs of {ora_ledger.nodes[i]!r}: engine {eng_ledger.ann_macs[i]}, oracle {ora_ledger.ann_macs[i]}"
    for t, n, c in np.argwhere(eng_ledger.per_step != ora_ledger.per_step)[:1]:
        return (f"step {t}, node {ora_ledger.nodes[n]!r}, {COLUMNS[c]}: engine {eng_ledger.per_step[t, n, c]}, "
                f"oracle {ora_ledger.per_step[t, n, c]}")
    assert eng_ledger.totals.dtype == np.int64 and eng_ledger.per_step.dtype == np.int64
    assert np.array_equal(eng_ledger.totals, ora_ledger.totals)
    return None


def max_relative_error(graph, eng: Trace, ora: Trace) -> float:
    """The largest |engine - oracle| / max(1, max|oracle|) over every node, step and the output (to measure RTOL)."""
    worst = 0.0
    for t in range(len(ora.values)):
        for name, ov in ora.values[t].items():
            scale = max(1.0, float(np.abs(ov).max(initial=0.0)))
            worst = max(worst, float(np.abs(eng.values[t][name] - ov).max(initial=0.0)) / scale)
    return worst


def assert_engine_matches_oracle(graph, x, T, *, dtype, seed, sample_ids, rtol=0.0, **rules) -> None:
    """Run both and fail naming the first divergence: traces, logits (within rtol), then the ledger."""
    eng = engine_trace(graph, x, T, dtype=dtype, seed=seed, sample_ids=sample_ids, **rules)
    ora = oracle_trace(graph, x, T, dtype=dtype, seed=seed, sample_ids=sample_ids, **rules)
    where = first_divergence(graph, eng, ora, rtol=rtol)
    assert where is None, where
    assert eng.cum.dtype == dtype
    assert np.all(_close(eng.cum, ora.cum, rtol)), "cumulative logits differ"
    where = ledger_divergence(eng.ledger, ora.ledger)
    assert where is None, f"{where} ({_rules(rules)})"


def _rules(rules: dict) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in sorted(rules.items())) or "default rules"
