"""Softmax and LayerNorm over one contiguous 1-D row, in a fixed order.

Both read their input as float64 (exact for float32 input), compute in
float64 and round once when storing into ``out`` (whose dtype may be float32
or float64). Every loop runs in index order, so the result depends only on
the row's values, never on where the row sits in a batch, the thread that
runs it or the CPU.
"""
import math

import numpy as np

from ._bits import jit
from .expo import exp64


@jit
def softmax_row(x, out, work):
    """``out = exp(x - max x) / sum exp(x - max x)`` over a 1-D row.

    Order: ``m = max_i x[i]`` scanning i = 0..n-1 (nan if any x[i] is nan);
    ``work[i] = det_exp(x[i] - m)``; ``s = (((0 + work[0]) + work[1]) + ...)``
    in index order; ``out[i] = work[i] / s`` (a true division, not a product
    with 1/s). ``work`` is float64 with at least n elements and may be ``out``
    itself when ``out`` is float64. A row of all -inf gives nan, as NumPy.
    """
    n = x.shape[0]
    m = -math.inf
    for i in range(n):
        v = np.float64(x[i])
        if v > m or v != v:
            m = v
            if v != v:
                break
    s = 0.0
    for i in range(n):
        e = exp64(np.float64(x[i]) - m)
        work[i] = e
        s += e
    for i in range(n):
        out[i] = work[i] / s


@jit
def layernorm_row(x, weight, bias, eps, out):
    """``out = (x - mu) / sqrt(var + eps) * weight + bias`` over a 1-D row.

    Order: ``mu = (((0 + x[0]) + x[1]) + ...) / n``; ``d_i = x[i] - mu``;
    ``var = (((0 + d_0*d_0) + d_1*d_1) + ...) / n``; ``den = sqrt(var + eps)``;
    ``out[i] = (d_i / den) * weight[i] + bias[i]``. ``weight`` and ``bias`` are
    rows of n values (expand broadcasting, and pass ones / zeros for absent
    parameters, at build time); ``eps`` is used as the float64 it is given
    (pass ``float(np.float32(eps))`` to mirror a float32 model).
    """
    n = x.shape[0]
    s = 0.0
    for i in range(n):
        s += np.float64(x[i])
    mu = s / n
    q = 0.0
    for i in range(n):
        d = np.float64(x[i]) - mu
        q += d * d
    den = math.sqrt(q / n + eps)
    for i in range(n):
        out[i] = (np.float64(x[i]) - mu) / den * np.float64(weight[i]) + np.float64(bias[i])
