"""Op bodies of the step plan for analog per-step nodes, spike products and masks (see plan_ops)."""
import numba as nb
import numpy as np

from .plan_layout import (AA, ACS, AS, BIAS, DENSE_AT, DROPPED, EFF, ELEM, EV_IN, EV_OUT, INS, IOFF, KIND, MACS,
                          OFF, P0, SA, SIZE, SS)
from .plan_ops import count_events_in, events_of, input_of
from .sample_analog import apply_elementwise, gelu, layer_norm, max_pool, softmax
from .sample_attention import analog_spike, keep, mask_prefix, spike_analog, spike_spike
from .sample_synapses import fanout_sum, remap_events


@nb.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def softmax_node(code, ints, wf, wi, i, row):
    """Softmax: P0 outer, P1 n, P2 inner."""
    count_events_in(code, ints, wi, i, row)
    softmax(wf, ints[code[i, DENSE_AT]], code[i, P0], code[i, P0 + 1], code[i, P0 + 2], wf, code[i, OFF])
    row[ELEM] += code[i, SIZE]


@nb.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def layer_norm_node(code, ints, flts, f64, wf, wi, i, row):
    """LayerNorm: P0 outer, P1 inner, P2 eps in f64, P3 weight, P4 bias (-1: none)."""
    count_events_in(code, ints, wi, i, row)
    w, b = code[i, P0 + 3], code[i, P0 + 4]
    layer_norm(wf, ints[code[i, DENSE_AT]], code[i, P0], code[i, P0 + 1], f64[code[i, P0 + 2]], flts, w, w >= 0,
               flts, b, b >= 0, wf, code[i, OFF])
    row[ELEM] += code[i, SIZE]


@nb.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def gelu_node(code, ints, wf, wi, i, row):
    """Gelu: P0 1 for the tanh form."""
    count_events_in(code, ints, wi, i, row)
    gelu(wf, ints[code[i, DENSE_AT]], code[i, SIZE], code[i, P0] == 1, wf, code[i, OFF])
    row[ELEM] += code[i, SIZE]


@nb.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def max_pool_node(code, ints, wf, wi, i, row):
    """MaxPool: P0 geometry."""
    count_events_in(code, ints, wi, i, row)
    max_pool(wf, ints[code[i, DENSE_AT]], ints, code[i, P0], wf, code[i, OFF])
    row[ELEM] += code[i, SIZE]


@nb.njit(cache=True, nogil=True, error_model="numpy")
def _operand(code, ints, flts, wf, i, t):
    """(array, offset, broadcast map offset) of one elementwise operand (table entry at ``t``)."""
    if ints[t] == 1:
        return flts, ints[t + 1], ints[t + 2]
    return wf, ints[code[i, DENSE_AT] + ints[t + 1]], ints[t + 2]


@nb.njit(cache=True, nogil=True, error_model="numpy")
def _binary(op, a, a_off, a_map, b, b_off, b_map, ints, size, out, o_off):
    """add, sub, mul, div of two operands through broadcast maps (-1: none) in float64, one rounding on
    store: a loop per op, as ``_pair``."""
    z = out[o_off:o_off + size]
    if op == 0:
        for e in range(size):
            z[e] = _at(a, a_off, a_map, ints, e) + _at(b, b_off, b_map, ints, e)
    elif op == 1:
        for e in range(size):
            z[e] = _at(a, a_off, a_map, ints, e) - _at(b, b_off, b_map, ints, e)
    elif op == 2:
        for e in range(size):
            z[e] = _at(a, a_off, a_map, ints, e) * _at(b, b_off, b_map, ints, e)
    else:
        for e in range(size):
            z[e] = _at(a, a_off, a_map, ints, e) / _at(b, b_off, b_map, ints, e)


@nb.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _at(x, off, broadcast, ints, e):
    """Element e of an operand, through its broadcast map ``ints[broadcast:]`` (-1: none), in float64."""
    return np.float64(x[off + (e if broadcast < 0 else ints[broadcast + e])])


