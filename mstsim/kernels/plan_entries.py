"""The plan's entries: each op body behind one signature, and the table of their addresses.

The runner (``plan_runner``) calls a node's op as ``call_op(table[slot],
args)``, ``args`` being the same tuple for every entry (``ENTRY_ARGS``), so
each entry is compiled once, on its own (``op_call`` says why), and only
when a plan uses it: a network without Gelu never compiles the erf. The
plan stores each node's slot (``ENTRY``, from ``entry_of``);
``mstsim.engine.compiling.op_table`` compiles the entries a plan needs for
the runner's argument types and makes the table of their addresses.
"""
import numba as nb
import numpy as np
from numba import types

from .plan_layout import (ADD, AFFINE, CONCAT, CONV, COPY, ELEMENTWISE, ENTRY, EV_OUT, GELU, IF, INPUT_ANALOG,
                          INPUT_EVENTS, INS, IOFF, LAYER_NORM, MASK, MATMUL, MAX_POOL, MOVE, NEED_DENSE, OFF, ONE_TO_ONE,
                          OP, OUTPUT, P0, POOL_SUM, REMAP, SHD, SHD_IN, SHD_SRC, SIZE, SOFTMAX, TOUCHED)
from .plan_ops import add, densify_inputs, neuron, output, remap, synaptic
from .plan_ops_analog import (elementwise, elementwise_binary, gelu_node, layer_norm_node, mask, matmul,
                              max_pool_node, softmax_node)
from .plan_shadow import merge_counts, move_counts, shadow_inputs, touched

#: every entry's arguments, in order (``row``: node i's counts this step, which it adds to)
ENTRY_ARGS = ("code", "ints", "flts", "f64", "hashes", "x_an", "x_ev", "wf", "wi", "st", "cum", "ids", "seed",
              "comp", "s", "t", "i", "row", "flags")

# table slots: the key of the argument types, one per op code, the two input steps, the four shadow sources
KEY = 0
OP_AT = 1
DENSIFY_AT = OP_AT + 17
SHADOW_IN_AT = DENSIFY_AT + 1
FILL_AT = SHADOW_IN_AT + 1  # + the node's SHD_SRC
BINARY_AT = FILL_AT + 5  # an elementwise node on the fast path (plan_ops_analog.is_binary)
N_SLOTS = BINARY_AT + 1

_jit = nb.njit(cache=True, nogil=True, error_model="numpy")


@_jit
def e_input(code, ints, flts, f64, hashes, x_an, x_ev, wf, wi, st, cum, ids, seed, comp, s, t, i, row, flags):
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


@_jit
def e_if(code, ints, flts, f64, hashes, x_an, x_ev, wf, wi, st, cum, ids, seed, comp, s, t, i, row, flags):
    neuron(code, ints, flts, wf, wi, st, i, row, flags)


@_jit
def e_add(code, ints, flts, f64, hashes, x_an, x_ev, wf, wi, st, cum, ids, seed, comp, s, t, i, row, flags):
    add(code, ints, wf, wi, i, row)


@_jit
def e_remap(code, ints, flts, f64, hashes, x_an, x_ev, wf, wi, st, cum, ids, seed, comp, s, t, i, row, flags):
    remap(code, ints, wf, wi, i, row)


@_jit
def e_output(code, ints, flts, f64, hashes, x_an, x_ev, wf, wi, st, cum, ids, seed, comp, s, t, i, row, flags):
    output(code, ints, wf, wi, st, i, row, cum[t, s])


@_jit
def e_softmax(code, ints, flts, f64, hashes, x_an, x_ev, wf, wi, st, cum, ids, seed, comp, s, t, i, row, flags):
    softmax_node(code, ints, wf, wi, i, row)


@_jit
def e_layer_norm(code, ints, flts, f64, hashes, x_an, x_ev, wf, wi, st, cum, ids, seed, comp, s, t, i, row,
                 flags):
    layer_norm_node(code, ints, flts, f64, wf, wi, i, row)


@_jit
def e_gelu(code, ints, flts, f64, hashes, x_an, x_ev, wf, wi, st, cum, ids, seed, comp, s, t, i, row, flags):
    gelu_node(code, ints, wf, wi, i, row)


@_jit
def e_max_pool(code, ints, flts, f64, hashes, x_an, x_ev, wf, wi, st, cum, ids, seed, comp, s, t, i, row, flags):
    max_pool_node(code, ints, wf, wi, i, row)


@_jit
def e_elementwise(code, ints, flts, f64, hashes, x_an, x_ev, wf, wi, st, cum, ids, seed, comp, s, t, i, row,
                  flags):
    elementwise(code, ints, flts, wf, wi, i, row)


@_jit
def e_binary(code, ints, flts, f64, hashes, x_an, x_ev, wf, wi, st, cum, ids, seed, comp, s, t, i, row, flags):
    elementwise_binary(code, ints, flts, wf, wi, i, row)


@_jit
def e_matmul(code, ints, flts, f64, hashes, x_an, x_ev, wf, wi, st, cum, ids, seed, comp, s, t, i, row, flags):
    matmul(code, ints, wf, wi, i, row)


@_jit
def e_mask(code, ints, flts, f64, hashes, x_an, x_ev, wf, wi, st, cum, ids, seed, comp, s, t, i, row, flags):
    mask(code, ints, f64, hashes, wf, wi, i, row, seed, ids[s], t)


