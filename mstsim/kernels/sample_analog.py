"""Per-sample kernels of the analog per-step nodes: softmax, LayerNorm, Gelu, MaxPool, elementwise.

Values are computed in float64 and rounded once to the plan's dtype when
stored (for +, -, *, / and sqrt that is the IEEE result in float32 too).
Sums run in index order. Transcendentals come from :mod:`.detmath`, built
from basic arithmetic only, so every x86-64 machine gives the same bits
(libm picks CPU-specific code paths at run time).
"""
import math

import numba as nb
import numpy as np

from .detmath import OPCODES, apply_elementwise, det_exp, det_gelu, det_gelu_tanh, det_maximum
from .detmath.expo import EXP_NORMAL_MIN, exp_nonpositive

#: elementwise op codes (the plan encodes ``Elementwise.op`` with these)
ELEMENTWISE_CODES = OPCODES


@nb.njit(cache=True, nogil=True, error_model="numpy")
def softmax(x, x_off, outer, n, inner, out, o_off):
    """Softmax over the middle axis of ``(outer, n, inner)``: max, exp(x - max) in float64, sum in order,
    divide, one rounding on store.

    exp runs in a branch-free loop that vectorises (``exp_nonpositive``: det_exp's bits for
    -708 <= d <= 0, where every finite d = x - max lies but the far tail); the rest (nan, -inf,
    the tail) then goes through det_exp itself. Rows along the last axis (inner = 1) are read
    and written as contiguous runs, which also vectorise.
    """
    d = np.empty(n)
    e = np.empty(n)
    for o in range(outer):
        for q in range(inner):
            base = o * n * inner + q
            m = -np.inf
            if inner == 1:  # a view: an offset index, which may be negative, would not vectorise
                row = x[x_off + base:x_off + base + n]
                for k in range(n):
                    v = np.float64(row[k])
                    if v > m or v != v:
                        m = v
                for k in range(n):
                    d[k] = np.float64(row[k]) - m
            else:
                for k in range(n):
                    v = np.float64(x[x_off + base + k * inner])
                    if v > m or v != v:
                        m = v
                for k in range(n):
                    d[k] = np.float64(x[x_off + base + k * inner]) - m
            tail = 0
            for k in range(n):
                v = d[k]
                e[k] = exp_nonpositive(v if v >= EXP_NORMAL_MIN else EXP_NORMAL_MIN)
                tail |= not (EXP_NORMAL_MIN <= v <= 0.0)
            if tail:
                for k in range(n):
                    if not (EXP_NORMAL_MIN <= d[k] <= 0.0):
                        e[k] = det_exp(d[k])
            s = 0.0
            for k in range(n):
                s += e[k]
            if inner == 1:
                dst = out[o_off + base:o_off + base + n]
                for k in range(n):
                    dst[k] = e[k] / s
            else:
                for k in range(n):
                    out[o_off + base + k * inner] = e[k] / s


@nb.njit(cache=True, nogil=True, error_model="numpy")
def layer_norm(x, x_off, outer, inner, eps, w, w_off, has_w, bias, b_off, has_b, out, o_off):
    """``(x - mu) / sqrt(var + eps) * w + b`` over the trailing ``inner`` elements, sums in order.

    ``mu = x_0 + sum(x - x_0) / n``, ``var = sum((x - mu)^2) / n``, all in float64.
    """
    for o in range(outer):
        base = o * inner
        # the mean as x0 + mean(x - x0): a row of equal values gets mu = x0 exactly (hence output b),
        # where sum / n could miss x0 by an ulp that the division by sqrt(eps) then magnifies
        x0 = np.float64(x[x_off + base])
        s = 0.0
        for i in range(inner):
            s += np.float64(x[x_off + base + i]) - x0
        mu = x0 + s / inner
        s2 = 0.0
        for i in range(inner):
            d = np.float64(x[x_off + base + i]) - mu
            s2 += d * d
        den = math.sqrt(s2 / inner + eps)
        for i in range(inner):
            y = (np.float64(x[x_off + base + i]) - mu) / den
            if has_w:
                y = y * np.float64(w[w_off + i])
            if has_b:
                y = y + np.float64(bias[b_off + i])
            out[o_off + base + i] = y


