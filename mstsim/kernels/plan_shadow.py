"""Underlying events of affine-of-events tensors: carried along, and counted (docs/accounting.md).

The values of such a tensor stay dense in the workspace (the arithmetic is
unchanged); its underlying events sit at ``wi[code[j, SHD]:]``, their number
in ``wi[j]``, as a list of element indices (an event tensor's own list, which
a copy aliases; a pool's touched outputs) or, for merges and moves (form
``EITHER``), as whichever is cheaper this step: the list while they are
sparse, else one int64 count per element. A remap moves counts by the same
gather as the values, in time proportional to the tensor and with no
inverse map to look up per event; a sparse list moves faster than that.
Both forms have the same totals, so the choice never changes a count.
These kernels build them and charge what a spike-driven implementation
pays for them.
"""
import numba as nb

import numpy as np

from .plan_layout import (ACS, BIAS, CNT_AT, EFF, EITHER, ELEM, EV_IN, INS, IOFF, KIND, MACS, MARK, MAT, MOVE_FAN,
                          NIN, OP, P0, POOL_SUM, SHD, SHD_FLAG, SHD_FORM, SHD_LEN, SHD_OFS, SHD_SPARSE, SIZE)
from .sample_analog import map_gather
from .sample_synapses import compact, fanout_sum, scatter_one_to_one, scatter_pool_sum


@nb.njit(cache=True, nogil=True, error_model="numpy")
def has_counts(code, wi, j):
    """Whether node j's underlying events are kept as a count per element this step."""
    return code[j, KIND] == 0 and code[j, SHD_FORM] == EITHER and wi[code[j, SHD_FLAG]] == 1


@nb.njit(cache=True, nogil=True, error_model="numpy")
def underlying_list(code, wi, j):
    """(indices, count) of node j's events, or of the ``LIST`` underlying its affine-of-events output."""
    n = wi[j]
    start = code[j, IOFF] if code[j, KIND] == 1 else code[j, SHD]
    return wi[start:start + n], n


@nb.njit(cache=True, nogil=True, error_model="numpy")
def count_underlying(code, ints, wi, j, fan, eff, row):
    """ACs of node j's underlying events: ``ints[fan + i]`` each (one each when fan < 0)."""
    n = wi[j]
    if fan < 0:
        row[ACS] += n
        row[EFF] += n
        return
    if has_counts(code, wi, j):
        size = code[j, SHD_LEN]
        counts, fans = wi[code[j, SHD]:code[j, SHD] + size], ints[fan:fan + size]  # views, so the loops vectorise
        acs = 0
        for e in range(size):
            acs += counts[e] * fans[e]
        eff_acs = 0
        if eff >= 0:
            effs = ints[eff:eff + size]
            for e in range(size):
                eff_acs += counts[e] * effs[e]
        row[ACS] += acs
        row[EFF] += acs if eff < 0 else eff_acs
        return
    idx, n = underlying_list(code, wi, j)
    acs = fanout_sum(idx, n, ints, fan)
    row[ACS] += acs
    row[EFF] += acs if eff < 0 else fanout_sum(idx, n, ints, eff)


@nb.njit(cache=True, nogil=True, error_model="numpy", inline="always")
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
def add_counts(code, wi, j, out):
    """Add node j's underlying events to the counts at ``wi[out:]``."""
    if has_counts(code, wi, j):
        size = code[j, SHD_LEN]
        counts, to = wi[code[j, SHD]:code[j, SHD] + size], wi[out:out + size]  # views, so the loops vectorise
        for e in range(size):
            to[e] += counts[e]
    else:
        idx, n = underlying_list(code, wi, j)
        for e in range(n):
            wi[out + idx[e]] += 1


@nb.njit(cache=True, nogil=True, error_model="numpy")
def as_list(code, wi, i, bound, inputs_have_counts):
    """Whether node i keeps a list this step (at most ``bound`` events, all inputs lists); sets its flag."""
    listed = not inputs_have_counts and bound <= code[i, SIZE] // code[i, SHD_SPARSE]
    wi[code[i, SHD_FLAG]] = 0 if listed else 1
    return listed


