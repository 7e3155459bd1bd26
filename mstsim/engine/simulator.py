"""The time-step engine: runs a graph as a spiking network over T steps."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..ann import check_batch
from ..ir import EVENT, Graph
from ..ir.errors import UnsupportedInput
from ..ledger import Ledger
from . import analog_ops, attention_ops, neuron_ops, structure_ops, synaptic_ops  # noqa: F401  (register operators)
from .events import Events
from .op import RunContext, make_op

def ann_macs_of(op) -> int:
    """The ANN's MACs of a node for one sample: its synapse count (0 if not synaptic)."""
    return int(getattr(op, "synapses", 0))


@dataclass
class SimResult:
    """What a simulation returns.

    ``cum_logits[t, b]`` is the running sum of the output over steps 1..t+1;
    ``predictions[t, b]`` its argmax; ``ledger`` the exact counts.
    """

    cum_logits: np.ndarray
    ledger: Ledger
    predictions: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.predictions = self.cum_logits.reshape(self.cum_logits.shape[:2] + (-1,)).argmax(axis=-1)

    def accuracy(self, labels) -> np.ndarray:
        """Top-1 accuracy at every step, shape (T,)."""
        return (self.predictions == np.asarray(labels)[None, :]).mean(axis=1)


class Simulator:
    """Event-driven simulation of an IR graph.

    Parameters
    ----------
    graph : Graph
        A complete graph (one Input, one Output).
    dtype : float dtype of membranes and accumulators (float32 by default).
    """

    def __init__(self, graph: Graph, *, dtype=np.float32, seed: int = 0) -> None:
        graph.check_complete()
        self.graph = graph
        self.dtype = np.dtype(dtype)
        self.ctx = RunContext(seed)
        self.ops = [make_op(node, graph, self.dtype) for node in graph]
        for op in self.ops:
            op.ctx = self.ctx
        self.input_op = next(op for op in self.ops if op.node is graph.input_node())
        self.output_name = graph.output_node().name
        self.stream = graph.kinds[graph.input_node().name] == EVENT

    def ann_macs(self) -> np.ndarray:
        return np.array([ann_macs_of(op) for op in self.ops], dtype=np.int64)

    def _step_input(self, x: np.ndarray, t: int):
        if not self.stream:
            return x
        if t >= x.shape[1]:
            return Events.empty(x.shape[0], self.dtype)
        return Events.from_counts(x[:, t].reshape(x.shape[0], -1), self.dtype)

    def _check(self, x: np.ndarray) -> np.ndarray:
        inp = self.graph.input_node()
        if not self.stream:
            return check_batch(self.graph, x, self.dtype).reshape(np.shape(x)[0], -1)
        x = np.asarray(x)
        if x.ndim != len(inp.shape) + 2 or tuple(x.shape[2:]) != inp.shape:
            raise UnsupportedInput(f"event input {inp.name!r} expects counts of shape (B, steps, "
                                   f"{', '.join(map(str, inp.shape))}), got {x.shape}")
        if x.size and (x.min() < 0 or not np.all(np.floor(x) == x)):
            raise UnsupportedInput(f"event input {inp.name!r}: counts must be non-negative integers")
        return x

    def run(self, x, T: int, *, detail: bool = False, sample_ids=None,
            on_step: Callable[[int, dict], None] | None = None) -> SimResult:
        """Simulate one batch for T steps.

        Parameters
        ----------
        x : array
            Direct encoding: ``(B, *input_shape)``, fed unchanged every step.
            Event stream: ``(B, steps, *input_shape)`` non-negative integer
            counts; step t receives ``x[:, t]`` as unit events, nothing after
            the stream ends.
        T : number of steps (>= 1).
        sample_ids : global index of each sample (default 0..B-1); random spike
            masks depend on it, not on the position in the batch.
        detail : keep per-step ledger rows.
        on_step : called as ``on_step(t, values)`` after each step with every
            node's output tensor (for recording and tests).
        """
        if int(T) < 1:
            raise UnsupportedInput(f"T must be >= 1, got {T}")
        T = int(T)
        x = self._check(x)
        batch = x.shape[0]
        ids = np.arange(batch) if sample_ids is None else np.asarray(sample_ids, dtype=np.int64).reshape(-1)
        if ids.shape[0] != batch:
            raise UnsupportedInput(f"{ids.shape[0]} sample ids for a batch of {batch}")
        self.ctx.sample_ids = ids
        names = [op.node.name for op in self.ops]
        ledger = Ledger.empty(names, [self.graph.kinds[n] for n in names], self.ann_macs(), T, detail)
        ledger.samples = batch
        for op in self.ops:
            op.reset(batch)
        out_size = int(np.prod(self.graph.shapes[self.output_name]))
        cum = np.zeros((T, batch, out_size), dtype=self.dtype)
        rows = np.zeros((len(self.ops), ledger.totals.shape[1]), dtype=np.int64)
        for t in range(T):
            self.ctx.t = t
            self.input_op.current = self._step_input(x, t)
            values: dict[str, object] = {}
            rows[:] = 0
            for i, op in enumerate(self.ops):
                values[op.node.name] = op.step([values[s] for s in op.node.inputs], rows[i])
            cum[t] = values[self.output_name]
            ledger.totals += rows
            if detail:
                ledger.per_step[t] = rows
            if on_step is not None:
                on_step(t, values)
        return SimResult(cum_logits=cum.reshape((T, batch) + self.graph.shapes[self.output_name]), ledger=ledger)
