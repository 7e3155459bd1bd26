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
    rows, flags = _scratch(ops, code, ints, flts, f64, hashes, x_an, x_ev, wf, wi, st, cum, ids, seed, comp, s,
                           t0, led)
    for t in range(t0, t1):
        for i in range(n_lo, n_hi):
            _run_node(ops, code, ints, flts, f64, hashes, x_an, x_ev, wf, wi, st, cum, led, led_step, ids, seed,
                      comp, s, t, i, rows[i], flags, srow, t == t0 and fresh, prof)


@nb.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _scratch(ops, code, ints, flts, f64, hashes, x_an, x_ev, wf, wi, st, cum, ids, seed, comp, s, t, led):
    """Each node's counts of a step and the IF's fired flags, for this call alone (a shared array's
    reference count would bounce between the cores at every view an op takes of it); checks the table."""
    rows = np.zeros((code.shape[0], led.shape[1]), dtype=np.int64)
    largest = 1
    for j in range(code.shape[0]):  # a loop, not .max(): NumPy's reduction costs a second of compiling
        largest = max(largest, code[j, SIZE])
    flags = np.zeros(largest, dtype=np.uint8)
    if ops[KEY] != args_key((code, ints, flts, f64, hashes, x_an, x_ev, wf, wi, st, cum, ids, seed, comp, s, t,
                             np.int64(0), rows[0], flags)):
        raise ValueError("the op table was compiled for other argument types")
    return rows, flags


@nb.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _run_node(ops, code, ints, flts, f64, hashes, x_an, x_ev, wf, wi, st, cum, led, led_step, ids, seed, comp,
              s, t, i, r, flags, srow, run_static, prof):
    """Node i at step t, its counts in ``r`` then added to the ledger; a static node's op only when
    ``run_static``, else its kept counts."""
    n_cols = led.shape[1]
    static = code[i, STATIC] == 1
    if static and not run_static:
        for c in range(n_cols):
            r[c] = srow[i, c]
    else:
        for c in range(n_cols):
            r[c] = 0
        args = (code, ints, flts, f64, hashes, x_an, x_ev, wf, wi, st, cum, ids, seed, comp, s, t, i, r, flags)
        profiling = prof.shape[0] > 0
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
    detail = led_step.shape[0] > 0
    for c in range(n_cols):
        led[i, c] += r[c]
        if detail:
            led_step[t, i, c] += r[c]


#: fields of a pipelined block's ``sync``: part 0's last step handed over; part 1's progress (``progress_at``);
#: from SPLITS, where part 1 takes over each step (step t at SPLITS + t % 4)
HANDED, PROGRESS, SPLITS = 0, 1, 2


@nb.njit(cache=True, nogil=True, error_model="numpy")
def run_part(ops, code, ints, flts, f64, hashes, x_an, x_ev, wf2, wi2, st, cum, led, led_step, ids, seed, t0, t1,
             comp, prof, k, static2, fresh2, sync):
    """Part k (0 or 1) of a lone sample's steps t0..t1-1, pipelined (``mstsim.engine.pipeline``).

    Step t uses workspace t % 2 (rows of ``wf2``, ``wi2``, ``static2``;
    ``fresh2[w, k]`` is 1 until part k first used workspace w). Part 0 runs
    the first nodes of step t while part 1 runs the rest of step t - 1, and
    hands the rest of step t over as soon as part 1 is free: where the work
    of a step lies (it moves to the deeper nodes over the first steps) then
    sets the split, step by step. A node whose previous step part 1 ran waits
    until part 1 is past it (its membranes and running sums are its own
    state), and part 0 starts step t once part 1 has left that workspace
    (step t - 2). Every node still runs whole, in order, once a step.
    """
    n = code.shape[0]
    s = np.int64(0)  # the lone sample; not the literal 0, which would type the ops' arguments otherwise
    rows, flags = _scratch(ops, code, ints, flts, f64, hashes, x_an, x_ev, wf2[0], wi2[0], st, cum, ids, seed,
                           comp, s, t0, led)
    for t in range(t0, t1):
        w = t % 2
        fresh = fresh2[w, k] == 1
        if k == 0:
            prev = sync[SPLITS + (t - 1) % 4] if t > t0 else 0  # the nodes part 0 ran of step t - 1
            _wait(sync, PROGRESS, progress_at(n, t - 2, n))
            i = 0
        else:
            _wait(sync, HANDED, t)
            prev, i = n, sync[SPLITS + t % 4]
        while i < n:  # one call site of the inlined node: each costs a second of compiling
            if k == 0:
                if i >= prev:  # step t - 1 of node i is part 1's: wait until it is done
                    _wait(sync, PROGRESS, progress_at(n, t - 1, i + 1))
                if load_acquire(sync, PROGRESS) >= progress_at(n, t - 1, n):
                    break  # part 1 is free: the rest of step t is its
            _run_node(ops, code, ints, flts, f64, hashes, x_an, x_ev, wf2[w], wi2[w], st, cum, led, led_step,
                      ids, seed, comp, s, t, i, rows[i], flags, static2[w], fresh, prof)
            i += 1
            if k == 1:
                store_release(sync, PROGRESS, progress_at(n, t, i))
        if k == 0:
            sync[SPLITS + t % 4] = i
            store_release(sync, HANDED, t)
        else:
            store_release(sync, PROGRESS, progress_at(n, t, n))
        fresh2[w, k] = 0


@nb.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def progress_at(n, t, i):
    """Part 1's progress as one increasing number: nodes below i of step t done (i = n: the whole step)."""
    return (t + 1) * (n + 1) + i


@nb.njit(cache=True, nogil=True, error_model="numpy")
def _wait(sync, field, at_least):
    spins = 0
    while load_acquire(sync, field) < at_least:
        spins += 1
        if spins > SPINS_BEFORE_YIELD:
            yield_cpu()


@nb.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _entry(ops, slot):
    if ops[slot] == 0:
        raise ValueError("the op table has no entry compiled for a slot this plan uses")
    return ops[slot]
