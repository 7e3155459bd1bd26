"""Numba kernels for the product of two dynamic tensors with spikes on either side.

Shapes are per sample, leading axes flattened to ``n_lead`` (both operands
share them): ``a (n_lead, M, K) @ b (n_lead, K, N) -> out (B, n_lead, M, N)``.
Event operands are CSR by sample with flat per-sample indices.
"""
import numba as nb
import numpy as np


@nb.njit(cache=True, nogil=True)
def spike_spike_matmul(a_ptr, a_idx, a_val, b_ptr, b_idx, b_val, n_lead, m, k, n, out):
    """Both operands spiking (``q_t k_t^T``): one AC per coincidence.

    For each event of a at (l, i, d), every event of b at (l, d, j) adds
    ``a_val * b_val`` to ``out[l, i, j]``. The events of b are bucketed by
    (l, d) once per sample. Returns the number of coincidences (the ACs).
    """
    acs = 0
    buckets = n_lead * k
    start = np.zeros(buckets + 1, dtype=np.int64)
    for s in range(a_ptr.shape[0] - 1):
        start[:] = 0
        for e in range(b_ptr[s], b_ptr[s + 1]):
            start[b_idx[e] // n + 1] += 1
        for q in range(buckets):
            start[q + 1] += start[q]
        fill = start[:-1].copy()
        cols = np.empty(b_ptr[s + 1] - b_ptr[s], dtype=np.int64)
        vals = np.empty(b_ptr[s + 1] - b_ptr[s], dtype=b_val.dtype)
        for e in range(b_ptr[s], b_ptr[s + 1]):
            q = b_idx[e] // n
            cols[fill[q]] = b_idx[e] - q * n
            vals[fill[q]] = b_val[e]
            fill[q] += 1
        o = out[s]
        for e in range(a_ptr[s], a_ptr[s + 1]):
            row = a_idx[e] // k          # l * m + i
            d = a_idx[e] - row * k
            l = row // m
            q = l * k + d
            va = a_val[e]
            base = row * n
            for p in range(start[q], start[q + 1]):
                o[base + cols[p]] += va * vals[p]
            acs += start[q + 1] - start[q]
    return acs


@nb.njit(cache=True, nogil=True)
def analog_spike_matmul(a_t, b_ptr, b_idx, b_val, m, k, n, out_t):
    """Analog a times spiking b (``P_t v_t``): M ACs per event, in transposed layout.

    ``a_t`` is a transposed, ``(B, n_lead*K*M)``; ``out_t`` is the transposed
    product ``(B, n_lead*N*M)``. An event of b at (l, d, j) adds row d of
    ``a_t[l]`` (column d of a) times its value to row j of ``out_t[l]``: both
    rows are contiguous, so the inner loop vectorises.
    """
    for s in range(b_ptr.shape[0] - 1):
        for e in range(b_ptr[s], b_ptr[s + 1]):
            ld = b_idx[e] // n
            j = b_idx[e] - ld * n
            l = ld // k
            vb = b_val[e]
            src = a_t[s, ld * m:(ld + 1) * m]
            dst = out_t[s, (l * n + j) * m:(l * n + j + 1) * m]
            for i in range(m):
                dst[i] += src[i] * vb


@nb.njit(cache=True, nogil=True)
def spike_analog_matmul(a_ptr, a_idx, a_val, b, m, k, n, out):
    """Spiking a times analog b ``(B, n_lead*K*N)``: N ACs per event.

    An event of a at (l, i, d) adds row d of ``b[l]`` times its value to row i of ``out[l]``.
    """
    for s in range(a_ptr.shape[0] - 1):
        for e in range(a_ptr[s], a_ptr[s + 1]):
            row = a_idx[e] // k
            d = a_idx[e] - row * k
            l = row // m
            va = a_val[e]
            src = (l * k + d) * n
            dst = row * n
            for j in range(n):
                out[s, dst + j] += va * b[s, src + j]
