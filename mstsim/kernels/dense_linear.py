"""A dense Affine of a (nearly) dense analog input, with the scatter's sums to the bit.

``scatter_linear`` of the compacted input adds, for every output element, the
non-zero inputs of its row times their weights, ascending. This kernel adds
every input of the row, zeros included, in the same ascending order. A zero
input adds +-0 * w, which leaves the sum as it is when w is finite (the sum
starts at +0 and a rounded sum is never -0), so the bits are the same; the
plan runs it only for finite weights. It streams each weight row once for two
input rows and keeps each output in a register over four inputs, which is
what makes it faster than the scatter when few inputs are zero.
"""
import numba as nb


@nb.njit(cache=True, nogil=True, error_model="numpy")
def dense_linear(x, x_off, rows, w, w_off, n_in, n_out, out, o_off):
    """``out[r, :] = sum_i x[r, i] * w_t[i, :]`` (i ascending) for ``rows`` rows; w_t is ``(in, out)``."""
    for r in range(0, rows - 1, 2):
        _two_rows(x[x_off + r * n_in:x_off + (r + 2) * n_in], w[w_off:w_off + n_in * n_out], n_in, n_out,
                  out[o_off + r * n_out:o_off + (r + 1) * n_out], out[o_off + (r + 1) * n_out:o_off + (r + 2) * n_out])
    if rows % 2 == 1:
        r = rows - 1
        _one_row(x[x_off + r * n_in:x_off + (r + 1) * n_in], w[w_off:w_off + n_in * n_out], n_in, n_out,
                 out[o_off + r * n_out:o_off + (r + 1) * n_out])


@nb.njit(cache=True, nogil=True, error_model="numpy")
def _two_rows(x, w, n_in, n_out, ob0, ob1):
    """Rows ``x[:n_in]`` and ``x[n_in:]`` into ``ob0`` and ``ob1``; slices indexed from 0 vectorise."""
    for o in range(n_out):
        ob0[o] = 0
        ob1[o] = 0
    i = 0
    while i + 3 < n_in:
        wb = w[i * n_out:(i + 4) * n_out]
        a0, a1, a2, a3 = x[i], x[i + 1], x[i + 2], x[i + 3]
        b0, b1, b2, b3 = x[n_in + i], x[n_in + i + 1], x[n_in + i + 2], x[n_in + i + 3]
        for o in range(n_out):
            w0, w1, w2, w3 = wb[o], wb[n_out + o], wb[2 * n_out + o], wb[3 * n_out + o]
            s = ob0[o]
            s += a0 * w0
            s += a1 * w1
            s += a2 * w2
            s += a3 * w3
            ob0[o] = s
            u = ob1[o]
            u += b0 * w0
            u += b1 * w1
            u += b2 * w2
            u += b3 * w3
            ob1[o] = u
        i += 4
    while i < n_in:
        wr = w[i * n_out:(i + 1) * n_out]
        a, b = x[i], x[n_in + i]
        for o in range(n_out):
            ob0[o] += a * wr[o]
            ob1[o] += b * wr[o]
        i += 1


@nb.njit(cache=True, nogil=True, error_model="numpy")
def _one_row(x, w, n_in, n_out, ob):
    for o in range(n_out):
        ob[o] = 0
    i = 0
    while i + 3 < n_in:
        wb = w[i * n_out:(i + 4) * n_out]
        a0, a1, a2, a3 = x[i], x[i + 1], x[i + 2], x[i + 3]
        for o in range(n_out):
            s = ob[o]
            s += a0 * wb[o]
            s += a1 * wb[n_out + o]
            s += a2 * wb[2 * n_out + o]
            s += a3 * wb[3 * n_out + o]
            ob[o] = s
        i += 4
    while i < n_in:
        wr = w[i * n_out:(i + 1) * n_out]
        a = x[i]
        for o in range(n_out):
            ob[o] += a * wr[o]
        i += 1
