"""The ``inspect`` table of a graph: per node its op, shape, IF parameters, fan-out and ANN MACs."""
from __future__ import annotations

import numpy as np

from .engine.fanout import fanout_of
from .ir import IF, Graph
from .ir.attention import Mask, MatMul

_WIDTH = 48  # longest cell before it is cut (from the left: node names end with what matters)


def ann_macs(graph: Graph, node) -> int:
    """Multiply-accumulates of a node in ANN mode: its synapse count (docs/accounting.md), 0 if none."""
    if isinstance(node, MatMul):
        return int(np.prod(graph.shapes[node.name])) * graph.shapes[node.inputs[0]][-1]
    fan = fanout_of(node, graph.shapes[node.inputs[0]], graph.shapes[node.name]) if node.inputs else None
    return 0 if fan is None else int(fan[0].sum())


def fan_out(graph: Graph, node) -> str:
    """Synapses per input event: one number, or the range over input elements (borders)."""
    if isinstance(node, MatMul):
        return "per coincidence"
    fan = fanout_of(node, graph.shapes[node.inputs[0]], graph.shapes[node.name]) if node.inputs else None
    if fan is None:
        return ""
    lo, hi = int(fan[0].min()), int(fan[0].max())
    return str(hi) if lo == hi else f"{lo}-{hi}"


def _row(graph: Graph, n) -> tuple[str, ...]:
    op = getattr(n, "op", None) if type(n).__name__ in ("Elementwise", "Remap") else None
    is_if = isinstance(n, IF)
    warn = "" if getattr(n, "spike_equivalent", True) else "not spike-equivalent"
    if isinstance(n, Mask):
        warn = f"RSM p={n.ratio:g}"
    macs = ann_macs(graph, n)
    return (n.name, type(n).__name__ + (f":{op}" if op else ""), graph.kinds[n.name],
            "x".join(map(str, graph.shapes[n.name])) or "()",
            f"{n.theta:.6g}" if is_if else "", str(n.levels) if is_if else "",
            fan_out(graph, n), f"{macs:,}" if macs else "", warn)


def inspect_table(graph: Graph, patterns: dict | None = None) -> str:
    """The table as text, with a totals line (and the fused pattern counts, if given)."""
    head = ("node", "op", "kind", "shape", "theta", "L", "fan-out", "ANN MACs", "warning")
    rows = [_row(graph, n) for n in graph]
    widths = [min(max(len(r[i]) for r in rows + [head]), _WIDTH) for i in range(len(head))]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    lines = [fmt.format(*head), fmt.format(*("-" * w for w in widths))]
    lines += [fmt.format(*(c if len(c) <= _WIDTH else "…" + c[-_WIDTH + 1:] for c in r)) for r in rows]
    total = sum(ann_macs(graph, n) for n in graph)
    n_if = sum(isinstance(n, IF) for n in graph)
    pats = ", ".join(f"{k} {v}" for k, v in (patterns or {}).items() if k != "ir")
    lines.append(f"{len(graph)} nodes, {n_if} IF, {total:,} ANN MACs per sample" + (f"; patterns: {pats}" if pats else ""))
    return "\n".join(lines)
