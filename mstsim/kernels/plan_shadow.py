"""Underlying events of affine-of-events tensors: carried along, and counted (docs/accounting.md).

The values of such a tensor stay dense in the workspace (the arithmetic is
unchanged); its underlying events are a list of element indices at
``wi[code[j, SHD]:]`` with their count in ``wi[j]``. These kernels build the
lists (copy, merge, move along a remap, a pool's touched outputs) and charge
what a spike-driven implementation pays for them.
"""
import numba as nb

from .plan_layout import (ACS, BIAS, CONCAT, COPY, EFF, ELEM, EV_IN, EV_OUT, INS, IOFF, KIND, MACS, MARK, MAT,
                          MOVE, NIN, OP, P0, POOL_SUM, SHD, SHD_OFS, SHD_SRC, SIZE)
from .sample_synapses import compact, fanout_sum, scatter_one_to_one, scatter_pool_sum


@nb.njit(cache=True, nogil=True, error_model="numpy")
def underlying_of(code, wi, j):
    """(indices, count) of node j's events, or of the events underlying its affine-of-events output."""
    n = wi[j]
    start = code[j, IOFF] if code[j, KIND] == 1 else code[j, SHD]
    return wi[start:start + n], n


@nb.njit(cache=True, nogil=True, error_model="numpy")
def count_underlying(code, ints, wi, j, fan, eff, row):
    """ACs of node j's underlying events: ``ints[fan + i]`` each (one each when fan < 0)."""
    idx, n = underlying_of(code, wi, j)
    if fan < 0:
        row[ACS] += n
        row[EFF] += n
        return
    acs = fanout_sum(idx, n, ints, fan)
    row[ACS] += acs
    row[EFF] += acs if eff < 0 else fanout_sum(idx, n, ints, eff)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def shadow_inputs(code, ints, wi, i, row):
    """Events arriving through affine-of-events inputs; a node that needs their values pays for them."""
    for k in range(code[i, NIN]):
        j = ints[code[i, INS] + k]
        if code[j, KIND] == 1 or code[j, SHD] < 0:
            continue
        row[EV_IN] += wi[j]
        if code[i, MAT] == 1:  # materialised: one AC per event into the dense tensor, plus the offset
            row[ACS] += wi[j]
            row[EFF] += wi[j]
            if code[j, SHD_OFS] == 1:
                row[BIAS] += code[j, SIZE]


@nb.njit(cache=True, nogil=True, error_model="numpy")
def quiet(row):
    """A node folded into its consumers costs nothing."""
    row[ACS] = 0
    row[EFF] = 0
    row[MACS] = 0
    row[BIAS] = 0
    row[ELEM] = 0


@nb.njit(cache=True, nogil=True, error_model="numpy")
def fill_shadow(code, ints, flts, wf, wi, i, row, c_val):
    """The underlying events of node i's output, after the node ran."""
    src = code[i, SHD_SRC]
    out = wi[code[i, SHD]:]
    k = 0
    if src == COPY or src == CONCAT:
        for q in range(code[i, NIN]):
            idx, n = underlying_of(code, wi, ints[code[i, INS] + q])
            for e in range(n):
                out[k + e] = idx[e]
            k += n
    elif src == MOVE:
        for q in range(code[i, NIN]):
            idx, n = underlying_of(code, wi, ints[code[i, INS] + q])
            k = move_indices(idx, n, ints[code[i, P0 + 2] + q], ints, code[i, P0], code[i, P0 + 1], out, k)
    else:
        k = touched(code, ints, flts, wf, wi, i, out, c_val)
    wi[i] = k
    row[EV_OUT] += k


@nb.njit(cache=True, nogil=True, error_model="numpy")
def move_indices(idx, n, offset, ints, p_off, t_off, out, start):
    """Each index at global input ``offset + idx`` to all its targets (the remap's inverse map; a
    bijection's when ``p_off`` is -1)."""
    k = start
    if p_off == -1:
        for e in range(n):
            out[k + e] = ints[t_off + offset + idx[e]]
        return k + n
    for e in range(n):
        g = p_off + offset + idx[e]
        for q in range(ints[g], ints[g + 1]):
            out[k] = ints[t_off + q]
            k += 1
    return k


@nb.njit(cache=True, nogil=True, error_model="numpy")
def touched(code, ints, flts, wf, wi, i, out, c_val):
    """The pooled elements some input event reaches, ascending (pool rule "events")."""
    idx, n = underlying_of(code, wi, ints[code[i, INS]])
    m = code[i, MARK]
    size = code[i, SIZE]
    for e in range(size):
        wf[m + e] = 0
    ones = flts[code[i, MARK + 1]:]
    if code[i, OP] == POOL_SUM:
        scatter_pool_sum(idx, ones, n, ints, code[i, P0 + 6], wf, m)
    else:
        scatter_one_to_one(idx, ones, n, ints, code[i, P0 + 6], flts, 0, False, wf, m)
    return compact(wf[m:m + size], size, out, c_val)
