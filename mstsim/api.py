"""Convenience entry points over the engine: batching and merged results."""
from __future__ import annotations

from typing import Callable

import warnings

import numpy as np

from . import memory, validate
from .engine import SimResult, Simulator
from .engine.encode_shadow import ThroughFallbackWarning, through_fallback_message
from .engine.pipeline import may_pipeline
from .engine.threads import workspace_slots
from .ir import Graph
from .ir.errors import UnsupportedInput
from .network import warn_not_spike_equivalent


def simulate(graph: Graph, inputs, *, T: int, batch_size: int | None = None, dtype=np.float32,
             seed: int = 0, detail: bool = False, progress=None, sample_ids=None,
             on_step: Callable | None = None, on_batch: Callable | None = None,
             between_batches: Callable[[], None] | None = None, pool_rule: str = "events",
             count_padding: bool = False) -> SimResult:
    """Run ``graph`` as an SNN on ``inputs`` for T steps, in batches.

    Every keyword is checked, and the memory the run needs is estimated
    against the machine's available memory, before the first batch.

    Parameters
    ----------
    graph : Graph
    inputs : array ``(N, *input_shape)`` (direct encoding) or ``(N, steps, *input_shape)`` counts (event stream)
    T : int, number of time steps (1 .. ``mstsim.validate.MAX_T``)
    batch_size : samples per engine batch (default: all at once)
    dtype : float32 (default) or float64
    seed : seed of the random spike masks (with the sample id, it fixes every mask)
    detail : keep per-step ledger rows
    progress : optional callable ``progress(done, total)`` after each batch
    sample_ids : global id of each of the N samples (default ``0 .. N-1``); masks depend on it,
        so a subset of a dataset simulated alone matches the same samples in a larger run
    on_step : optional ``on_step(t, values, ids)`` after every step of a batch, with each node's
        output and the batch's sample ids (spike recording)
    on_batch : optional ``on_batch(ids, result, ledger)`` after each batch, with that batch's
        SimResult and the ledger merged over all batches so far (checkpoints)
    between_batches : optional callable run before each batch; it may raise to stop the run
        between engine calls (``mstsim run`` stops there on Ctrl-C)
    pool_rule : "events" (default), "through" or "dense": how pools of events are counted
        (docs/accounting.md); results never depend on it, only the counts do
    count_padding : count padding taps in ``ann_macs`` and dense MACs (default False)

    Returns
    -------
    SimResult with ``cum_logits (T, N, ...)``, ``predictions (T, N)`` and the merged ledger.
    """
    warn_not_spike_equivalent(graph)  # once per node and process (Network.simulate names the ONNX nodes first)
    T = validate.steps(T)
    seed = validate.seed(seed)
    dtype = validate.float_dtype(dtype)
    inputs = np.asarray(inputs)
    n = inputs.shape[0] if inputs.ndim else 0
    if n == 0:
        raise UnsupportedInput("no samples to simulate")
    batch_size = n if batch_size is None else validate.integer("batch_size", batch_size, lo=1)
    ids = validate.sample_ids(sample_ids, n)
    memory.check_fits(memory.estimate_simulation(graph, samples=n, batch=batch_size, T=T, dtype=dtype,
                                                 detail=detail), "this simulation",
                      hint="use a smaller batch_size or T")
    sim = Simulator(graph, dtype=dtype, seed=seed, pool_rule=pool_rule, count_padding=count_padding)
    if sim.plan.through_fallbacks:
        warnings.warn(through_fallback_message(sim.plan.through_fallbacks), ThroughFallbackWarning, stacklevel=2)
    slots = workspace_slots(min(batch_size, n), on_step is not None, may_pipeline(sim.plan))
    memory.check_fits(memory.estimate_simulation(graph, samples=n, batch=batch_size, T=T, dtype=dtype,
                                                 detail=detail, plan=sim.plan, slots=slots),
                      "this simulation", hint="use a smaller batch_size or T")  # now exact for the engine
    cums, ledger = [], None
    for start in range(0, n, batch_size):
        if between_batches is not None:
            between_batches()
        stop = min(start + batch_size, n)
        batch_ids = ids[start:stop].astype(np.int64)
        step_hook = None if on_step is None else (lambda t, values, b=batch_ids: on_step(t, values, b))
        res = sim.run(inputs[start:stop], T, detail=detail, sample_ids=batch_ids, on_step=step_hook)
        cums.append(res.cum_logits)
        if ledger is None:
            ledger = res.ledger
        else:
            ledger.merge(res.ledger)
        if on_batch is not None:
            on_batch(batch_ids, res, ledger)
        if progress is not None:
            progress(stop, n)
    return SimResult(cum_logits=np.concatenate(cums, axis=1), ledger=ledger)
