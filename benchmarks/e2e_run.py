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
    """Wall times of interleaved repetitions (seconds) and the load average around them."""

    batch: int
    T: int
    dense: list = field(default_factory=list)
    mstsim: list = field(default_factory=list)
    load: tuple = ()
    acs: int = 0
    agree: float | None = None

    def per_sample_step_ms(self, times) -> float:
        return 1e3 * statistics.median(times) / (self.batch * self.T)

    def ratios(self) -> list[float]:
        """Dense time / mstsim time of each interleaved pair."""
        return [d / m for d, m in zip(self.dense, self.mstsim)]

    def ac_rate(self) -> float:
        """Ledger ACs of one run / its median wall time."""
        return self.acs / statistics.median(self.mstsim)


def _timed(fn, *args):
    t0 = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - t0, out


def interleaved(dense: DenseSNN, sim: MstsimRun, x: np.ndarray, T: int, reps: int, same_weights: bool) -> Timing:
    """``reps`` pairs of runs, alternating which simulator goes first; one warm-up run of each first
    (Numba compilation or cache loading, torch's first-call set-up), not timed."""
    timing = Timing(batch=x.shape[0], T=T)
    dense.run(x, min(T, 2))
    sim.run(x, min(T, 2))
    load0 = os.getloadavg()[0]
    for r in range(reps):
        order = ((dense, timing.dense), (sim, timing.mstsim))
        for runner, times in (order if r % 2 == 0 else order[::-1]):
            t, logits = _timed(runner.run, x, T)
            times.append(t)
            if runner is dense:
                dense_logits = logits
            else:
                sim_logits = logits
    timing.load = (load0, os.getloadavg()[0])
    timing.acs = sim.result.ledger.total("acs")
    if same_weights:  # the same network in both: their predictions should mostly agree
        timing.agree = float((dense_logits.argmax(1) == sim_logits.argmax(1)).mean())
    return timing
