"""ANN mode: evaluate the IR as the QCFS network it was converted from.

Every IF node becomes its QCFS activation with lam = theta and its L (the
forwards are in :mod:`mstsim.ann_forwards`). This is the ANN that the
importer checks against onnxruntime and whose accuracy and MACs the reports
set beside the SNN's.
"""
from __future__ import annotations

import numpy as np

from .ann_forwards import ANN_OPS, register_ann
from .ir import Graph, Input
from . import validate
from .ir.errors import UnsupportedInput

__all__ = ["run_ann", "check_batch", "ANN_OPS", "register_ann"]


def check_batch(graph: Graph, x: np.ndarray, dtype) -> np.ndarray:
    """Validate a batch ``(B, *input_shape)`` and cast it to ``dtype``."""
    inp = graph.input_node()
    x = np.asarray(x)
    if x.ndim != len(inp.shape) + 1 or tuple(x.shape[1:]) != inp.shape:
        raise UnsupportedInput(f"input {inp.name!r} expects a batch of shape (B, {', '.join(map(str, inp.shape))}), "
                               f"got {x.shape}")
    if not np.all(np.isfinite(x)):
        raise UnsupportedInput(f"input {inp.name!r}: the batch holds NaN or infinite values")
    return np.ascontiguousarray(x, dtype=dtype)


def run_ann(graph: Graph, x: np.ndarray, *, dtype=np.float64, keep: bool = False,
            seed: int = 0, sample_ids=None):
    """Evaluate ``graph`` in ANN mode on a batch.

    Parameters
    ----------
    graph : Graph
    x : array (B, *input_shape)
    dtype : float dtype of the computation
    keep : bool
        If True, return a dict of every node's output; else only the output's.
    seed : int
        Seed of the random choices (RSM masks), the same default as
        :func:`mstsim.simulate`; forwards marked ``needs_context`` receive
        ``seed`` and ``sample_ids`` as keyword arguments.
    sample_ids : array of int, optional
        Global index of each sample (default ``arange(B)``), so masks do not
        depend on how samples are batched.
    """
    graph.check_complete()
    seed = validate.seed(seed)
    dtype = validate.float_dtype(dtype)
    ids = validate.sample_ids(sample_ids, len(np.asarray(x)) if np.ndim(x) else 0)
    values: dict[str, np.ndarray] = {}
    for node in graph:
        if isinstance(node, Input):
            values[node.name] = check_batch(graph, x, dtype)
            continue
        fn = ANN_OPS.lookup(node)
        args = [values[s] for s in node.inputs]
        if getattr(fn, "needs_context", False):
            values[node.name] = fn(node, graph, *args, seed=seed, sample_ids=ids)
        else:
            values[node.name] = fn(node, graph, *args)
    return values if keep else values[graph.output_node().name]
