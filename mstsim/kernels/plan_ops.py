"""The op bodies of the step plan, one function per op code, for one sample and step.

Each takes the plan tables (``code``, ``ints``, ``flts``, ``f64``), the
sample's float and int workspaces (``wf``, ``wi``; ``wi[j]`` is the event
count of node j) and state (``st``), and adds its counts to ``row``.
Layout: :mod:`.plan_layout`; builder: ``mstsim.engine.plan``.
"""
import numba as nb
import numpy as np

from .plan_layout import (ACS, BIAS, CAP, CONV, DENSE_AT, EFF, EFF_S, ELEM, EV_IN, EV_OUT, FAN_S, INS, IOFF, KIND,
                          MACS, NEURON, NIN, OFF, ONE_TO_ONE, OP, P0, POOL_SUM, SHD, SHD_OFS, SIZE, STATE, AFFINE)
from .dense_linear import dense_linear
from .plan_shadow import count_underlying
from .sample_analog import map_gather
from .sample_synapses import (compact, fanout_sum, integrate_fire, integrate_input_fire, remap_events, scatter_conv,
                              scatter_linear, scatter_one_to_one, scatter_pool_sum)

DENSE_SHARE = 8  # dense_linear beats the grouped scatter by 1.0-1.6x on a full input, so only when nearly full


@nb.njit(cache=True, nogil=True, error_model="numpy")
def input_of(code, ints, i, k):
    return ints[code[i, INS] + k]


@nb.njit(cache=True, nogil=True, error_model="numpy")
def events_of(code, wf, wi, j):
    """(idx, val, n) views of node j's events."""
    n = wi[j]
    return wi[code[j, IOFF]:code[j, IOFF] + n], wf[code[j, OFF]:code[j, OFF] + n], n


@nb.njit(cache=True, nogil=True, error_model="numpy")
def count_events_in(code, ints, wi, i, row):
    for k in range(code[i, NIN]):
        j = input_of(code, ints, i, k)
        if code[j, KIND] == 1:
            row[EV_IN] += wi[j]


@nb.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def densify_inputs(code, ints, wf, wi, i):
    """Sum each event input into its dense location (events in order)."""
    for k in range(code[i, NIN]):
        j = input_of(code, ints, i, k)
        if code[j, KIND] == 1:
            loc = ints[code[i, DENSE_AT] + k]
            size = code[j, SIZE]
            dense = wf[loc:loc + size]  # a view: an offset index, which may be negative, would not vectorise
            for e in range(size):
                dense[e] = 0
            idx, val, n = events_of(code, wf, wi, j)
            for e in range(n):
                dense[idx[e]] += val[e]


