"""The imported network: the IR graph plus where every node came from."""
from __future__ import annotations

import numpy as np

from mstsim import ann
from mstsim.api import simulate
from mstsim.engine.fanout import fanout_of
from mstsim.ir import IF, Graph
from mstsim.ir.attention import Mask, MatMul
from mstsim.ir.errors import GraphError
from mstsim.rsm import configure_rsm


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


def rsm_settings(rsm) -> tuple[float, object] | None:
    """Normalise the ``rsm`` argument: None, a ratio, or ``{"ratio": p, "sites": ...}``."""
    if rsm is None:
        return None
    if isinstance(rsm, dict):
        unknown = set(rsm) - {"ratio", "sites"}
        if unknown or "ratio" not in rsm:
            raise GraphError(f"rsm must be a ratio or {{'ratio': p, 'sites': ...}}, got keys {sorted(rsm)}")
        return float(rsm["ratio"]), rsm.get("sites", "attention")
    return float(rsm), "attention"


class Network:
    """An imported QCFS network.

    Attributes
    ----------
    graph : Graph
        The per-sample IR.
    source : str
        The file it came from.
    provenance : dict
        IR node name -> name of the ONNX node (or chain end) it came from.
    tensors : dict
        IR node name -> ONNX tensor whose value it computes (for checking
        against onnxruntime); nodes changed by fusions have no entry.
    patterns : dict
        Counts of the fused patterns (qcfs, masks, layernorm, gelu, batchnorm)
        and of the IR passes.
    metadata : dict
        The model's ``metadata_props`` (``mstsim.preprocess`` holds how to feed it).
    """

    def __init__(self, graph: Graph, info: dict):
        self.graph = graph
        self.source = info["source"]
        self.provenance = info["provenance"]
        self.tensors = info["tensors"]
        self.patterns = info["patterns"]
        self.export_batch = info["batch"]
        self.onnx_input = info["input_name"]
        self.onnx_output = info["output_name"]
        self._layouts = info["layouts"]
        self.metadata = dict(info.get("metadata", {}))  # the ONNX file's metadata_props

    def per_sample(self, node: str, full: np.ndarray) -> np.ndarray:
        """An ONNX batch tensor for IR node ``node`` as ``(B, *per-sample shape)``.

        The exported tensor may hold the batch as the outer factor of a
        non-leading axis (``(3, B * windows, ...)``); this undoes that.
        """
        shape, bax, k = self._layouts[node]
        full = np.asarray(full).reshape(shape[:bax] + (-1, k) + shape[bax + 1:])
        full = np.moveaxis(full, bax, 0)
        return full.reshape((full.shape[0],) + self.graph.shapes[node])

    @property
    def input_shape(self) -> tuple[int, ...]:
        return self.graph.input_node().shape

    def configured(self, rsm=None) -> Graph:
        """The graph with Random Spike Masking set as ``rsm`` asks (None: as exported)."""
        settings = rsm_settings(rsm)
        return self.graph if settings is None else configure_rsm(self.graph, *settings)

    def simulate(self, inputs, *, T: int, rsm=None, seed: int = 0, dtype=np.float32,
                 batch_size: int | None = None, detail: bool = False, progress=None):
        """Run as a spiking network for T steps (see :func:`mstsim.simulate`).

        ``rsm`` is None (the exported masks as they are), a ratio (on the
        ``attention`` sites: q, k and scores) or ``{"ratio": p, "sites": s}``
        with s in ``attention``, ``mlp``, ``all``, ``exported``, an fnmatch
        pattern or a list of IF names. ``seed`` fixes every mask together with
        each sample's index.
        """
        return simulate(self.configured(rsm), inputs, T=T, seed=seed, dtype=dtype, batch_size=batch_size,
                        detail=detail, progress=progress)

    def with_mask_ratio(self, ratio: float | None) -> Graph:
        """The graph with every Mask's ratio set to ``ratio`` (None: unchanged)."""
        return self.graph if ratio is None else configure_rsm(self.graph, ratio, "exported")

    def run_ann(self, x, *, dtype=np.float64, keep: bool = False, seed: int | None = None,
                sample_ids=None, mask_ratio: float | None = None):
        """Evaluate in ANN mode (every IF as its QCFS) on a batch ``(B, *input_shape)``.

        ``mask_ratio`` overrides every RSM site's ratio (0 disables masking);
        a nonzero ratio needs ``seed``.
        """
        return ann.run_ann(self.with_mask_ratio(mask_ratio), x, dtype=dtype, keep=keep, seed=seed,
                           sample_ids=sample_ids)

    def inspect(self) -> str:
        """A table of the graph: node, op, kind, shape, IF theta and L, fan-out (synapses per input
        event, docs/accounting.md), ANN MACs, warnings (ops that are not spike-equivalent, masks)."""
        g = self.graph
        head = ("node", "op", "kind", "shape", "theta", "L", "fan-out", "ANN MACs", "warning")
        rows = []
        for n in g:
            op = getattr(n, "op", None) if type(n).__name__ in ("Elementwise", "Remap") else None
            is_if = isinstance(n, IF)
            warn = "" if getattr(n, "spike_equivalent", True) else "not spike-equivalent"
            if isinstance(n, Mask):
                warn = f"RSM p={n.ratio:g}"
            rows.append((n.name, type(n).__name__ + (f":{op}" if op else ""), g.kinds[n.name],
                         "x".join(map(str, g.shapes[n.name])) or "()",
                         f"{n.theta:.6g}" if is_if else "", str(n.levels) if is_if else "",
                         fan_out(g, n), f"{ann_macs(g, n):,}" if ann_macs(g, n) else "", warn))
        widths = [min(max(len(r[i]) for r in rows + [head]), 48) for i in range(len(head))]
        fmt = "  ".join(f"{{:<{w}}}" for w in widths)
        lines = [fmt.format(*head), fmt.format(*("-" * w for w in widths))]
        lines += [fmt.format(*(c if len(c) <= 48 else "…" + c[-47:] for c in r)) for r in rows]
        total = sum(ann_macs(g, n) for n in g)
        n_if = sum(isinstance(n, IF) for n in g)
        pats = ", ".join(f"{k} {v}" for k, v in self.patterns.items() if k != "ir")
        lines.append(f"{len(g)} nodes, {n_if} IF, {total:,} ANN MACs per sample; patterns: {pats}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"Network({self.source!r}, {len(self.graph)} nodes, input {self.input_shape})"
