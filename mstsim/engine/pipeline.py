"""A lone sample on two threads: the plan's nodes split in two parts, pipelined over the steps.

Samples of a batch already run in parallel, one whole sample per thread.
With one sample and two threads, part 0 runs nodes ``0 .. m-1`` of step t
while part 1 runs nodes ``m .. n-1`` of step t - 1. No node reads another
node's output from an earlier step (IF membranes and the output sum live in
the state, which each node alone touches), so the parts work in two
workspaces, step t in workspace t % 2, and meet once per step inside the
kernel (``kernels/sync.py``: a spin on each other's phase, since waking a
sleeping thread costs as much as a small network's step). Every node still
runs whole, in plan order, on the same inputs: the split changes no bit and
no count.

The first steps run on one thread, profiled, to place the split; then the
steps run in blocks of growing length, each re-split on the cycles its
nodes took in the block before, pipelined or on one thread, whichever was
faster on two short timed probes. A network whose step is too short for the meeting
to pay stays on one thread.
"""
from __future__ import annotations

import os
import threading
from typing import Callable

import numpy as np

from .threads import available_cpus

#: below this many cycles per step (about 0.35 ms; measured: the bundled mst_digits, 0.2 ms a step,
#: ran 12% slower pipelined, the 1 ms steps of mst_mnist 1.5x faster) one thread is faster
MIN_CYCLES_PER_STEP = 1_000_000
#: steps run on one thread, profiled, to see whether the step is long enough (the statics run here)
CALIBRATION_STEPS = 1
#: above this workspace per sample a second one is not worth its memory. (Measured: with workspaces
#: fresh every run, the Swin-T-size MST, 1.2 GB a workspace then, ran 1.4x slower pipelined, paying
#: the first touch of the second one each run; once runs reused them, 0.76 GB, 1.49x faster at
#: T = 24. ResNet-18 CIFAR, 13 MB: 1.2x faster. With tensors sharing workspace the Swin-T size
#: needs 48 MB.)
MAX_WORKSPACE_BYTES = 2 * 2**30
#: the first block (one thread, profiled, to place the split); each next block is twice as long
#: (a pipelined block ends with one half-idle step)
FIRST_BLOCK = 4
#: from this many cycles a step (about 5 ms), one profiled step places the split well enough, so the
#: first block is one step (a Swin-T-size step is ~800 M cycles: at T = 8 four profiled steps and
#: no short last block left nothing to pipeline)
LONG_STEP_CYCLES = 20_000_000

# whole(t0, t1, static_rows, fresh, cycles): steps t0..t1-1 of every node on workspace 0
Whole = Callable[[int, int, np.ndarray, bool, np.ndarray], None]
# part(t0, t1, lo, hi, k, static2, fresh2, sync, cycles): part k of steps t0..t1-1 (kernels.plan_runner.run_part)
Part = Callable[..., None]


def may_pipeline(plan) -> bool:
    """Whether a lone sample of this plan may run on two threads: its workspace is small enough, and the
    OS has ``sched_yield`` (POSIX), which the meeting calls."""
    return plan.workspace_bytes(1, 0) <= MAX_WORKSPACE_BYTES and hasattr(os, "sched_yield")


def split_point(cycles: np.ndarray) -> int:
    """m such that nodes 0..m-1 take about half of ``cycles`` (1 <= m < n)."""
    total = np.cumsum(np.asarray(cycles, dtype=np.float64))
    m = int(np.searchsorted(total, total[-1] / 2.0)) + 1
    return min(max(m, 1), len(total) - 1)


def run_lone_sample(whole: Whole, part: Part, n_nodes: int, n_cols: int, T: int, *, threads: int) -> bool:
    """Run steps 0..T-1 of one sample; True when some steps ran pipelined on two threads.

    The first steps run on one thread, profiled (one step when steps are long); then blocks of
    twice as many steps, then twice that ..., each split on the cycles of the one before, pipelined unless
    another job is runnable at that moment (then the parts would wait for
    each other's time slices, and one thread is faster).
    """
    static2 = np.zeros((2, n_nodes, n_cols), dtype=np.int64)
    first = min(CALIBRATION_STEPS, T)
    cycles = np.zeros(n_nodes, dtype=np.int64)
    whole(0, first, static2[0], True, cycles)
    if first == T:
        return False
    if threads < 2 or n_nodes < 2 or cycles.sum() / first < MIN_CYCLES_PER_STEP:
        whole(first, T, static2[0], False, np.zeros(0, dtype=np.int64))
        return False
    fresh2 = np.array([[0, 0], [1, 1]], dtype=np.int64)  # workspace 0 ran the first steps whole
    block = 1 if cycles.sum() / first >= LONG_STEP_CYCLES else FIRST_BLOCK
    t0, pipelined = first, False
    while t0 < T:
        t1 = T if T - t0 < 2 * block else t0 + block  # no short last block: it would end half idle
        if t0 > first and cpus_free() >= 1:
            cycles = _block(part, split_point(cycles), n_nodes, t0, t1, static2, fresh2)
            pipelined = True
        else:  # the first block places the split better than the calibration's early steps
            cycles = np.zeros(n_nodes, dtype=np.int64)
            whole(t0, t1, static2[0], False, cycles)
        t0, block = t1, 2 * block
    return pipelined


def cpus_free() -> int:
    """CPUs with nothing runnable on them now, besides the calling thread (Linux ``/proc/loadavg``)."""
    try:
        with open("/proc/loadavg") as f:
            running = int(f.read().split()[3].split("/")[0])
    except (OSError, ValueError, IndexError):
        return 1
    return available_cpus() - running


def _block(part: Part, m: int, n_nodes: int, t0: int, t1: int, static2, fresh2) -> np.ndarray:
    """Steps t0..t1-1 pipelined with split m; the cycles each node took."""
    sync = np.full(2, t0 - 1, dtype=np.int64)
    cycles = np.zeros((2, n_nodes), dtype=np.int64)
    errors: list[BaseException] = []

    def run(k: int, lo: int, hi: int) -> None:
        try:
            part(t0, t1, lo, hi, k, static2, fresh2, sync, cycles[k])
        except BaseException as exc:  # re-raised by the caller
            errors.append(exc)
            sync[k] = t1 + 1  # let the other part run out rather than wait forever

    second = threading.Thread(target=run, args=(1, m, n_nodes), daemon=True)
    second.start()
    run(0, 0, m)
    second.join()
    if errors:
        raise errors[0]
    return cycles.sum(axis=0)
