"""Per-sample kernels of spike attention: products of two dynamic tensors and RSM masks.

Shapes: ``a (L, M, K) @ b (L, K, N) -> (L, M, N)``, leading axes flattened to L.
Per output, the terms are added in the order of the events of the spiking
operand (ascending index for spikes), or in ascending K for analog x analog.
"""
import numba as nb
import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def spike_spike(a_idx, a_val, na, b_idx, b_val, nb_, n_lead, m, k, n, start, cols, vals, out, o_off):
    """``q_t k_t^T``: one AC per coincidence; returns the coincidences.

    The events of b are bucketed by (l, d) first (``start`` holds
    n_lead*k + 1 ints, ``cols``/``vals`` the bucketed events), keeping their order.
    """
    buckets = n_lead * k
    for q in range(buckets + 1):
        start[q] = 0
    for e in range(nb_):
        start[b_idx[e] // n + 1] += 1
    for q in range(buckets):
        start[q + 1] += start[q]
    for e in range(nb_):
        q = b_idx[e] // n
        p = start[q]
        cols[p] = b_idx[e] - q * n
        vals[p] = b_val[e]
        start[q] = p + 1
    for q in range(buckets, 0, -1):  # restore bucket starts (shifted by the fill)
        start[q] = start[q - 1]
    start[0] = 0
    out[o_off:o_off + n_lead * m * n] = 0  # a slice, not an offset index: a fill Numba need not wrap
    acs = 0
    for e in range(na):
        row = a_idx[e] // k  # l * m + i
        d = a_idx[e] - row * k
        q = (row // m) * k + d
        va = a_val[e]
        base = o_off + row * n
        for p in range(start[q], start[q + 1]):
            out[base + cols[p]] += va * vals[p]
        acs += start[q + 1] - start[q]
    return acs


@nb.njit(cache=True, nogil=True, error_model="numpy")
def analog_spike(a, a_off, b_idx, b_val, nb_, n_lead, m, k, n, a_t, out_t, out, o_off):
    """``P_t v_t`` with analog P: M ACs per event of b, in transposed layout.

    An event of b at (l, d, j) adds column d of a[l] times its value to column j
    of the product; ``a_t`` (L, K, M) and ``out_t`` (L, N, M) are scratch so
    both columns are contiguous rows.
    """
    av = a[a_off:a_off + n_lead * m * k]  # views: an offset index, which may be negative, is wrapped
    for l in range(n_lead):
        for i in range(m):
            for d in range(k):
                a_t[(l * k + d) * m + i] = av[(l * m + i) * k + d]
    out_t[:n_lead * n * m] = 0
    for e in range(nb_):
        ld = b_idx[e] // n
        j = b_idx[e] - ld * n
        l = ld // k
        vb = b_val[e]
        src = a_t[ld * m:(ld + 1) * m]
        dst = out_t[(l * n + j) * m:(l * n + j + 1) * m]
        for i in range(m):
            dst[i] += src[i] * vb
    ov = out[o_off:o_off + n_lead * m * n]
    for l in range(n_lead):
        for i in range(m):
            for j in range(n):
                ov[(l * m + i) * n + j] = out_t[(l * n + j) * m + i]


@nb.njit(cache=True, nogil=True, error_model="numpy")
def spike_analog(a_idx, a_val, na, b, b_off, n_lead, m, k, n, out, o_off):
    """Spiking a times analog b: N ACs per event; event (l, i, d) adds row d of b[l] to row i."""
    out[o_off:o_off + n_lead * m * n] = 0  # a slice, not an offset index: a fill Numba need not wrap
    for e in range(na):
        row = a_idx[e] // k
        d = a_idx[e] - row * k
        l = row // m
        va = a_val[e]
        src = b[b_off + (l * k + d) * n:b_off + (l * k + d + 1) * n]
        dst = out[o_off + row * n:o_off + (row + 1) * n]
        for j in range(n):
            dst[j] += va * src[j]


@nb.njit(cache=True, nogil=True, error_model="numpy")
def mix64(z):
    """The splitmix64 finaliser on a uint64 (wrapping arithmetic)."""
    z = z + _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


@nb.njit(cache=True, nogil=True, error_model="numpy")
def mask_prefix(seed, sample, name_hash, step):
    """The hash state before the element index (see :mod:`mstsim.masking`)."""
    h = mix64(np.uint64(seed))
    h = mix64(h ^ np.uint64(sample))
    h = mix64(h ^ name_hash)
    return mix64(h ^ np.uint64(step))


@nb.njit(cache=True, nogil=True, error_model="numpy")
def keep(prefix, element, ratio):
    """True when the element survives: its uniform ``(h >> 11) 2^-53`` is >= ratio."""
    h = mix64(prefix ^ np.uint64(element))
    return np.float64(h >> np.uint64(11)) * 2.0 ** -53 >= ratio
