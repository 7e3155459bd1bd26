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

from .plan_layout import (ADD, IF, INPUT_ANALOG, INPUT_EVENTS, IOFF, MASK, MATMUL, NEED_DENSE, OFF, OP, OUTPUT,
                          QUIET, REMAP, SHD, SHD_IN, SIZE, STATIC, SOFTMAX, MAX_POOL, LAYER_NORM, GELU, ELEMENTWISE,
                          EV_OUT)
from .cycles import cycles
from .plan_ops import add, densify_inputs, neuron, output, remap, synaptic
from .plan_ops_analog import analog, mask, matmul
from .plan_shadow import fill_shadow, quiet, shadow_inputs
from .sync import load_acquire, store_release, yield_cpu

SPINS_BEFORE_YIELD = 20_000  # about 10-20 microseconds of loads; then a sched_yield (~1 us) per look


@nb.njit(cache=True, nogil=True, error_model="numpy")
def _input(code, i, wf, wi, x_an, x_ev, s, t, row):
    o = code[i, OFF]
    if code[i, OP] == INPUT_ANALOG:
        for e in range(code[i, SIZE]):
            wf[o + e] = x_an[s, e]
        return
    k = 0
    oi = code[i, IOFF]
    if t < x_ev.shape[1]:
        for e in range(code[i, SIZE]):
            for _ in range(x_ev[s, t, e]):
                wi[oi + k] = e
                wf[o + k] = 1
                k += 1
    wi[i] = k
    row[EV_OUT] += k


@nb.njit(cache=True, nogil=True, error_model="numpy")
def run_sample(code, ints, flts, f64, hashes, x_an, x_ev, wf, wi, st, cum, led, led_step, ids, seed, t0, t1,
               s, comp, prof, n_lo, n_hi, srow, fresh):
    """Steps t0..t1-1 of sample s, nodes n_lo..n_hi-1 (workspace rows ``wf``, ``wi``; state row ``st``).

    Static nodes run at step t0 when ``fresh`` (their output is not yet in
    this workspace), their counts kept in ``srow`` (nodes x columns) and
    added at every step. A non-empty ``prof`` (int64 per node) accumulates
    each node's CPU cycles.
    """
    n_nodes = code.shape[0]
    row = np.zeros((n_nodes, led.shape[1]), dtype=np.int64)
    c_idx = wi[comp[0]:comp[0] + comp[1]]
    c_val = wf[comp[2]:comp[2] + comp[1]]
    n_cols = led.shape[1]
    flags = np.zeros(max(code[:, SIZE].max(), 1), dtype=np.uint8)  # IF scratch (fired flags)
    detail = led_step.shape[0] > 0
    profiling = prof.shape[0] > 0
    for t in range(t0, t1):
        for i in range(n_lo, n_hi):
            r = row[i]
            if code[i, STATIC] == 1:
                if t == t0 and fresh:
                    _dispatch(code, ints, flts, f64, hashes, x_an, x_ev, wf, wi, st, cum, ids, seed, s, t, i,
                              srow[i], c_idx, c_val, flags)
                for c in range(n_cols):
                    r[c] = srow[i, c]
            else:
                for c in range(n_cols):
                    r[c] = 0
                c0 = cycles() if profiling else 0
                _dispatch(code, ints, flts, f64, hashes, x_an, x_ev, wf, wi, st, cum, ids, seed, s, t, i,
                          r, c_idx, c_val, flags)
                if profiling:
                    prof[i] += cycles() - c0
            for c in range(n_cols):
                led[i, c] += r[c]
                if detail:
                    led_step[t, i, c] += r[c]


@nb.njit(cache=True, nogil=True, error_model="numpy")
def run_part(code, ints, flts, f64, hashes, x_an, x_ev, wf2, wi2, st, cum, led, led_step, ids, seed, t0, t1,
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
            run_sample(code, ints, flts, f64, hashes, x_an, x_ev, wf2[w], wi2[w], st, cum, led, led_step, ids,
                       seed, t, t + 1, 0, comp, prof, lo, hi, static2[w], fresh2[w, k] == 1)
            fresh2[w, k] = 0
        store_release(sync, k, phase)
        spins = 0
        while load_acquire(sync, 1 - k) < phase:
            spins += 1
            if spins > SPINS_BEFORE_YIELD:
                yield_cpu()


@nb.njit(cache=True, nogil=True, error_model="numpy")
def _dispatch(code, ints, flts, f64, hashes, x_an, x_ev, wf, wi, st, cum, ids, seed, s, t, i, row, c_idx, c_val,
              flags):
    op = code[i, OP]
    if code[i, NEED_DENSE] == 1:
        densify_inputs(code, ints, wf, wi, i)
    if code[i, SHD_IN] == 1:
        shadow_inputs(code, ints, wi, i, row)
    if op == IF:
        neuron(code, ints, flts, wf, wi, st, i, row, flags)
    elif op == INPUT_ANALOG or op == INPUT_EVENTS:
        _input(code, i, wf, wi, x_an, x_ev, s, t, row)
    elif op == ADD:
        add(code, ints, wf, wi, i, row)
    elif op == REMAP:
        remap(code, ints, wf, wi, i, row)
    elif op == OUTPUT:
        output(code, ints, wf, wi, st, i, row, cum[t, s])
    elif op == SOFTMAX or op == LAYER_NORM or op == GELU or op == MAX_POOL or op == ELEMENTWISE:
        analog(code, ints, flts, f64, wf, wi, i, row)
    elif op == MATMUL:
        matmul(code, ints, wf, wi, i, row)
    elif op == MASK:
        mask(code, ints, f64, hashes, wf, wi, i, row, seed, ids[s], t)
    else:
        synaptic(code, ints, flts, wf, wi, i, row, c_idx, c_val)
    if code[i, QUIET] == 1:
        quiet(row)
    if code[i, SHD] >= 0:
        fill_shadow(code, ints, flts, wf, wi, i, row, c_idx, c_val)