@nb.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def elementwise(code, ints, flts, wf, wi, i, row):
    """Elementwise: P0 op, P1 operands, P2 operand table of (is constant, input number or constant offset,
    broadcast map or -1, outputs reached per input element or -1), P3 element ops, P4 bias adds, P5 event
    operands count as ACs."""
    if is_binary(code, i):
        elementwise_binary(code, ints, flts, wf, wi, i, row)
        return
    count_events_in(code, ints, wi, i, row)
    o = code[i, OFF]
    n_ops = code[i, P0 + 1]
    table = code[i, P0 + 2]
    op = code[i, P0]
    av = np.zeros(3)
    for e in range(code[i, SIZE]):
        for q in range(n_ops):
            t = table + 4 * q
            m = ints[t + 2]
            src = e if m < 0 else ints[m + e]
            if ints[t] == 1:
                av[q] = flts[ints[t + 1] + src]
            else:
                av[q] = wf[ints[code[i, DENSE_AT] + ints[t + 1]] + src]
        wf[o + e] = apply_elementwise(op, av[0], av[1], av[2])
    _elementwise_counts(code, ints, wf, wi, i, row)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def is_binary(code, i):
    """The common sums and products of two operands (scale, bias, shift mask), which have a fast path."""
    return code[i, P0] <= 3 and code[i, P0 + 1] == 2


