"""Per-sample kernels of the step plan: synaptic scatter, IF, event moves.

Every kernel works on one sample: flat 1-D arrays, events as ``(idx, val, n)``
(the first n entries are the events, in their fixed order). The plan calls
them for analog input too, after compacting the non-zero elements into an
event list in ascending index order, so both kinds of input are summed in
the same order: per output, the contributions of the input elements in event
order (ascending for spikes and for analog values). Zero inputs add nothing.
Floating-point work is plain multiply and add (no FMA contraction: Numba
emits none without ``fastmath``), so results do not depend on the CPU.
"""
import numba as nb


@nb.njit(cache=True, nogil=True, error_model="numpy")
def compact(x, n, idx, val):
    """The non-zero elements of ``x[:n]`` as events, ascending; returns their count."""
    c = 0
    for i in range(n):
        if x[i] != 0:
            idx[c] = i
            val[c] = x[i]
            c += 1
    return c


@nb.njit(cache=True, nogil=True, error_model="numpy")
def fanout_sum(idx, n, table, off):
    """Sum of ``table[off + idx[e]]`` over the events: the ACs they cost (int64)."""
    total = 0
    for e in range(n):
        total += table[off + idx[e]]
    return total


@nb.njit(cache=True, nogil=True, error_model="numpy")
def scatter_linear(idx, val, n, w, w_off, n_in, n_out, out, o_off):
    """``out[lead, :] += val * w_t[i, :]`` per event at (lead, i); w_t is ``(in, out)`` row-major.

    Four consecutive events of one output row go through the row in one pass,
    each element still adding them one by one in event order: the same bits,
    with one load and store of the row instead of four.
    """
    e = 0
    while e < n:
        lead = idx[e] // n_in
        lo = lead * n_in
        hi = lo + n_in
        base = o_off + lead * n_out
        ob = out[base:base + n_out]  # slices indexed from 0: the loops vectorise (mul + add)
        if e + 3 < n and lo <= idx[e + 1] < hi and lo <= idx[e + 2] < hi and lo <= idx[e + 3] < hi:
            r0 = w[w_off + (idx[e] - lo) * n_out:]
            r1 = w[w_off + (idx[e + 1] - lo) * n_out:]
            r2 = w[w_off + (idx[e + 2] - lo) * n_out:]
            r3 = w[w_off + (idx[e + 3] - lo) * n_out:]
            a0, a1, a2, a3 = val[e], val[e + 1], val[e + 2], val[e + 3]
            for o in range(n_out):
                t = ob[o]
                t += a0 * r0[o]
                t += a1 * r1[o]
                t += a2 * r2[o]
                t += a3 * r3[o]
                ob[o] = t
            e += 4
        else:
            a = val[e]
            row = w[w_off + (idx[e] - lo) * n_out:]
            for o in range(n_out):
                ob[o] += a * row[o]
            e += 1


