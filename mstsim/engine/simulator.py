"""The time-step engine: runs a graph as a spiking network over T steps, through its compiled plan."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numba as nb
import numpy as np

from ..ann import check_batch
from ..ir import EVENT, IF, Graph
from ..ir.errors import UnsupportedInput
from ..kernels import plan_layout as L
from ..kernels.detmath import fp_environment_ok
from ..kernels.plan_runner import run_part, run_sample
from .compiling import op_table, start_ahead
from ..ledger import COLUMNS, Ledger
from ..masking import _check_seed
from .events import Events
from .kernel_args import ahead_jobs, run_jobs, runner_args
from .encode_shadow import check_count_padding, check_pool_rule
from .gather_chains import retired_values
from .plan import Plan, build_plan
from .pages import zeroed
from .spare import SPARE
from .pipeline import may_pipeline, run_lone_sample, surely_long
from .threads import max_threads, run_parallel, thread_count, workspace_slots


_FP_OK: list[bool] = []


def check_fp_environment() -> None:
    """Refuse to run when the FPU does not round to nearest or flushes subnormals (once per process).

    A library built with ``-ffast-math`` loaded into the process can switch on
    flush-to-zero; results would then differ from every other machine's.
    """
    if not _FP_OK:
        _FP_OK.append(bool(fp_environment_ok(1.0)))
    if not _FP_OK[0]:
        raise UnsupportedInput("the CPU's floating-point mode was changed in this process (not round-to-nearest, "
                               "or subnormals flushed to zero, e.g. by a library built with -ffast-math): "
                               "results would not be reproducible; run mstsim in a fresh process")


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


@dataclass
class NodeView:
    """A node of the simulated graph, with its IF membranes during ``on_step`` callbacks."""

    node: object
    synapses: int
    sim: "Simulator"

    @property
    def v(self) -> np.ndarray:
        if not isinstance(self.node, IF):
            raise AttributeError(f"{self.node.name!r} has no membrane")
        return self.sim.potentials(self.node.name)


class Simulator:
    """Event-driven simulation of an IR graph.

    Parameters
    ----------
    graph : Graph
        A complete graph (one Input, one Output).
    dtype : float dtype of membranes and accumulators (float32 by default).
    seed : seed of the random spike masks (with the global sample id, it fixes every mask).
    pool_rule : how pools of events are counted: "events" (default), "through" or "dense"
        (docs/accounting.md); the values never depend on it.
    count_padding : count the padding taps of convolutions and pools in ``ann_macs`` and in
        MACs on analog input, as most papers' FLOP counts do (default False).
    """

    def __init__(self, graph: Graph, *, dtype=np.float32, seed: int = 0, pool_rule: str = "events",
                 count_padding: bool = False) -> None:
        graph.check_complete()
        check_pool_rule(pool_rule)
        self.pool_rule, self.count_padding = pool_rule, check_count_padding(count_padding)
        self.graph = graph
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise UnsupportedInput(f"dtype must be float32 or float64, got {self.dtype}")
        self.seed = _check_seed(seed)
        self.names = [n.name for n in graph]
        self.stream = graph.kinds[graph.input_node().name] == EVENT
        self._plans: dict[tuple[int, bool], Plan] = {}
        self.plan = self._plan(1)
        self.ops = [NodeView(n, int(a), self) for n, a in zip(graph, self.plan.ann_macs)]
        self._state = None
        self._prof = None
        self._jobs: dict[tuple, tuple] = {}  # run_jobs by the kinds of a run's arrays
        # the last run's workspaces are kept for the next (spare.py); every node writes what it reads
        # within a step, so none needs zeros (tests/engine/test_workspace_reuse.py)
        self._spare_token = SPARE.owner_token(self)
        self.pipelined = False  # whether the last run's lone sample ran on two threads (pipeline.py)

    def compile_ahead(self) -> None:
        """Start compiling what this simulator's runs need, in a helper process, when Numba's cache does
        not hold it yet (``mstsim.engine.compiling``); the first run then shares what is left."""
        start_ahead(ahead_jobs(self.plan, self.dtype, self.stream))

    def _plan(self, multiplicity: int, share: bool = True) -> Plan:
        key = (multiplicity, share)
        if key not in self._plans:
            self._plans[key] = build_plan(self.graph, self.dtype, multiplicity, pool_rule=self.pool_rule,
                                          count_padding=self.count_padding, share=share)
        return self._plans[key]

    def ann_macs(self) -> np.ndarray:
        return self.plan.ann_macs.copy()

    def ledger_kinds(self) -> list[str]:
        """Each node's output as the ledger names it: "event", "analog", "affine" (an affine of events,
        counted from its underlying events) or "routed" (events routed through a pool, pool_rule "through")."""
        code = self.plan.code
        return ["routed" if code[j, L.SHD_THRU] == 1 else "affine" if code[j, L.SHD] >= 0
                else self.graph.kinds[name] for j, name in enumerate(self.names)]

    def potentials(self, name: str | None = None):
        """IF membranes ``(B, n)`` of node ``name`` after the last completed step (a copy);
        without a name, a dict of every IF node's."""
        if name is None:
            return {n.name: self.potentials(n.name) for n in self.graph if isinstance(n, IF)}
        r = self.plan.code[self.names.index(name)]
        return self._state[:, r[L.STATE]:r[L.STATE] + r[L.SIZE]].copy()

    def _check(self, x) -> np.ndarray:
        inp = self.graph.input_node()
        if not self.stream:
            return check_batch(self.graph, x, self.dtype).reshape(np.shape(x)[0], -1)
        x = np.asarray(x)
        if x.ndim != len(inp.shape) + 2 or tuple(x.shape[2:]) != inp.shape:
            raise UnsupportedInput(f"event input {inp.name!r} expects counts of shape (B, steps, "
                                   f"{', '.join(map(str, inp.shape))}), got {x.shape}")
        if x.size and (not np.all(np.isfinite(x)) or x.min() < 0 or not np.all(np.floor(x) == x)):
            raise UnsupportedInput(f"event input {inp.name!r}: counts must be non-negative integers")
        return x.reshape(x.shape[:2] + (-1,)).astype(np.int64)

    def profile(self, x, T: int) -> tuple[SimResult, np.ndarray]:
        """Run as :meth:`run` and return the CPU cycles each node took (int64, summed over samples).

        Static nodes are not timed (they run once). For finding hot spots; the
        cycle counter ticks in wall time, so a loaded machine inflates it.
        """
        self._prof = np.zeros((thread_count(len(x)), len(self.names)), dtype=np.int64)
        try:
            res = self.run(x, T)
            return res, self._prof.sum(axis=0)
        finally:
            self._prof = None

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
            node's output tensor (``Events`` or a dense ``(B, n)`` array); the
            plan then runs one step per call.
        """
        check_fp_environment()
        if isinstance(T, bool) or int(T) != T or int(T) < 1:
            raise UnsupportedInput(f"T must be >= 1 (an integer), got {T!r}")
        T = int(T)
        x = self._check(x)
        batch = x.shape[0]
        ids = np.arange(batch) if sample_ids is None else np.asarray(sample_ids, dtype=np.int64).reshape(-1)
        if ids.shape[0] != batch:
            raise UnsupportedInput(f"{ids.shape[0]} sample ids for a batch of {batch}")
        if ids.size and ids.min() < 0:
            raise UnsupportedInput("sample ids must be non-negative")
        per_sample = on_step is not None  # every node's output is read after each step: no shared workspace
        if self.stream:
            plan = self._plan(int(x.max()) if x.size else 1, share=not per_sample)
            x_an, x_ev = np.zeros((batch, 0), self.dtype), x
        else:
            plan = self._plan(1, share=False) if per_sample else self.plan
            x_an, x_ev = np.ascontiguousarray(x, dtype=self.dtype), np.zeros((batch, 0, 0), np.int64)
        self.pipelined = False
        workers = thread_count(batch)
        slots = workspace_slots(batch, per_sample, may_pipeline(plan))
        wf, wi = self._workspaces(plan, slots)
        self._state = np.tile(plan.st_init, (batch, 1))
        out_size = int(np.prod(self.graph.shapes[self.graph.output_node().name]))
        cum = np.zeros((T, batch, out_size), dtype=self.dtype)
        n = len(self.names)
        led = np.zeros((slots, n, len(COLUMNS)), dtype=np.int64)
        led_step = np.zeros((slots, T if detail else 0, n, len(COLUMNS)), dtype=np.int64)
        seed = np.uint64(self.seed)
        prof = self._prof if self._prof is not None and not per_sample else np.zeros((slots, 0), np.int64)

        # the kernels' argument types; every array but these four is made here, always of one kind
        kinds = (id(plan),) + tuple(nb.typeof(a) for a in (x_an, x_ev, ids, prof[0]))
        if kinds not in self._jobs:
            self._jobs[kinds] = run_jobs(plan, x_an, x_ev, wf[0], wi[0], self._state[0], cum, led[0], led_step[0],
                                         ids, seed, prof[0])
        types, slots_used, runner = self._jobs[kinds]
        ops = op_table(types, slots_used, also=runner)

        def sample(s: int, slot: int, t0: int, t1: int) -> None:
            run_sample(*runner_args(ops, plan, x_an, x_ev, wf[slot], wi[slot], self._state[s], cum, led[slot],
                                    led_step[slot], ids, seed, t0, t1, s, prof[slot],
                                    np.zeros((n, len(COLUMNS)), np.int64), True))

        def whole(t0, t1, static_rows, fresh, cycles) -> None:  # the lone sample (pipeline.py)
            run_sample(*runner_args(ops, plan, x_an, x_ev, wf[0], wi[0], self._state[0], cum, led[0], led_step[0],
                                    ids, seed, t0, t1, 0, cycles, static_rows, fresh))

        def part(t0, t1, k, static2, fresh2, sync, cycles) -> None:
            run_part(ops, plan.code, plan.ints, plan.flts, plan.f64, plan.hashes, x_an, x_ev, wf[:2], wi[:2],
                     self._state[0], cum, led[0], led_step[0], ids, seed, t0, t1, plan.comp, cycles,
                     k, static2, fresh2, sync)

        if per_sample:
            for t in range(T):
                run_parallel(batch, workers, lambda s, _: sample(s, s, t, t + 1))
                on_step(t, self._values(plan, wf, wi, cum[t]))
        elif batch == 1 and slots >= 2 and prof.shape[1] == 0:
            self.pipelined = run_lone_sample(whole, part, n, len(COLUMNS), T, threads=max_threads(),
                                             long_plan=surely_long(plan))
        else:
            run_parallel(batch, workers, lambda s, slot: sample(s, slot, 0, T))
        if not per_sample:  # runs with on_step have one workspace per sample: not kept
            SPARE.give((self._spare_token, id(plan), slots), (wf, wi))
        ledger = Ledger.empty(self.names, self.ledger_kinds(), plan.ann_macs, T, detail)
        ledger.samples = batch
        ledger.totals[:] = led.sum(axis=0)
        if detail:
            ledger.per_step[:] = led_step.sum(axis=0)
        return SimResult(cum_logits=cum.reshape((T, batch) + self.graph.shapes[self.graph.output_node().name]),
                         ledger=ledger)

    def _workspaces(self, plan: Plan, slots: int) -> tuple[np.ndarray, np.ndarray]:
        """Float and int workspaces of ``slots`` rows: an earlier run's (taken, so a concurrent run
        gets its own), else new ones."""
        spare = SPARE.take((self._spare_token, id(plan), slots))
        if spare is not None:
            return spare
        return zeroed((slots, plan.wf_size), self.dtype), zeroed((slots, plan.wi_size), np.int64)

    def _values(self, plan: Plan, wf, wi, cum_t) -> dict:
        """Every node's output after a step, from the per-sample workspaces."""
        values = {}
        retired = set(plan.retired)
        for j, name in enumerate(self.names):
            r = plan.code[j]
            if r[L.OP] == L.OUTPUT:
                values[name] = cum_t.copy()
            elif name in retired:
                values[name] = retired_values(self.graph[name], values)
            elif r[L.KIND] == 1:
                counts = wi[:, j]
                ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
                idx = np.concatenate([wi[s, r[L.IOFF]:r[L.IOFF] + c] for s, c in enumerate(counts)])
                val = np.concatenate([wf[s, r[L.OFF]:r[L.OFF] + c] for s, c in enumerate(counts)])
                values[name] = Events(ptr, idx.astype(np.int64), val.astype(self.dtype))
            else:
                values[name] = wf[:, r[L.OFF]:r[L.OFF] + r[L.SIZE]].copy()
        return values
