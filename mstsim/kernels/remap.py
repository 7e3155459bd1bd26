"""Numba kernel moving events through an index remap (Reshape, Concat, roll...)."""
import numba as nb
import numpy as np


@nb.njit(cache=True, nogil=True)
def remap_events(ptr, idx, val, offset, inv_ptr, inv_tgt):
    """Send each event at input index ``offset + idx`` to all its targets.

    inv_ptr/inv_tgt are the inverted gather map in CSR form: the outputs that
    read global input element g are ``inv_tgt[inv_ptr[g]:inv_ptr[g+1]]``.
    Returns new (ptr, idx, val); an event with no target disappears.
    """
    nb_ = ptr.shape[0] - 1
    out_ptr = np.zeros(nb_ + 1, dtype=np.int64)
    for b in range(nb_):
        c = 0
        for e in range(ptr[b], ptr[b + 1]):
            g = offset + idx[e]
            c += inv_ptr[g + 1] - inv_ptr[g]
        out_ptr[b + 1] = out_ptr[b] + c
    out_idx = np.empty(out_ptr[nb_], dtype=np.int64)
    out_val = np.empty(out_ptr[nb_], dtype=val.dtype)
    for b in range(nb_):
        k = out_ptr[b]
        for e in range(ptr[b], ptr[b + 1]):
            g = offset + idx[e]
            for j in range(inv_ptr[g], inv_ptr[g + 1]):
                out_idx[k] = inv_tgt[j]
                out_val[k] = val[e]
                k += 1
    return out_ptr, out_idx, out_val


@nb.njit(cache=True, nogil=True)
def merge_events(ptrs, idxs, vals, nb_):
    """Concatenate several CSR event sets sample by sample (for Add / Concat).

    ptrs is a list of ptr arrays etc. Within a sample the events keep input
    order: all of input 0, then input 1, ...
    """
    out_ptr = np.zeros(nb_ + 1, dtype=np.int64)
    for b in range(nb_):
        c = 0
        for k in range(len(ptrs)):
            c += ptrs[k][b + 1] - ptrs[k][b]
        out_ptr[b + 1] = out_ptr[b] + c
    out_idx = np.empty(out_ptr[nb_], dtype=np.int64)
    out_val = np.empty(out_ptr[nb_], dtype=vals[0].dtype)
    for b in range(nb_):
        j = out_ptr[b]
        for k in range(len(ptrs)):
            for e in range(ptrs[k][b], ptrs[k][b + 1]):
                out_idx[j] = idxs[k][e]
                out_val[j] = vals[k][e]
                j += 1
    return out_ptr, out_idx, out_val
