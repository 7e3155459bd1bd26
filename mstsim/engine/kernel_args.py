"""The arguments of the plan runner (``kernels.plan_runner.run_sample``) and the kernels a run compiles.

``Simulator.run`` calls the runner with ``runner_args``; ``run_jobs`` gives
the (dispatcher, argument types) that a run with those arrays needs
compiled: the runner and the plan's op entries. ``ahead_jobs`` predicts
them from the plan and the dtype alone, with stand-in arrays of the same
kinds (dtype, dimensions, layout), so that compiling can start before the
run (``compiling.start_ahead``); ``tests/engine/test_op_table.py`` checks
that the prediction is what a run uses.
"""
from __future__ import annotations

import numba as nb
import numpy as np

from ..kernels.plan_entries import N_SLOTS, entry_types, slots_of
from ..kernels.plan_runner import run_sample
from ..ledger import COLUMNS
from .compiling import entry_jobs


def runner_args(ops, plan, x_an, x_ev, wf, wi, st, cum, led, led_step, ids, seed, t0, t1, s, prof,
                srow, fresh) -> tuple:
    """``run_sample``'s arguments for steps t0..t1-1 of sample s, every node (rows of the per-slot arrays)."""
    return (ops, plan.code, plan.ints, plan.flts, plan.f64, plan.hashes, x_an, x_ev, wf, wi, st, cum, led, led_step,
            ids, seed, t0, t1, s, plan.comp, prof, 0, plan.code.shape[0], srow, fresh)


def run_jobs(plan, x_an, x_ev, wf, wi, st, cum, led, led_step, ids, seed, prof) -> tuple[tuple, list, list]:
    """(the entries' argument types, the slots the plan calls, the other kernels to compile: the runner)."""
    srow = np.zeros((plan.code.shape[0], len(COLUMNS)), np.int64)
    runner = runner_args(np.zeros(N_SLOTS, np.int64), plan, x_an, x_ev, wf, wi, st, cum, led, led_step, ids, seed,
                         0, 1, 0, prof, srow, True)
    types = entry_types(plan.code, plan.ints, plan.flts, plan.f64, plan.hashes, x_an, x_ev, wf, wi, st, cum, ids,
                        seed, plan.comp)
    return types, slots_of(plan.code), [(run_sample, tuple(nb.typeof(a) for a in runner))]


def ahead_jobs(plan, dtype, stream: bool) -> list:
    """Every job a run of ``plan`` in ``dtype`` will need, from stand-ins of the run's arrays."""
    f, i = np.dtype(dtype), np.int64
    x_an = np.zeros((1, 0 if stream else 1), f)
    x_ev = np.zeros((1, 1, 1) if stream else (1, 0, 0), i)
    row = lambda dt: np.zeros((1, 1), dt)[0]  # noqa: E731 (a row of a per-slot or per-sample array)
    types, slots, also = run_jobs(plan, x_an, x_ev, row(f), row(i), row(f), np.zeros((1, 1, 1), f),
                                  np.zeros((1, 1, len(COLUMNS)), i)[0], np.zeros((1, 0, 1, len(COLUMNS)), i)[0],
                                  np.arange(1), np.uint64(0), np.zeros((1, 0), i)[0])
    return entry_jobs(types, slots) + also