@nb.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def merge_counts(code, ints, wi, i):
    """An add's inputs' underlying events (concatenated, or as counts); returns their number."""
    o = code[i, SHD]
    k = np.int64(0)  # not literals, for which Numba would compile as_list once more
    counted = np.bool_(False)
    for q in range(code[i, NIN]):
        j = ints[code[i, INS] + q]
        k += wi[j]
        counted = counted or has_counts(code, wi, j)
    if as_list(code, wi, i, k, counted):
        k = 0
        for q in range(code[i, NIN]):
            idx, n = underlying_list(code, wi, ints[code[i, INS] + q])
            for e in range(n):
                wi[o + k + e] = idx[e]
            k += n
        return k
    wi[o:o + code[i, SIZE]] = 0
    for q in range(code[i, NIN]):
        add_counts(code, wi, ints[code[i, INS] + q], o)
    return k


@nb.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def move_counts(code, ints, wi, i):
    """A remap's underlying events: a sparse list along the inverse map, else counts gathered from its
    inputs' counts by the values' own map (plan_ops.remap).

    A list input is first counted into its room at ``ints[CNT_AT + q]``.
    Returns the number of events moved (an element read twice counts twice).
    """
    nin = code[i, NIN]
    o = code[i, SHD]
    bound = np.int64(0)  # not literals (merge_counts)
    counted = np.bool_(False)
    for q in range(nin):
        j = ints[code[i, INS] + q]
        bound += wi[j] * code[i, MOVE_FAN]
        counted = counted or has_counts(code, wi, j)
    if as_list(code, wi, i, bound, counted):
        k = o
        for q in range(nin):
            idx, n = underlying_list(code, wi, ints[code[i, INS] + q])
            k = move_indices(idx, n, ints[code[i, P0 + 2] + q], ints, code[i, P0], code[i, P0 + 1], wi, k)
        return k - o
    return gather_counts(code, ints, wi, i)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def gather_counts(code, ints, wi, i):
    """A remap's counts, gathered by the values' map; returns their total."""
    nin = code[i, NIN]
    o = code[i, SHD]
    locs = np.empty(nin, dtype=np.int64)
    for q in range(nin):
        j = ints[code[i, INS] + q]
        if has_counts(code, wi, j):
            locs[q] = code[j, SHD]
        else:
            loc = ints[code[i, CNT_AT] + q]
            wi[loc:loc + code[j, SIZE]] = 0
            add_counts(code, wi, j, loc)
            locs[q] = loc
    size = code[i, SIZE]
    map_gather(wi, locs, np.int64(0), ints, code[i, P0 + 5], code[i, P0 + 3], code[i, P0 + 4], size, wi, o)
    k = 0
    counts = wi[o:o + size]  # a view, so the loop vectorises
    for e in range(size):
        k += counts[e]
    return k


@nb.njit(cache=True, nogil=True, error_model="numpy")
def move_indices(idx, n, offset, ints, p_off, t_off, out, start):
    """Each index at global input ``offset + idx`` to all its targets (the remap's inverse map; a
    bijection's when ``p_off`` is -1), written from ``out[start]``; returns where the list ends."""
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


@nb.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def touched(code, ints, flts, wf, wi, i, c_idx, c_val):
    """The pooled elements some input event reaches, ascending (pool rule "events").

    Counts are listed first (each element with events once: one is enough to touch).
    """
    j = ints[code[i, INS]]
    if has_counts(code, wi, j):
        counts = wi[code[j, SHD]:code[j, SHD] + code[j, SHD_LEN]]  # a view, so the loop vectorises
        n = 0
        for e in range(counts.size):
            if counts[e] != 0:
                c_idx[n] = e
                n += 1
        idx = c_idx
    else:
        idx, n = underlying_list(code, wi, j)
    m = code[i, MARK]
    size = code[i, SIZE]
    wf[m:m + size] = 0
    ones = flts[code[i, MARK + 1]:]
    if code[i, OP] == POOL_SUM:
        scatter_pool_sum(idx, ones, n, ints, code[i, P0 + 6], wf, m)
    else:
        scatter_one_to_one(idx, ones, n, ints, code[i, P0 + 6], flts, 0, False, wf, m)
    return compact(wf[m:m + size], size, wi[code[i, SHD]:], c_val)
