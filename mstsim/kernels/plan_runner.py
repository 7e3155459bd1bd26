"""The step-plan runner: steps ``t0 .. t1-1`` of one sample, every node, in one call.

The engine runs samples on several threads (the kernel releases the GIL);
one thread computes a whole sample in the order fixed by the plan, so
neither the batch size nor the thread count can change a bit. A lone sample
may instead be pipelined: one thread runs the first nodes of step t while
another runs the rest of step t - 1 (``mstsim.engine.pipeline``); each node
still runs whole, in order, on its inputs. Nodes marked static (fed by the
constant input only) run once per workspace; their counts are added at every
step.
"""
import numba as nb
import numpy as np

from .cycles import cycles
from .op_call import args_key, call_op
from .plan_entries import DENSIFY_AT, FILL_AT, KEY, SHADOW_IN_AT
from .plan_layout import ENTRY, NEED_DENSE, QUIET, SHD, SHD_IN, SHD_SRC, SIZE, STATIC
from .plan_shadow import quiet
from .sync import load_acquire, store_release, yield_cpu

SPINS_BEFORE_YIELD = 20_000  # about 10-20 microseconds of loads; then a sched_yield (~1 us) per look


@nb.njit(cache=True, nogil=True, error_model="numpy")
def run_sample(ops, code, ints, flts, f64, hashes, x_an, x_ev, wf, wi, st, cum, led, led_step, ids, seed, t0, t1,
               s, comp, prof, n_lo, n_hi, srow, fresh):
    """Steps t0..t1-1 of sample s, nodes n_lo..n_hi-1 (workspace rows ``wf``, ``wi``; state row ``st``).

    ``ops`` is the table of op entries (``mstsim.engine.compiling.op_table``).
    Static nodes run at step t0 when ``fresh`` (their output is not yet in
    this workspace), their counts kept in ``srow`` (nodes x columns) and
    added at every step. A non-empty ``prof`` (int64 per node) accumulates
    each node's CPU cycles.
    """
    n_cols = led.shape[1]
    # scratch of this call, not shared with another thread (a shared array's reference count
    # would bounce between the cores at every view an op takes of it)
    rows = np.zeros((code.shape[0], n_cols), dtype=np.int64)  # each node's counts this step
    largest = 1
    for j in range(code.shape[0]):  # a loop, not .max(): NumPy's reduction costs a second of compiling
        largest = max(largest, code[j, SIZE])
    flags = np.zeros(largest, dtype=np.uint8)  # the IF's fired flags
    if ops[KEY] != args_key((code, ints, flts, f64, hashes, x_an, x_ev, wf, wi, st, cum, ids, seed, comp, s, t0,
                             n_lo, rows[0], flags)):
        raise ValueError("the op table was compiled for other argument types")
    detail = led_step.shape[0] > 0
    profiling = prof.shape[0] > 0
    for t in range(t0, t1):
        for i in range(n_lo, n_hi):
            r = rows[i]
            static = code[i, STATIC] == 1
            if static and not (t == t0 and fresh):
                for c in range(n_cols):
                    r[c] = srow[i, c]
            else:
                for c in range(n_cols):
                    r[c] = 0
                args = (code, ints, flts, f64, hashes, x_an, x_ev, wf, wi, st, cum, ids, seed, comp, s, t, i, r, flags)
                c0 = cycles() if profiling else 0
                # node i's op through its entry, with the steps before (dense or underlying inputs) and after
                if code[i, NEED_DENSE] == 1:
                    call_op(_entry(ops, DENSIFY_AT), args)
                if code[i, SHD_IN] == 1:
                    call_op(_entry(ops, SHADOW_IN_AT), args)
                call_op(_entry(ops, code[i, ENTRY]), args)
                if code[i, QUIET] == 1:
                    quiet(r)
                if code[i, SHD] >= 0:
                    call_op(_entry(ops, FILL_AT + code[i, SHD_SRC]), args)
                if static:
                    for c in range(n_cols):
                        srow[i, c] = r[c]
                elif profiling:
                    prof[i] += cycles() - c0
            for c in range(n_cols):
                led[i, c] += r[c]
                if detail:
                    led_step[t, i, c] += r[c]


@nb.njit(cache=True, nogil=True, error_model="numpy")
def run_part(ops, code, ints, flts, f64, hashes, x_an, x_ev, wf2, wi2, st, cum, led, led_step, ids, seed, t0, t1,
             comp, prof, lo, hi, k, static2, fresh2, sync):
    """Part k (0 or 1) of a lone sample's steps t0..t1-1, pipelined (``mstsim.engine.pipeline``).

    In phase p part 0 runs nodes lo..hi-1 of step p and part 1 those of step
    p - 1; step t uses workspace t % 2 (rows of ``wf2``, ``wi2``, ``static2``;
    ``fresh2[w, k]`` is 1 until part k first used workspace w). After each
    phase a part publishes it in ``sync[k]`` and waits for the other's.
    """
    for phase in range(t0, t1 + 1):
        t = phase - k
        if t0 <= t < t1:
            w = t % 2
            run_sample(ops, code, ints, flts, f64, hashes, x_an, x_ev, wf2[w], wi2[w], st, cum, led, led_step, ids,
                       seed, t, t + 1, 0, comp, prof, lo, hi, static2[w], fresh2[w, k] == 1)
            fresh2[w, k] = 0
        store_release(sync, k, phase)
        spins = 0
        while load_acquire(sync, 1 - k) < phase:
            spins += 1
            if spins > SPINS_BEFORE_YIELD:
                yield_cpu()


@nb.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _entry(ops, slot):
    if ops[slot] == 0:
        raise ValueError("the op table has no entry compiled for a slot this plan uses")
    return ops[slot]
