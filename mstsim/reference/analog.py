"""Dense float64 maths of the analog per-step nodes, written from the IR docstrings.

Arrays are ``(B, *shape)``. Transcendental functions come from Python's
``math`` module element by element and sums from ``math.fsum`` (correctly
rounded), so the oracle does not depend on NumPy's SIMD or BLAS paths.
"""
from __future__ import annotations

import math

import numpy as np

from ..ir.analog import Gelu, LayerNorm, MaxPool2d, Softmax


def _ieee(fn):
    """``fn`` with IEEE results where ``math`` raises: NaN off the domain, inf on overflow."""
    def safe(*args):
        try:
            return fn(*args)
        except ValueError:
            return math.nan
        except OverflowError:
            return math.inf
    return safe


def elementwise_math(fn):
    """Lift a scalar ``math`` function to arrays (float64)."""
    ufunc = np.frompyfunc(_ieee(fn), 1, 1)
    return lambda x: np.asarray(ufunc(np.asarray(x, dtype=np.float64)), dtype=np.float64)


exp, erf, tanh, sqrt = (elementwise_math(f) for f in (math.exp, math.erf, math.tanh, math.sqrt))


def _pow(a, b):
    a, b = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(b, np.float64))
    pow_ = _ieee(math.pow)
    return np.array([pow_(x, y) for x, y in zip(a.reshape(-1).tolist(), b.reshape(-1).tolist())],
                    dtype=np.float64).reshape(a.shape)


def _as_float(mask):
    return np.where(mask, 1.0, 0.0)


def _clip(x, lo, hi):
    """``min(max(x, lo), hi)``, literally (so hi wins when lo > hi)."""
    m = np.where(lo > x, lo, x)
    return np.where(hi < m, hi, m)


#: op -> (function of float64 arrays, accumulates?) -- "accumulates" marks the sums of docs/accounting.md rule 14
OPS = {
    "add": (lambda a, b: a + b, True), "sub": (lambda a, b: a - b, True),
    "mul": (lambda a, b: a * b, False), "div": (lambda a, b: a / b, False),
    "pow": (_pow, False),
    "max": (lambda a, b: np.where(b > a, b, a), False), "min": (lambda a, b: np.where(b < a, b, a), False),
    "equal": (lambda a, b: _as_float(a == b), False), "greater": (lambda a, b: _as_float(a > b), False),
    "less": (lambda a, b: _as_float(a < b), False),
    "where": (lambda c, a, b: np.where(c != 0, a, b), False),
    "clip": (lambda x, lo, hi: _clip(x, lo, hi), False),
    "relu": (lambda x: np.where(x > 0, x, 0.0), False), "erf": (erf, False),
    "floor": (np.floor, False), "round": (np.rint, False),  # rint: ties to even, as ONNX Round
    "sqrt": (sqrt, False), "exp": (exp, False), "tanh": (tanh, False),
    "neg": (lambda x: -x, False), "abs": (np.abs, False), "reciprocal": (lambda x: 1.0 / x, False),
    "trunc": (np.trunc, False), "ne0": (lambda x: _as_float(x != 0), False),
}


def right_aligned(a: np.ndarray, rank: int) -> np.ndarray:
    """A per-sample array (batch first) with axes inserted so that per-sample shapes right-align."""
    return a.reshape(a.shape[:1] + (1,) * (rank + 1 - a.ndim) + a.shape[1:])


def fsum_along(a: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """Correctly rounded sums over ``axes`` (kept as size-1 axes)."""
    moved = np.moveaxis(a, axes, tuple(range(a.ndim - len(axes), a.ndim)))
    keep = moved.shape[:a.ndim - len(axes)]
    rows = moved.reshape(int(np.prod(keep)), -1).tolist()
    sums = np.array([math.fsum(r) for r in rows], dtype=np.float64).reshape(keep + (1,) * len(axes))
    return np.moveaxis(sums, tuple(range(a.ndim - len(axes), a.ndim)), axes)


def softmax(node: Softmax, x: np.ndarray) -> np.ndarray:
    axis = node.axis % (x.ndim - 1) + 1
    e = exp(x - x.max(axis=axis, keepdims=True))
    return e / fsum_along(e, (axis,))


def layer_norm(node: LayerNorm, x: np.ndarray) -> np.ndarray:
    axes = tuple(a + 1 for a in node.norm_axes(x.ndim - 1))
    n = float(np.prod([x.shape[a] for a in axes]))
    d = x - fsum_along(x, axes) / n
    y = d / sqrt(fsum_along(d * d, axes) / n + node.eps)
    if node.weight is not None:
        y = y * node.weight
    if node.bias is not None:
        y = y + node.bias
    return y


def gelu(node: Gelu, x: np.ndarray) -> np.ndarray:
    if node.approximate == "tanh":
        return 0.5 * x * (1.0 + tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def max_pool_taps(node: MaxPool2d, in_shape, out_shape) -> np.ndarray:
    """``(n_out, kh*kw)`` flat input index of every window tap, -1 where it falls on padding."""
    c, h, w = in_shape
    _, ho, wo = out_shape
    (kh, kw), (sh, sw), (dh, dw) = node.kernel, node.stride, node.dilation
    taps = np.full((c, ho, wo, kh * kw), -1, dtype=np.int64)
    for ch in range(c):
        for oy in range(ho):
            for ox in range(wo):
                for ky in range(kh):
                    for kx in range(kw):
                        iy, ix = oy * sh - node.padding[0] + ky * dh, ox * sw - node.padding[1] + kx * dw
                        if 0 <= iy < h and 0 <= ix < w:
                            taps[ch, oy, ox, ky * kw + kx] = (ch * h + iy) * w + ix
    return taps.reshape(c * ho * wo, kh * kw)


def max_pool(taps: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``x`` flat ``(B, n_in)``; padding is -inf, so it never wins."""
    gathered = np.where(taps >= 0, x[:, np.maximum(taps, 0)], -np.inf)
    return gathered.max(axis=-1)
