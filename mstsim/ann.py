"""ANN mode: evaluate the IR as the QCFS network it was converted from.

Every IF node becomes its QCFS activation with lam = theta and its L. This
is the ANN that the importer checks against onnxruntime and whose accuracy
and MACs the reports set beside the SNN's.
"""
from __future__ import annotations

import numpy as np

from . import dense
from .ir import IF, Add, Affine, AvgPool2d, ChannelAffine, Conv2d, Graph, Input, Mean, Output, Remap
from .ir.errors import GraphError, UnsupportedInput
from .registry import TypeRegistry

#: node type -> function(node, graph, *inputs) -> output, on (B, *shape) arrays
ANN_OPS = TypeRegistry("ANN forward")
register_ann = ANN_OPS.register


@register_ann(IF)
def _if(node: IF, graph: Graph, x: np.ndarray) -> np.ndarray:
    if node.levels is None:
        raise GraphError(f"node {node.name!r} (IF) has no QCFS level count L, so it has no ANN form")
    return dense.qcfs(x, node.theta, node.levels)


register_ann(Affine)(lambda node, graph, x: dense.affine(node, x))
register_ann(Conv2d)(lambda node, graph, x: dense.conv2d(node, x))
register_ann(AvgPool2d)(lambda node, graph, x: dense.avg_pool2d(node, x))
register_ann(Mean)(lambda node, graph, x: dense.mean(node, x))
register_ann(ChannelAffine)(lambda node, graph, x: dense.channel_affine(node, x))
register_ann(Add)(lambda node, graph, *xs: dense.add(node, *xs))
register_ann(Remap)(lambda node, graph, *xs: dense.remap(node, *xs))
register_ann(Output)(lambda node, graph, x: x)


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
            seed: int | None = None, sample_ids=None):
    """Evaluate ``graph`` in ANN mode on a batch.

    Parameters
    ----------
    graph : Graph
    x : array (B, *input_shape)
    dtype : float dtype of the computation
    keep : bool
        If True, return a dict of every node's output; else only the output's.
    seed : int, optional
        Seed of the random choices (RSM masks); forwards marked ``needs_context``
        receive ``seed`` and ``sample_ids`` as keyword arguments.
    sample_ids : array of int, optional
        Global index of each sample (default ``arange(B)``), so masks do not
        depend on how samples are batched.
    """
    graph.check_complete()
    values: dict[str, np.ndarray] = {}
    for node in graph:
        if isinstance(node, Input):
            values[node.name] = check_batch(graph, x, dtype)
            continue
        fn = ANN_OPS.lookup(node)
        args = [values[s] for s in node.inputs]
        if getattr(fn, "needs_context", False):
            ids = np.arange(len(x)) if sample_ids is None else np.asarray(sample_ids)
            values[node.name] = fn(node, graph, *args, seed=seed, sample_ids=ids)
        else:
            values[node.name] = fn(node, graph, *args)
    return values if keep else values[graph.output_node().name]


from . import ir_ann_extra  # noqa: E402,F401  (registers the analog and attention forwards)
