"""A lone sample on two threads: the plan's nodes split in two parts, pipelined over the steps.

Samples of a batch already run in parallel, one whole sample per thread.
With one sample and two threads, part 0 runs the first nodes of step t while
part 1 runs the rest of step t - 1, and part 0 hands the rest of step t
over as soon as part 1 is free (``kernels.plan_runner.run_part``), so the
split follows the work step by step. No node reads another node's output
from an earlier step (IF membranes and the output sum live in the state,
which a node's next step touches only after its last), so the parts work in
two workspaces, step t in workspace t % 2, and watch each other's progress
inside the kernel (``kernels/sync.py``: a spin on each other's marks, since
waking a sleeping thread costs as much as a small network's step). Every
node still runs whole, in plan order, on the same inputs: the split changes
no bit and no count.

The first step runs on one thread, profiled, to see whether a step is long
enough for two threads to pay; a long step runs the rest pipelined in one
block, a short one in blocks of growing length, each pipelined or on one
thread, whichever the machine's load allows. A network whose step is too
short stays on one thread.
"""
from __future__ import annotations

import os
import threading
from typing import Callable

import numpy as np

from ..kernels import plan_layout as L
from ..kernels.plan_runner import HANDED, PROGRESS, SPLITS, progress_at
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
#: short steps run in blocks, the first this long, each next twice as long, each pipelined or not by
#: the load at its start (a pipelined block ends with one half-idle step)
FIRST_BLOCK = 4
#: from this many cycles a step (about 5 ms) the rest runs in one pipelined block (a Swin-T-size
#: step is ~400 M cycles; at T = 8 its earlier blocks of 1, 2 and 4 steps left two steps on one
#: thread and two half idle)
LONG_STEP_CYCLES = 20_000_000
#: a plan with this many output elements has steps far longer than that (the Swin-T size: 48 M
#: elements, ~400 M cycles a step), so it is pipelined from its first step, with no step on one thread
SURELY_LONG_ELEMENTS = 10_000_000

# whole(t0, t1, static_rows, fresh, cycles): steps t0..t1-1 of every node on workspace 0
Whole = Callable[[int, int, np.ndarray, bool, np.ndarray], None]
# part(t0, t1, k, static2, fresh2, sync, cycles): part k of steps t0..t1-1 (kernels.plan_runner.run_part)
Part = Callable[..., None]


def may_pipeline(plan) -> bool:
    """Whether a lone sample of this plan may run on two threads: its workspace is small enough, and the
    OS has ``sched_yield`` (POSIX), which the meeting calls."""
    return plan.workspace_bytes(1, 0) <= MAX_WORKSPACE_BYTES and hasattr(os, "sched_yield")


def surely_long(plan) -> bool:
    """Whether the plan's steps are long enough to pipeline without measuring one."""
    return int(plan.code[:, L.SIZE].sum()) >= SURELY_LONG_ELEMENTS


def run_lone_sample(whole: Whole, part: Part, n_nodes: int, n_cols: int, T: int, *, threads: int,
                    long_plan: bool = False) -> bool:
    """Run steps 0..T-1 of one sample; True when some steps ran pipelined on two threads.

    ``long_plan`` (``surely_long``): every step pipelined in one block. Else the first step runs
    on one thread, profiled; a long step (``LONG_STEP_CYCLES``) then runs the
    rest in one block, a short one in blocks of ``FIRST_BLOCK`` steps, then twice as many each
    time; a block is pipelined unless another job is runnable at its start (then the parts would
    wait for each other's time slices, and one thread is faster).
    """
    static2 = np.zeros((2, n_nodes, n_cols), dtype=np.int64)
    if long_plan and threads >= 2 and n_nodes >= 2 and cpus_free() >= 1:  # (surely_long)
        _block(part, n_nodes, 0, T, static2, np.ones((2, 2), dtype=np.int64))
        return True
    first = min(CALIBRATION_STEPS, T)
    cycles = np.zeros(n_nodes, dtype=np.int64)
    whole(0, first, static2[0], True, cycles)
    if first == T:
        return False
    if threads < 2 or n_nodes < 2 or cycles.sum() / first < MIN_CYCLES_PER_STEP:
        whole(first, T, static2[0], False, np.zeros(0, dtype=np.int64))
        return False
    fresh2 = np.array([[0, 0], [1, 1]], dtype=np.int64)  # workspace 0 ran the first steps whole
    long = cycles.sum() / first >= LONG_STEP_CYCLES
    block = T if long else FIRST_BLOCK
    t0, pipelined = first, False
    while t0 < T:
        t1 = T if T - t0 < 2 * block else t0 + block  # no short last block: it would end half idle
        if cpus_free() >= 1:
            _block(part, n_nodes, t0, t1, static2, fresh2)
            pipelined = True
        else:
            whole(t0, t1, static2[0], False, np.zeros(0, dtype=np.int64))
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


def _block(part: Part, n_nodes: int, t0: int, t1: int, static2, fresh2) -> None:
    """Steps t0..t1-1 pipelined (``sync``: the fields HANDED, PROGRESS, SPLITS of kernels.plan_runner)."""
    sync = np.zeros(SPLITS + 4, dtype=np.int64)
    sync[HANDED] = t0 - 1  # every step before t0 handed over
    sync[PROGRESS] = progress_at.py_func(n_nodes, t0 - 1, n_nodes)  # and done
    cycles = np.zeros((2, 0), dtype=np.int64)
    errors: list[BaseException] = []

    def run(k: int) -> None:
        try:
            part(t0, t1, k, static2, fresh2, sync, cycles[k])
        except BaseException as exc:  # re-raised by the caller
            errors.append(exc)
            sync[HANDED] = t1 + 1  # let the other part run out rather than wait forever
            sync[PROGRESS] = progress_at.py_func(n_nodes, t1 + 1, 0)

    second = threading.Thread(target=run, args=(1,), daemon=True)
    second.start()
    run(0)
    second.join()
    if errors:
        raise errors[0]