@nb.njit(cache=True, nogil=True, error_model="numpy")
def gelu(x, x_off, size, tanh_form, out, o_off):
    """Gelu, erf form or tanh form, in the order of :func:`.detmath.det_gelu` / ``det_gelu_tanh``."""
    for i in range(size):
        v = np.float64(x[x_off + i])
        out[o_off + i] = det_gelu_tanh(v) if tanh_form else det_gelu(v)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def max_pool(x, x_off, geo, g_off, out, o_off):
    """Max over the valid taps of each window (padding never wins); ``geo`` as for convolutions:
    (c, h, w, ho, wo, sh, sw, dh, dw, pt, pl, kh, kw)."""
    c = geo[g_off]
    h = geo[g_off + 1]
    wd = geo[g_off + 2]
    ho = geo[g_off + 3]
    wo = geo[g_off + 4]
    sh = geo[g_off + 5]
    sw = geo[g_off + 6]
    dh = geo[g_off + 7]
    dw = geo[g_off + 8]
    pt = geo[g_off + 9]
    pl = geo[g_off + 10]
    kh = geo[g_off + 11]
    kw = geo[g_off + 12]
    for ch in range(c):
        for oy in range(ho):
            for ox in range(wo):
                m = -np.inf
                for ky in range(kh):
                    y = oy * sh - pt + ky * dh
                    if y < 0 or y >= h:
                        continue
                    for kx in range(kw):
                        xx = ox * sw - pl + kx * dw
                        if xx < 0 or xx >= wd:
                            continue
                        m = det_maximum(m, np.float64(x[x_off + (ch * h + y) * wd + xx]))
                out[o_off + (ch * ho + oy) * wo + ox] = m


@nb.njit(cache=True, nogil=True, error_model="numpy")
def map_gather(x, locs, l_off, ints, mode, which, local, size, out, o_off):
    """A remap's gather of ``size`` outputs from inputs at ``x[locs[l_off + q]:]`` (values, or counts).

    ``mode`` (the remap's P5): 3 a strided view of input 0 (``ints[local:]`` its table), 2 the
    window of input 0 starting at ``which``, 1 input 0 through the map ``ints[local:]``, 0 input
    ``ints[which + j]`` (-1: zero) at ``ints[local + j]``.
    """
    if mode == 3:
        strided_gather(x, locs[l_off], ints, local, out, o_off)
    elif mode == 2:
        src, dst = x[locs[l_off] + which:locs[l_off] + which + size], out[o_off:o_off + size]
        for e in range(size):  # views: an offset index, which may be negative, would not vectorise
            dst[e] = src[e]
    elif mode == 1:
        src, dst = locs[l_off], out[o_off:o_off + size]
        for e in range(size):
            dst[e] = x[src + ints[local + e]]
    else:
        for e in range(size):
            q = ints[which + e]
            out[o_off + e] = x[locs[l_off + q] + ints[local + e]] if q >= 0 else 0


@nb.njit(cache=True, nogil=True, error_model="numpy")
def strided_gather(x, x_off, table, t, out, o_off):
    """``out[o_off + j] = x[x_off + start + sum_d i_d stride_d]`` over a row-major grid.

    ``table[t:]`` holds start, the number of dims nd, the dims and then the
    strides, innermost first. The innermost run is a plain loop; an odometer
    steps the outer coordinates.
    """
    nd = table[t + 1]
    dims, strides = t + 2, t + 2 + nd
    n0, s0 = table[dims], table[strides]
    blocks = 1
    for d in range(1, nd):
        blocks *= table[dims + d]
    count = np.zeros(nd, dtype=np.int64)
    base = x_off + table[t]
    o = o_off
    for _ in range(blocks):
        dst = out[o:o + n0]  # views: an offset index, which may be negative, would not vectorise
        if s0 == 1:
            src = x[base:base + n0]
            for e in range(n0):
                dst[e] = src[e]
        else:
            for e in range(n0):
                dst[e] = x[base + e * s0]
        o += n0
        d = 1
        while d < nd:  # next block: carry through the outer coordinates
            count[d] += 1
            base += table[strides + d]
            if count[d] < table[dims + d]:
                break
            base -= table[strides + d] * table[dims + d]
            count[d] = 0
            d += 1
