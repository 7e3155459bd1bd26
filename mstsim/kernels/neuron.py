"""Numba kernels of the IF neuron (reset by subtraction)."""
import numba as nb
import numpy as np


@nb.njit(cache=True, nogil=True)
def integrate_events(ptr, idx, val, v):
    """``v[b, i] += val`` for each event (b, i); v is ``(B, n)``."""
    for b in range(ptr.shape[0] - 1):
        vb = v[b]
        for e in range(ptr[b], ptr[b + 1]):
            vb[idx[e]] += val[e]


@nb.njit(cache=True, nogil=True)
def fire(v, theta):
    """Spike where ``v >= theta``, subtract theta there, return CSR events.

    v is ``(B, n)``, updated in place. Returns (ptr, idx): at most one spike
    per neuron and step, indices ascending within each sample.
    """
    nb_, n = v.shape
    ptr = np.zeros(nb_ + 1, dtype=np.int64)
    for b in range(nb_):
        c = 0
        vb = v[b]
        for i in range(n):
            if vb[i] >= theta:
                c += 1
        ptr[b + 1] = ptr[b] + c
    idx = np.empty(ptr[nb_], dtype=np.int64)
    for b in range(nb_):
        k = ptr[b]
        vb = v[b]
        for i in range(n):
            if vb[i] >= theta:
                vb[i] -= theta
                idx[k] = i
                k += 1
    return ptr, idx