@nb.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def elementwise_binary(code, ints, flts, wf, wi, i, row):
    """An elementwise node for which ``is_binary`` holds."""
    count_events_in(code, ints, wi, i, row)
    table = code[i, P0 + 2]
    a, a_off, a_map = _operand(code, ints, flts, wf, i, table)
    b, b_off, b_map = _operand(code, ints, flts, wf, i, table + 4)
    which = code[i, P0 + 8]
    if which == 0:  # a read in repeated blocks, b whole
        _binary_blocks(code[i, P0], a, a_off, b, b_off, True, code[i, P0 + 6], code[i, P0 + 7], code[i, SIZE],
                       wf, code[i, OFF])
    elif which == 1:
        _binary_blocks(code[i, P0], b, b_off, a, a_off, False, code[i, P0 + 6], code[i, P0 + 7], code[i, SIZE],
                       wf, code[i, OFF])
    else:
        _binary(code[i, P0], a, a_off, a_map, b, b_off, b_map, ints, code[i, SIZE], wf, code[i, OFF])
    _elementwise_counts(code, ints, wf, wi, i, row)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def _binary_blocks(op, y, y_off, x, x_off, y_first, per, rep, size, out, o_off):
    """As ``_binary`` where operand y is read in blocks of ``per`` elements, each ``rep`` times in a row,
    and x whole (``y_first``: y is the first operand): contiguous loops without a map, same bits."""
    for blk in range(size // (per * rep)):
        ys = y_off + blk * per
        if per == 1:  # a scalar per block: one run of rep elements
            _run(op, y[ys], x, x_off + blk * rep, y_first, rep, out, o_off + blk * rep)
            continue
        for r in range(rep):
            base = (blk * rep + r) * per
            if y_first:
                _pair(op, y, ys, x, x_off + base, per, out, o_off + base)
            else:
                _pair(op, x, x_off + base, y, ys, per, out, o_off + base)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def _pair(op, a, a_off, b, b_off, n, out, o_off):
    """``out[o_off + e] = a[a_off + e] (op) b[b_off + e]`` in float64, one rounding on store: a loop per
    op over views, with nothing in it to keep it from vectorising (an op chosen inside the loop, or an
    index that may be negative, which Numba wraps around, does)."""
    x, y, z = a[a_off:a_off + n], b[b_off:b_off + n], out[o_off:o_off + n]
    if op == 0:
        for e in range(n):
            z[e] = np.float64(x[e]) + np.float64(y[e])
    elif op == 1:
        for e in range(n):
            z[e] = np.float64(x[e]) - np.float64(y[e])
    elif op == 2:
        for e in range(n):
            z[e] = np.float64(x[e]) * np.float64(y[e])
    else:
        for e in range(n):
            z[e] = np.float64(x[e]) / np.float64(y[e])


@nb.njit(cache=True, nogil=True, error_model="numpy")
def _run(op, c, x, x_off, c_first, n, out, o_off):
    """``n`` elements of x against the constant c, as ``_pair``: a loop per op and operand order."""
    u = np.float64(c)
    v, z = x[x_off:x_off + n], out[o_off:o_off + n]
    if op == 0:
        if c_first:
            for e in range(n):
                z[e] = u + np.float64(v[e])
        else:
            for e in range(n):
                z[e] = np.float64(v[e]) + u
    elif op == 1:
        if c_first:
            for e in range(n):
                z[e] = u - np.float64(v[e])
        else:
            for e in range(n):
                z[e] = np.float64(v[e]) - u
    elif op == 2:
        if c_first:
            for e in range(n):
                z[e] = u * np.float64(v[e])
        else:
            for e in range(n):
                z[e] = np.float64(v[e]) * u
    elif c_first:
        for e in range(n):
            z[e] = u / np.float64(v[e])
    else:
        for e in range(n):
            z[e] = np.float64(v[e]) / u


@nb.njit(cache=True, nogil=True, error_model="numpy")
def _elementwise_counts(code, ints, wf, wi, i, row):
    row[ELEM] += code[i, P0 + 3]
    row[BIAS] += code[i, P0 + 4]
    if code[i, P0 + 5] == 1:  # a sum: each event costs one AC per output element it reaches
        table = code[i, P0 + 2]
        for q in range(code[i, P0 + 1]):
            t = table + 4 * q
            if ints[t] == 1:
                continue
            j = input_of(code, ints, i, ints[t + 1])
            if code[j, KIND] == 1:
                idx, val, n = events_of(code, wf, wi, j)
                acs = n if ints[t + 3] < 0 else fanout_sum(idx, n, ints, ints[t + 3])
                row[ACS] += acs
                row[EFF] += acs


@nb.njit(cache=True, nogil=True, error_model="numpy")
def _expand_events(code, ints, wf, wi, j, ptr_off, tgt_off, idx_at, val_at, cap):
    """Events of node j copied along a broadcast map (or viewed as they are when there is none)."""
    idx, val, n = events_of(code, wf, wi, j)
    if ptr_off < 0:
        return idx, val, n
    out_idx = wi[idx_at:idx_at + cap]
    out_val = wf[val_at:val_at + cap]
    zero = np.int64(0)  # not the literal 0, which Numba would compile remap_events for once more
    k = remap_events(idx, val, n, zero, ints, ints, ptr_off, tgt_off, out_idx, out_val, zero)
    return out_idx, out_val, k


@nb.njit(cache=True, nogil=True, error_model="numpy")
def _expand_dense(wf, ints, loc, src_off, at, size):
    """An input's dense location ``loc``, gathered along a broadcast map into ``at`` when there is one."""
    if src_off < 0:
        return loc
    for e in range(size):
        wf[at + e] = wf[loc + ints[src_off + e]]
    return at


@nb.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def matmul(code, ints, wf, wi, i, row):
    """``a @ b`` per step. Fields: P0 variant, P1 L, P2 M, P3 K, P4 N; per operand (a at P5, b at P11):
    map pointers or dense map (-1: no broadcast), map targets, expanded idx / val / dense
    scratch, expanded size; P17 bucket starts, P18 bucket cols, P19 bucket vals,
    P20 a transposed, P21 product transposed."""
    count_events_in(code, ints, wi, i, row)
    var, nl, m, k, n = code[i, P0], code[i, P0 + 1], code[i, P0 + 2], code[i, P0 + 3], code[i, P0 + 4]
    o = code[i, OFF]
    ja, jb = ints[code[i, INS]], ints[code[i, INS] + 1]
    pa, pb = P0 + 5, P0 + 11
    if var == AA:
        a = _expand_dense(wf, ints, ints[code[i, DENSE_AT]], code[i, pa], code[i, pa + 4], code[i, pa + 5])
        b = _expand_dense(wf, ints, ints[code[i, DENSE_AT] + 1], code[i, pb], code[i, pb + 4], code[i, pb + 5])
        wf[o:o + nl * m * n] = 0  # a slice, not an offset index: a fill Numba need not wrap
        for l in range(nl):
            for r in range(m):
                dst = wf[o + (l * m + r) * n:o + (l * m + r + 1) * n]
                for d in range(k):
                    av = wf[a + (l * m + r) * k + d]
                    if av != 0:
                        src = wf[b + (l * k + d) * n:b + (l * k + d + 1) * n]
                        for c in range(n):
                            dst[c] += av * src[c]
        row[MACS] += nl * m * k * n
        return
    if var == SS or var == SA:
        a_idx, a_val, na = _expand_events(code, ints, wf, wi, ja, code[i, pa], code[i, pa + 1],
                                          code[i, pa + 2], code[i, pa + 3], code[i, pa + 5])
    if var == SS or var == AS:
        b_idx, b_val, nb_ = _expand_events(code, ints, wf, wi, jb, code[i, pb], code[i, pb + 1],
                                           code[i, pb + 2], code[i, pb + 3], code[i, pb + 5])
    if var == SS:
        s0, c0, v0 = code[i, P0 + 17], code[i, P0 + 18], code[i, P0 + 19]
        acs = spike_spike(a_idx, a_val, na, b_idx, b_val, nb_, nl, m, k, n, wi[s0:s0 + nl * k + 1],
                          wi[c0:c0 + code[i, pb + 5]], wf[v0:v0 + code[i, pb + 5]], wf, o)
    elif var == AS:
        a = _expand_dense(wf, ints, ints[code[i, DENSE_AT]], code[i, pa], code[i, pa + 4], code[i, pa + 5])
        at, ot = code[i, P0 + 20], code[i, P0 + 21]
        analog_spike(wf, a, b_idx, b_val, nb_, nl, m, k, n, wf[at:at + nl * k * m], wf[ot:ot + nl * n * m],
                     wf, o)
        acs = nb_ * m
    else:
        b = _expand_dense(wf, ints, ints[code[i, DENSE_AT] + 1], code[i, pb], code[i, pb + 4], code[i, pb + 5])
        spike_analog(a_idx, a_val, na, wf, b, nl, m, k, n, wf, o)
        acs = na * n
    row[ACS] += acs
    row[EFF] += acs


@nb.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def mask(code, ints, f64, hashes, wf, wi, i, row, seed, sample, step):
    """Random Spike Masking (P0 ratio in f64, P1 name hash number): keep where the hashed uniform >= ratio."""
    j = ints[code[i, INS]]
    ratio = f64[code[i, P0]]
    prefix = mask_prefix(seed, sample, hashes[code[i, P0 + 1]], step)
    o = code[i, OFF]
    if code[j, KIND] == 1:
        idx, val, n = events_of(code, wf, wi, j)
        row[EV_IN] += n
        oi = code[i, IOFF]
        c = 0
        for e in range(n):
            if ratio == 0.0 or keep(prefix, idx[e], ratio):
                wi[oi + c] = idx[e]
                wf[o + c] = val[e]
                c += 1
        wi[i] = c
        row[EV_OUT] += c
        row[DROPPED] += n - c
        return
    size = code[i, SIZE]
    row[ELEM] += size
    x, out = wf[code[j, OFF]:code[j, OFF] + size], wf[o:o + size]
    for e in range(size):
        out[e] = x[e] if (ratio == 0.0 or keep(prefix, e, ratio)) else x[e] * 0
