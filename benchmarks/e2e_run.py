"""The two simulators of the end-to-end benchmark and their interleaved timing.

``DenseSNN`` is the clock-driven PyTorch simulation the MST reference code
runs (``snn_validate``): every QCFS replaced by an IF neuron
(``train/snn.py``'s ``to_snn``), the unchanged forward called once per step on
the whole batch, outputs summed over the steps. ``MstsimRun`` is
``mstsim.engine.Simulator(graph).run(x, T)``.
"""
from __future__ import annotations

import os
import statistics
import time
from dataclasses import dataclass, field

import numpy as np
import torch

from e2e_models import ROOT  # noqa: F401  (puts the repository root on sys.path)
from mstsim.engine import Simulator
from train.qcfs import set_masking
from train.snn import reset, to_snn


PAUSE = 0.05  # seconds between timed runs


class DenseSNN:
    """``model`` with QCFS -> IF in float32, masks (``MaskSpike``) active at ``ratio``."""

    def __init__(self, model, ratio: float, seed: int):
        self.snn = to_snn(model, torch.float32)
        set_masking(self.snn, ratio)  # to_snn leaves them at 0 (bypassed)
        self.seed = seed

    @torch.no_grad()
    def run(self, x: np.ndarray, T: int) -> np.ndarray:
        """Summed logits after T steps, ``(B, classes)``."""
        torch.manual_seed(self.seed)  # MaskSpike draws from torch's global generator
        reset(self.snn)
        xt = torch.from_numpy(x)
        total = torch.zeros(())
        for _ in range(T):
            total = total + self.snn(xt)
        return total.numpy()


class MstsimRun:
    """One ``Simulator`` of ``graph``, run on whole batches (float32, mask seed 0)."""

    def __init__(self, graph):
        self.sim = Simulator(graph, dtype=np.float32, seed=0)
        self.result = None

    def run(self, x: np.ndarray, T: int) -> np.ndarray:
        self.result = self.sim.run(x, T, sample_ids=np.arange(x.shape[0], dtype=np.int64))
        return self.result.cum_logits[-1].reshape(x.shape[0], -1)


@dataclass
class Timing:
    """Wall and CPU times (seconds, all threads of the process) of interleaved repetitions,
    and the load average around them. CPU time is what a shared machine cannot inflate
    much: a process waiting for its turn on a core accrues wall time but no CPU time."""

    batch: int
    T: int
    dense: list = field(default_factory=list)
    mstsim: list = field(default_factory=list)
    dense_cpu: list = field(default_factory=list)
    mstsim_cpu: list = field(default_factory=list)
    load: tuple = ()
    acs: int = 0
    agree: float | None = None

    def per_sample_step_ms(self, times) -> float:
        return 1e3 * statistics.median(times) / (self.batch * self.T)

    def ratios(self, cpu: bool = False) -> list[float]:
        """Dense time / mstsim time of each interleaved pair (wall, or CPU time)."""
        if cpu:
            return [d / m for d, m in zip(self.dense_cpu, self.mstsim_cpu)]
        return [d / m for d, m in zip(self.dense, self.mstsim)]

    def ac_rate(self, cpu: bool = False) -> float:
        """Ledger ACs of one run / its median wall (or CPU) time."""
        return self.acs / statistics.median(self.mstsim_cpu if cpu else self.mstsim)


def _timed(fn, *args):
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn(*args)
    return time.perf_counter() - t0, time.process_time() - c0, out


def interleaved(dense: DenseSNN, sim: MstsimRun, x: np.ndarray, T: int, reps: int, same_weights: bool) -> Timing:
    """``reps`` pairs of runs, alternating which simulator goes first; one warm-up run of each first
    (Numba compilation or cache loading, torch's first-call set-up), not timed."""
    timing = Timing(batch=x.shape[0], T=T)
    dense.run(x, min(T, 2))
    sim.run(x, min(T, 2))
    load0 = os.getloadavg()[0]
    for r in range(reps):
        order = ((dense, timing.dense, timing.dense_cpu), (sim, timing.mstsim, timing.mstsim_cpu))
        for runner, times, cpu_times in (order if r % 2 == 0 else order[::-1]):
            # torch's idle OpenMP workers spin for a moment after its run; their CPU time would be
            # counted in the process time of whatever runs next, so let them park first
            time.sleep(PAUSE)
            t, cpu, logits = _timed(runner.run, x, T)
            times.append(t)
            cpu_times.append(cpu)
            if runner is dense:
                dense_logits = logits
            else:
                sim_logits = logits
    timing.load = (load0, os.getloadavg()[0])
    timing.acs = sim.result.ledger.total("acs")
    if same_weights:  # the same network in both: their predictions should mostly agree
        timing.agree = float((dense_logits.argmax(1) == sim_logits.argmax(1)).mean())
    return timing
