"""Convenience entry points over the engine: batching and merged results."""
from __future__ import annotations

import numpy as np

from .engine import SimResult, Simulator
from .ir import Graph
from .ir.errors import UnsupportedInput


def simulate(graph: Graph, inputs, *, T: int, batch_size: int | None = None, dtype=np.float32,
             seed: int = 0, detail: bool = False, progress=None) -> SimResult:
    """Run ``graph`` as an SNN on ``inputs`` for T steps, in batches.

    Parameters
    ----------
    graph : Graph
    inputs : array ``(N, *input_shape)`` (direct encoding) or ``(N, steps, *input_shape)`` counts (event stream)
    T : int, number of time steps
    batch_size : samples per engine batch (default: all at once)
    dtype : float32 (default) or float64
    seed : seed of the random spike masks (with the sample index, it fixes every mask)
    detail : keep per-step ledger rows
    progress : optional callable ``progress(done, total)`` after each batch

    Returns
    -------
    SimResult with ``cum_logits (T, N, ...)``, ``predictions (T, N)`` and the merged ledger.
    """
    inputs = np.asarray(inputs)
    n = inputs.shape[0] if inputs.ndim else 0
    if n == 0:
        raise UnsupportedInput("no samples to simulate")
    batch_size = n if batch_size is None else int(batch_size)
    if batch_size < 1:
        raise UnsupportedInput(f"batch_size must be >= 1, got {batch_size}")
    sim = Simulator(graph, dtype=dtype, seed=seed)
    cums, ledger = [], None
    for start in range(0, n, batch_size):
        stop = min(start + batch_size, n)
        res = sim.run(inputs[start:stop], T, detail=detail, sample_ids=np.arange(start, stop))
        cums.append(res.cum_logits)
        if ledger is None:
            ledger = res.ledger
        else:
            ledger.merge(res.ledger)
        if progress is not None:
            progress(min(start + batch_size, n), n)
    return SimResult(cum_logits=np.concatenate(cums, axis=1), ledger=ledger)
