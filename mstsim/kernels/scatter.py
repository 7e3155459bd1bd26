"""Numba scatter kernels: deliver events through synapses.

Events of a batch come as CSR by sample: the events of sample b are
``idx[ptr[b]:ptr[b+1]]`` (flat per-sample indices) with values ``val``.
Every kernel takes raw arrays and adds into a preallocated ``out`` in place.
"""
import numba as nb


@nb.njit(cache=True, nogil=True)
def scatter_affine(ptr, idx, val, w_t, n_in, out):
    """``out[b, lead, :] += val * w_t[i, :]`` for each event at (lead, i).

    w_t is the transposed weight ``(in, out)`` so each event reads one row.
    out is ``(B, n_lead * n_out)``.
    """
    n_out = w_t.shape[1]
    for b in range(ptr.shape[0] - 1):
        for e in range(ptr[b], ptr[b + 1]):
            lead = idx[e] // n_in
            i = idx[e] - lead * n_in
            a = val[e]
            base = lead * n_out
            row = w_t[i]
            # a slice indexed from 0 lets LLVM prove the index non-negative (no
            # wraparound select), so this loop compiles to SIMD mul+add (no FMA)
            ob = out[b, base:base + n_out]
            for o in range(n_out):
                ob[o] += a * row[o]


@nb.njit(cache=True, nogil=True)
def scatter_conv2d(ptr, idx, val, w_t, h, w, ho, wo, sh, sw, dh, dw, pt, pl, cin_g, out):
    """Scatter events of a ``(C_in, H, W)`` input through a 2-D convolution.

    w_t is ``(C_in, kh, kw, C_out/G)``: for input channel ci the weights to the
    output channels of its group. out is channels-last ``(B, Ho, Wo, C_out)``
    so the innermost loop is contiguous. An output (oy, ox) is reached through
    tap ky when ``oy*sh - pt + ky*dh == y``.
    """
    kh = w_t.shape[1]
    kw = w_t.shape[2]
    cout_g = w_t.shape[3]
    hw = h * w
    for b in range(ptr.shape[0] - 1):
        for e in range(ptr[b], ptr[b + 1]):
            ci = idx[e] // hw
            r = idx[e] - ci * hw
            y = r // w
            x = r - y * w
            co0 = (ci // cin_g) * cout_g
            a = val[e]
            for ky in range(kh):
                ny = y + pt - ky * dh
                if ny < 0:
                    continue
                oy = ny
                if sh != 1:  # integer divisions only when strided
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
                    wrow = w_t[ci, ky, kx]
                    orow = out[b, oy, ox, co0:co0 + cout_g]  # 0-based: SIMD, see scatter_affine
                    for c in range(cout_g):
                        orow[c] += a * wrow[c]


@nb.njit(cache=True, nogil=True)
def scatter_sum_pool2d(ptr, idx, val, h, w, ho, wo, kh, kw, sh, sw, pt, pl, out):
    """Window sums of events of a ``(C, H, W)`` input into out ``(B, C, Ho, Wo)``."""
    hw = h * w
    for b in range(ptr.shape[0] - 1):
        for e in range(ptr[b], ptr[b + 1]):
            c = idx[e] // hw
            r = idx[e] - c * hw
            y = r // w
            x = r - y * w
            a = val[e]
            for ky in range(kh):
                ny = y + pt - ky
                if ny < 0 or ny % sh != 0 or ny // sh >= ho:
                    continue
                for kx in range(kw):
                    nx = x + pl - kx
                    if nx < 0 or nx % sw != 0 or nx // sw >= wo:
                        continue
                    out[b, c, ny // sh, nx // sw] += a


@nb.njit(cache=True, nogil=True)
def scatter_one_to_one(ptr, idx, val, target, weight, out):
    """Fan-out-one synapses: ``out[b, target[i]] += val * weight[i]``."""
    for b in range(ptr.shape[0] - 1):
        ob = out[b]
        for e in range(ptr[b], ptr[b + 1]):
            i = idx[e]
            ob[target[i]] += val[e] * weight[i]


@nb.njit(cache=True, nogil=True)
def sum_fanout(idx, fanout):
    """Sum of ``fanout[idx]`` in int64: the ACs a set of events costs."""
    total = 0
    for e in range(idx.shape[0]):
        total += fanout[idx[e]]
    return total