@_jit
def e_synaptic(code, ints, flts, f64, hashes, x_an, x_ev, wf, wi, st, cum, ids, seed, comp, s, t, i, row, flags):
    synaptic(code, ints, flts, wf, wi, i, row, wi[comp[0]:comp[0] + comp[1]], wf[comp[2]:comp[2] + comp[1]])


@_jit
def e_densify(code, ints, flts, f64, hashes, x_an, x_ev, wf, wi, st, cum, ids, seed, comp, s, t, i, row, flags):
    densify_inputs(code, ints, wf, wi, i)


@_jit
def e_shadow_inputs(code, ints, flts, f64, hashes, x_an, x_ev, wf, wi, st, cum, ids, seed, comp, s, t, i, row,
                    flags):
    shadow_inputs(code, ints, wi, i, row)


# the underlying events of node i's output, after the node ran, by their source (SHD_SRC)
@_jit
def e_fill_copy(code, ints, flts, f64, hashes, x_an, x_ev, wf, wi, st, cum, ids, seed, comp, s, t, i, row, flags):
    _filled(wi, i, row, wi[ints[code[i, INS]]])  # an alias of its one input's


@_jit
def e_fill_concat(code, ints, flts, f64, hashes, x_an, x_ev, wf, wi, st, cum, ids, seed, comp, s, t, i, row,
                  flags):
    _filled(wi, i, row, merge_counts(code, ints, wi, i))


@_jit
def e_fill_move(code, ints, flts, f64, hashes, x_an, x_ev, wf, wi, st, cum, ids, seed, comp, s, t, i, row, flags):
    _filled(wi, i, row, move_counts(code, ints, wi, i))


@_jit
def e_fill_touched(code, ints, flts, f64, hashes, x_an, x_ev, wf, wi, st, cum, ids, seed, comp, s, t, i, row,
                   flags):
    _filled(wi, i, row, touched(code, ints, flts, wf, wi, i, wi[comp[0]:comp[0] + comp[1]],
                                    wf[comp[2]:comp[2] + comp[1]]))


@nb.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _filled(wi, i, row, k):
    wi[i] = k
    row[EV_OUT] += k


ENTRIES = {OP_AT + INPUT_ANALOG: e_input, OP_AT + INPUT_EVENTS: e_input, OP_AT + IF: e_if, OP_AT + ADD: e_add,
           OP_AT + REMAP: e_remap, OP_AT + OUTPUT: e_output, OP_AT + SOFTMAX: e_softmax,
           OP_AT + LAYER_NORM: e_layer_norm, OP_AT + GELU: e_gelu, OP_AT + MAX_POOL: e_max_pool,
           OP_AT + ELEMENTWISE: e_elementwise, OP_AT + MATMUL: e_matmul, OP_AT + MASK: e_mask,
           OP_AT + AFFINE: e_synaptic, OP_AT + CONV: e_synaptic, OP_AT + POOL_SUM: e_synaptic,
           OP_AT + ONE_TO_ONE: e_synaptic, DENSIFY_AT: e_densify, SHADOW_IN_AT: e_shadow_inputs,
           FILL_AT: e_fill_touched, FILL_AT + COPY: e_fill_copy, FILL_AT + TOUCHED: e_fill_touched,
           FILL_AT + CONCAT: e_fill_concat, FILL_AT + MOVE: e_fill_move, BINARY_AT: e_binary}
assert sorted(ENTRIES) == list(range(1, N_SLOTS))

#: the types of the entries' other arguments: the runner's loop indices (s, t, i) and its scratch (row, flags)
RUNNER_MADE = (types.int64, types.int64, types.int64, types.Array(types.int64, 1, "C"),
               types.Array(types.uint8, 1, "C"))


def entry_of(row: np.ndarray) -> int:
    """The slot of a plan node's op (its code row)."""
    if row[OP] == ELEMENTWISE and row[P0] <= 3 and row[P0 + 1] == 2:  # plan_ops_analog.is_binary
        return BINARY_AT
    return OP_AT + int(row[OP])


def slots_of(code: np.ndarray) -> list[int]:
    """Every slot a plan's runner calls."""
    used = set(code[:, ENTRY].tolist())
    used |= {DENSIFY_AT} if (code[:, NEED_DENSE] == 1).any() else set()
    used |= {SHADOW_IN_AT} if (code[:, SHD_IN] == 1).any() else set()
    used |= {FILL_AT + int(src) for src in code[code[:, SHD] >= 0, SHD_SRC]}
    return sorted(used)


def entry_types(*given) -> tuple:
    """The entries' argument types: ``given`` are the runner's own arguments code .. comp (ENTRY_ARGS)."""
    assert len(given) + len(RUNNER_MADE) == len(ENTRY_ARGS)
    return tuple(nb.typeof(a) for a in given) + RUNNER_MADE


def entry_address(slot: int, arg_types: tuple) -> int:
    """The address of slot's entry compiled for ``arg_types`` (compiled now, or loaded from Numba's cache)."""
    entry = ENTRIES[slot]
    entry.compile(arg_types)
    compiled = entry.overloads[arg_types]
    return compiled.library.get_pointer_to_function(compiled.fndesc.llvm_func_name)