@nb.njit(cache=True, nogil=True, error_model="numpy")
def scatter_conv(idx, val, n, w, w_off, geo, g_off, out, o_off):
    """Scatter events of a ``(C_in, H, W)`` input through a convolution into channels-last out.

    ``geo[g_off:]`` = (h, w, ho, wo, sh, sw, dh, dw, pt, pl, cin_g, kh, kw, cout_g, cout); the
    weights are ``(C_in, kh, kw, C_out/G)`` row-major (what input channel ci sends to
    its group); out is ``(Ho, Wo, C_out)``. Output (oy, ox) is reached through tap
    ky when ``oy*sh - pt + ky*dh == y``.
    """
    h = geo[g_off]
    wd = geo[g_off + 1]
    ho = geo[g_off + 2]
    wo = geo[g_off + 3]
    sh = geo[g_off + 4]
    sw = geo[g_off + 5]
    dh = geo[g_off + 6]
    dw = geo[g_off + 7]
    pt = geo[g_off + 8]
    pl = geo[g_off + 9]
    cin_g = geo[g_off + 10]
    kh = geo[g_off + 11]
    kw = geo[g_off + 12]
    cout_g = geo[g_off + 13]
    cout = geo[g_off + 14]
    hw = h * wd
    for e in range(n):
        ci = idx[e] // hw
        r = idx[e] - ci * hw
        y = r // wd
        x = r - y * wd
        co0 = (ci // cin_g) * cout_g
        a = val[e]
        for ky in range(kh):
            ny = y + pt - ky * dh
            if ny < 0:
                continue
            oy = ny
            if sh != 1:  # integer divisions only when strided: they cost more than the taps
                if ny % sh != 0:
                    continue
                oy = ny // sh
            if oy >= ho:
                continue
            for kx in range(kw):
                nx = x + pl - kx * dw
                if nx < 0:
                    continue
                ox = nx
                if sw != 1:
                    if nx % sw != 0:
                        continue
                    ox = nx // sw
                if ox >= wo:
                    continue
                wb = w_off + ((ci * kh + ky) * kw + kx) * cout_g
                wrow = w[wb:wb + cout_g]
                ob0 = o_off + (oy * wo + ox) * cout + co0
                orow = out[ob0:ob0 + cout_g]
                for c in range(cout_g):
                    orow[c] += a * wrow[c]


@nb.njit(cache=True, nogil=True, error_model="numpy")
def scatter_pool_sum(idx, val, n, geo, g_off, out, o_off):
    """Window sums of events of a ``(C, H, W)`` input into ``(C, Ho, Wo)``.

    ``geo[g_off:]`` = (h, w, ho, wo, sh, sw, pt, pl, kh, kw).
    """
    h = geo[g_off]
    wd = geo[g_off + 1]
    ho = geo[g_off + 2]
    wo = geo[g_off + 3]
    sh = geo[g_off + 4]
    sw = geo[g_off + 5]
    pt = geo[g_off + 6]
    pl = geo[g_off + 7]
    kh = geo[g_off + 8]
    kw = geo[g_off + 9]
    hw = h * wd
    for e in range(n):
        c = idx[e] // hw
        r = idx[e] - c * hw
        y = r // wd
        x = r - y * wd
        a = val[e]
        for ky in range(kh):
            ny = y + pt - ky
            if ny < 0 or ny % sh != 0 or ny // sh >= ho:
                continue
            for kx in range(kw):
                nx = x + pl - kx
                if nx < 0 or nx % sw != 0 or nx // sw >= wo:
                    continue
                out[o_off + (c * ho + ny // sh) * wo + nx // sw] += a


@nb.njit(cache=True, nogil=True, error_model="numpy")
def scatter_one_to_one(idx, val, n, target, t_off, weight, w_off, has_weight, out, o_off):
    """``out[target[i]] += val * weight[i]`` (or ``+= val`` without weights)."""
    for e in range(n):
        i = idx[e]
        if has_weight:
            out[o_off + target[t_off + i]] += val[e] * weight[w_off + i]
        else:
            out[o_off + target[t_off + i]] += val[e]


@nb.njit(cache=True, nogil=True, error_model="numpy")
def integrate_fire(v, v_off, size, theta, out_idx, out_val, flags):
    """Fire where ``v >= theta``, subtract theta there; the spikes, ascending. Returns their count.

    Two passes: the membranes (a branch-free loop that vectorises, the fired
    flags into ``flags``), then the spikes from the flags.
    """
    vv = v[v_off:v_off + size]
    for i in range(size):
        u = vv[i]
        fired = u >= theta
        vv[i] = u - theta if fired else u
        flags[i] = fired
    return spikes_from_flags(flags, size, theta, out_idx, out_val)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def integrate_input_fire(v, v_off, x, x_off, size, theta, out_idx, out_val, flags):
    """As :func:`integrate_fire` after adding the dense input ``x`` to the membranes, in the same pass."""
    vv = v[v_off:v_off + size]
    xv = x[x_off:x_off + size]
    for i in range(size):
        u = vv[i] + xv[i]
        fired = u >= theta
        vv[i] = u - theta if fired else u
        flags[i] = fired
    return spikes_from_flags(flags, size, theta, out_idx, out_val)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def spikes_from_flags(flags, size, theta, out_idx, out_val):
    """The indices of the set flags, ascending, each with amplitude theta; returns their count."""
    c = 0
    for i in range(size):
        out_idx[c] = i  # kept only when flagged: c moves on
        c += flags[i]
    for e in range(c):
        out_val[e] = theta
    return c


@nb.njit(cache=True, nogil=True, error_model="numpy")
def remap_events(idx, val, n, offset, inv_ptr, inv_tgt, p_off, t_off, out_idx, out_val, start):
    """Move each event at global input index ``offset + idx`` to all its targets.

    The targets of input g are ``inv_tgt[t_off + inv_ptr[p_off + g] ...]``, or
    the one ``inv_tgt[t_off + g]`` when ``p_off`` is -1 (a bijection: one load
    per event instead of two dependent ones); appended from position
    ``start``; returns the new end.
    """
    k = start
    if p_off == -1:
        for e in range(n):
            out_idx[k + e] = inv_tgt[t_off + offset + idx[e]]
            out_val[k + e] = val[e]
        return k + n
    for e in range(n):
        g = p_off + offset + idx[e]
        for j in range(inv_ptr[g], inv_ptr[g + 1]):
            out_idx[k] = inv_tgt[t_off + j]
            out_val[k] = val[e]
            k += 1
    return k