@nb.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def synaptic(code, ints, flts, wf, wi, i, row, c_idx, c_val):
    """Affine, Conv2d, AvgPool2d sums, Mean and ChannelAffine: scatter the input, finish, add the bias.

    Fields: P0 fan-out table, P1 effective table (-1: same), P2 synapses, P3
    weights, P4 bias (-1: none), P5 divisor (-1: none), P6 op data (n_in /
    geometry / targets), P7 op data (n_out / channels-last scratch / weight
    scale, -1: none), P8 1 when a dense input is scaled elementwise (a per-channel
    affine with finite scale: the same sums as its scatter), or, for an Affine,
    when its weights are finite: a dense input with at most one zero in
    ``DENSE_SHARE`` then runs ``dense_linear``, whose sums are the scatter's.
    """
    j = ints[code[i, INS]]
    op = code[i, OP]
    if code[j, KIND] == 0 and op == ONE_TO_ONE and code[i, P0 + 8] == 1:
        _scale_dense(code, ints, flts, wf, wi, i, j, row)
        _finish(code, flts, wf, i, j, row)
        return
    if code[j, KIND] == 1:
        idx, val, n = events_of(code, wf, wi, j)
        row[EV_IN] += n
        acs = fanout_sum(idx, n, ints, code[i, P0])
        row[ACS] += acs
        row[EFF] += acs if code[i, P0 + 1] < 0 else fanout_sum(idx, n, ints, code[i, P0 + 1])
    else:
        n = compact(wf[code[j, OFF]:code[j, OFF] + code[j, SIZE]], code[j, SIZE], c_idx, c_val)
        idx, val = c_idx, c_val
        pay_dense_input(code, ints, wi, i, j, row)
        if op == AFFINE and code[i, P0 + 8] == 1 and n * DENSE_SHARE >= code[j, SIZE] * (DENSE_SHARE - 1):
            n_in = code[i, P0 + 6]
            dense_linear(wf, code[j, OFF], code[j, SIZE] // n_in, flts, code[i, P0 + 3], n_in, code[i, P0 + 7],
                         wf, code[i, OFF])
            _finish(code, flts, wf, i, j, row)
            return
    o = code[i, OFF]
    size = code[i, SIZE]
    out = wf[o:o + size]
    if op == CONV:
        hwc = code[i, P0 + 7]
        wf[hwc:hwc + size] = 0  # a slice, not an offset index: a fill Numba need not wrap
        scatter_conv(idx, val, n, flts, code[i, P0 + 3], ints, code[i, P0 + 6], wf, hwc)
        g = code[i, P0 + 6]
        cout = ints[g + 14]
        hw = ints[g + 2] * ints[g + 3]
        for c in range(cout):
            for p in range(hw):
                out[c * hw + p] = wf[hwc + p * cout + c]
    else:
        for e in range(size):
            out[e] = 0
        if op == AFFINE:
            scatter_linear(idx, val, n, flts, code[i, P0 + 3], code[i, P0 + 6], code[i, P0 + 7], out, 0)
        elif op == POOL_SUM:
            scatter_pool_sum(idx, val, n, ints, code[i, P0 + 6], out, 0)
        else:
            w_off = code[i, P0 + 7]
            scatter_one_to_one(idx, val, n, ints, code[i, P0 + 6], flts, w_off, w_off >= 0, out, 0)
    _finish(code, flts, wf, i, j, row)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def pay_dense_input(code, ints, wi, i, j, row):
    """What synaptic node i pays for its dense input j: the underlying events of an affine of events
    (through the folded weights), else every synapse as a MAC."""
    if code[j, SHD] >= 0:
        own = code[i, FAN_S] < 0
        count_underlying(code, ints, wi, j, code[i, P0] if own else code[i, FAN_S],
                         code[i, P0 + 1] if own else code[i, EFF_S], row)
    else:
        row[MACS] += code[i, P0 + 2]


@nb.njit(cache=True, nogil=True, error_model="numpy")
def _scale_dense(code, ints, flts, wf, wi, i, j, row):
    """A per-channel affine of a dense input: ``out[e] = 0 + x[e] * scale[e]``, the scatter's sum."""
    pay_dense_input(code, ints, wi, i, j, row)
    x = wf[code[j, OFF]:code[j, OFF] + code[j, SIZE]]
    size = code[i, SIZE]
    out = wf[code[i, OFF]:code[i, OFF] + size]
    w = flts[code[i, P0 + 7]:code[i, P0 + 7] + size]
    for e in range(size):
        out[e] = 0
        out[e] += x[e] * w[e]


@nb.njit(cache=True, nogil=True, error_model="numpy")
def _finish(code, flts, wf, i, j, row):
    """The divisor and the bias (or the input's folded offset) of a synaptic node's output."""
    o = code[i, OFF]
    size = code[i, SIZE]
    out = wf[o:o + size]
    d = code[i, P0 + 5]
    if d >= 0:
        divisor = flts[d:d + size]  # a view: an offset index, which may be negative, would not vectorise
        for e in range(size):
            out[e] = out[e] / divisor[e]
        row[ELEM] += size
    b = code[i, P0 + 4]
    if b >= 0:
        bias = flts[b:b + size]
        for e in range(size):
            out[e] += bias[e]
        row[BIAS] += size
    elif code[j, SHD_OFS] == 1:  # the input's folded offset becomes a constant bias
        row[BIAS] += size


