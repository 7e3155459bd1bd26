"""Batch loops over the engine's per-sample kernels, for the kernel benchmarks (events CSR by sample).

The plan calls the same kernels once per sample; these loops only let a
benchmark time a whole batch in one call.
"""
import numba as nb
import numpy as np

from mstsim.kernels.sample_synapses import integrate_fire, scatter_conv, scatter_linear


@nb.njit(cache=True, nogil=True)
def linear(ptr, idx, val, w_flat, n_in, n_out, out):
    """``out[b] += events of sample b through w_t`` (``w_flat``: the (in, out) weights, row-major)."""
    for b in range(ptr.shape[0] - 1):
        lo, hi = ptr[b], ptr[b + 1]
        scatter_linear(idx[lo:hi], val[lo:hi], hi - lo, w_flat, 0, n_in, n_out, out[b], 0)


@nb.njit(cache=True, nogil=True)
def conv(ptr, idx, val, w_flat, geo, out):
    """Conv scatter per sample into channels-last ``out[b]`` (``geo`` as ``scatter_conv`` takes it)."""
    for b in range(ptr.shape[0] - 1):
        lo, hi = ptr[b], ptr[b + 1]
        scatter_conv(idx[lo:hi], val[lo:hi], hi - lo, w_flat, 0, geo, 0, out[b], 0)


@nb.njit(cache=True, nogil=True)
def fire(v, theta, out_idx, out_val):
    """IF fire and reset on every row of ``v``; returns the spikes of the whole batch."""
    total = 0
    flags = np.zeros(v.shape[1], dtype=np.uint8)
    for b in range(v.shape[0]):
        total += integrate_fire(v[b], 0, v.shape[1], theta, out_idx, out_val, flags)
    return total


def conv_geometry(h, w, cin, cout, k, pad):
    """``scatter_conv``'s geometry for a stride-1, dilation-1, one-group convolution keeping the map size."""
    return np.array([h, w, h, w, 1, 1, 1, 1, pad, pad, cin, k, k, cout, cout], dtype=np.int64)
