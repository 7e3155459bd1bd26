"""The imported network: the IR graph plus where every node came from."""
from __future__ import annotations

import dataclasses

import numpy as np

from mstsim import ann
from mstsim.ir import IF, Affine, Conv2d, Graph
from mstsim.ir.attention import Mask, MatMul


def ann_macs(graph: Graph, node) -> int:
    """Multiply-accumulates of a synaptic node in ANN mode (0 for the others)."""
    out = int(np.prod(graph.shapes[node.name]))
    if isinstance(node, Affine):
        return out * node.weight.shape[1]
    if isinstance(node, Conv2d):
        return out * int(np.prod(node.weight.shape[1:]))
    if isinstance(node, MatMul):
        return out * graph.shapes[node.inputs[0]][-1]
    return 0


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

    def with_mask_ratio(self, ratio: float | None) -> Graph:
        """The graph with every Mask's ratio set to ``ratio`` (None: unchanged)."""
        if ratio is None:
            return self.graph
        return Graph(dataclasses.replace(n, ratio=ratio) if isinstance(n, Mask) else n for n in self.graph)

    def run_ann(self, x, *, dtype=np.float64, keep: bool = False, seed: int | None = None,
                sample_ids=None, mask_ratio: float | None = None):
        """Evaluate in ANN mode (every IF as its QCFS) on a batch ``(B, *input_shape)``.

        ``mask_ratio`` overrides every RSM site's ratio (0 disables masking);
        a nonzero ratio needs ``seed``.
        """
        return ann.run_ann(self.with_mask_ratio(mask_ratio), x, dtype=dtype, keep=keep, seed=seed,
                           sample_ids=sample_ids)

    def inspect(self) -> str:
        """A table of the graph: node, op, kind, shape, IF theta and L, fan-out, ANN MACs, warnings."""
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
                         str(len(g.consumers[n.name])), f"{ann_macs(g, n):,}" if ann_macs(g, n) else "", warn))
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