@nb.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def neuron(code, ints, flts, wf, wi, st, i, row, flags):
    """IF: integrate the input (one AC per event), fire, subtract theta. P0: theta in flts.

    ``flags`` is uint8 scratch of at least the node's size.
    """
    j = ints[code[i, INS]]
    v = code[i, STATE]
    size = code[i, SIZE]
    theta = flts[code[i, P0]]
    row[NEURON] += size
    out_idx = wi[code[i, IOFF]:code[i, IOFF] + size]
    out_val = wf[code[i, OFF]:code[i, OFF] + size]
    if code[j, KIND] == 1:
        idx, val, n = events_of(code, wf, wi, j)
        row[EV_IN] += n
        row[ACS] += n
        row[EFF] += n
        for e in range(n):
            st[v + idx[e]] += val[e]
        c = integrate_fire(st, v, size, theta, out_idx, out_val, flags)
    else:  # integrate and fire in one pass over the membranes
        if code[j, SHD] >= 0:  # an affine of events: one AC per event (or per routed synapse), the offset
            count_underlying(code, ints, wi, j, code[i, FAN_S], code[i, EFF_S], row)
            if code[j, SHD_OFS] == 1:
                row[BIAS] += size
        c = integrate_input_fire(st, v, wf, code[j, OFF], size, theta, out_idx, out_val, flags)
    wi[i] = c
    row[EV_OUT] += c


@nb.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def add(code, ints, wf, wi, i, row):
    """Events only: concatenated in input order, free. Else the dense sum plus one AC per event."""
    count_events_in(code, ints, wi, i, row)
    o = code[i, OFF]
    size = code[i, SIZE]
    if code[i, KIND] == 1:
        k = 0
        oi = code[i, IOFF]
        for q in range(code[i, NIN]):
            idx, val, n = events_of(code, wf, wi, input_of(code, ints, i, q))
            for e in range(n):
                wi[oi + k] = idx[e]
                wf[o + k] = val[e]
                k += 1
        wi[i] = k
        row[EV_OUT] += k
        return
    first = True
    analog_operands = 0  # affine-of-events operands are paid for by their events (plan_shadow)
    out = wf[o:o + size]  # views: an offset index, which may be negative, would not vectorise
    for q in range(code[i, NIN]):
        j = input_of(code, ints, i, q)
        if code[j, KIND] == 0:
            x = wf[code[j, OFF]:code[j, OFF] + size]
            if first:
                for e in range(size):
                    out[e] = x[e]
                first = False
            else:
                for e in range(size):
                    out[e] += x[e]
            analog_operands += code[j, SHD] < 0
    row[ELEM] += size * max(analog_operands - 1, 0)
    for q in range(code[i, NIN]):
        j = input_of(code, ints, i, q)
        if code[j, KIND] == 1:
            idx, val, n = events_of(code, wf, wi, j)
            for e in range(n):
                out[idx[e]] += val[e]
            row[ACS] += n
            row[EFF] += n


@nb.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def remap(code, ints, wf, wi, i, row):
    """Events move along the inverted gather map; analog output is gathered from dense inputs.

    Fields: P0 inverse-map pointers, P1 inverse-map targets, P2 input offsets
    in the concatenation, P3 / P4 per-output input number and local index, P5 1
    when there is one input and no zero fill (P4 the map), 3 when that map is a
    strided view (P4: start, dims, dims and strides innermost first), 2 when the
    output is a contiguous window of it at P3 (aliased at build) or read by nobody.
    """
    count_events_in(code, ints, wi, i, row)
    if code[i, KIND] == 1:
        k = np.int64(0)  # not the literal 0, for which Numba would compile remap_events once more
        oi = code[i, IOFF]
        o = code[i, OFF]
        cap = code[i, CAP]
        for q in range(code[i, NIN]):
            idx, val, n = events_of(code, wf, wi, input_of(code, ints, i, q))
            k = remap_events(idx, val, n, ints[code[i, P0 + 2] + q], ints, ints, code[i, P0], code[i, P0 + 1],
                             wi[oi:oi + cap], wf[o:o + cap], k)
        wi[i] = k
        row[EV_OUT] += k
        return
    if code[i, P0 + 5] == 2:  # a window of the input, which the output aliases
        return
    map_gather(wf, ints, code[i, DENSE_AT], ints, code[i, P0 + 5], code[i, P0 + 3], code[i, P0 + 4],
               code[i, SIZE], wf, code[i, OFF])


@nb.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def output(code, ints, wf, wi, st, i, row, cum_row):
    """Running sum of the (densified) input; the step's cumulative logits go to ``cum_row``."""
    count_events_in(code, ints, wi, i, row)
    x = ints[code[i, DENSE_AT]]
    s = code[i, STATE]
    size = code[i, SIZE]
    total, given = st[s:s + size], wf[x:x + size]
    for e in range(size):
        total[e] += given[e]
        cum_row[e] = total[e]
