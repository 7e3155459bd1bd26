"""The step-plan runner: steps ``t0 .. t1-1`` of one sample, every node, in one call.

The engine runs samples on several threads (the kernel releases the GIL);
one thread computes a whole sample in the order fixed by the plan, so
neither the batch size nor the thread count can change a bit. Nodes marked
static (fed by the constant input only) run at the first step of the call;
their counts are added at every step.
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
               s, comp, prof):
    """Steps t0..t1-1 of sample s (workspace rows ``wf``, ``wi``; state row ``st``).

    A non-empty ``prof`` (int64 per node) accumulates each node's CPU cycles.
    """
    n_nodes = code.shape[0]
    srow = np.zeros((n_nodes, led.shape[1]), dtype=np.int64)
    row = np.zeros((n_nodes, led.shape[1]), dtype=np.int64)
    c_idx = wi[comp[0]:comp[0] + comp[1]]
    c_val = wf[comp[2]:comp[2] + comp[1]]
    n_cols = led.shape[1]
    flags = np.zeros(max(code[:, SIZE].max(), 1), dtype=np.uint8)  # IF scratch (fired flags)
    detail = led_step.shape[0] > 0
    profiling = prof.shape[0] > 0
    for t in range(t0, t1):
        for i in range(n_nodes):
            r = row[i]
            if code[i, STATIC] == 1:
                if t == t0:
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
        fill_shadow(code, ints, flts, wf, wi, i, row, c_val)
