"""Every ``mstsim.ir.analog.ELEMENTWISE`` op as one scalar kernel selected by an int code.

``apply_elementwise(OPCODES[op], a, b, c)`` computes in float64 (unused
operands are ignored) with the NumPy semantics of ``ELEMENTWISE[op]``: round
is half to even, max/min propagate nan, where is ``b if a != 0 else c``,
clip is ``min(max(a, b), c)``, the comparisons give 1.0 / 0.0. For add, sub,
mul, div, sqrt and reciprocal on float32 operands, rounding this float64
result to float32 gives exactly the float32 IEEE result (float64 has more
than 2*24+2 bits), so a float32 plan may use it throughout.
"""
import math

import numpy as np

from ._bits import jit, rint
from .scalar import det_erf, det_exp, det_pow, det_tanh
from .special import floor64, maximum64, minimum64, trunc64

OP_NAMES = ("add", "sub", "mul", "div", "pow", "max", "min", "equal", "greater", "less", "where", "clip",
            "relu", "erf", "floor", "round", "sqrt", "exp", "tanh", "neg", "abs", "reciprocal", "trunc", "ne0")
#: op name -> code for :func:`apply_elementwise`
OPCODES = {name: code for code, name in enumerate(OP_NAMES)}


@jit
def apply_elementwise(code, a, b, c):
    """``ELEMENTWISE[OP_NAMES[code]](a, b, c)`` computed in float64; nan for an unknown code."""
    a, b, c = np.float64(a), np.float64(b), np.float64(c)
    if code < 0:
        return math.nan
    if code < 12:
        if code == 0:
            return a + b
        if code == 1:
            return a - b
        if code == 2:
            return a * b
        if code == 3:
            return a / b
        if code == 4:
            return det_pow(a, b)
        if code == 5:
            return maximum64(a, b)
        if code == 6:
            return minimum64(a, b)
        if code == 7:
            return 1.0 if a == b else 0.0
        if code == 8:
            return 1.0 if a > b else 0.0
        if code == 9:
            return 1.0 if a < b else 0.0
        if code == 10:
            return b if a != 0.0 else c
        return minimum64(maximum64(a, b), c)
    if code == 12:
        return maximum64(a, 0.0)
    if code == 13:
        return det_erf(a)
    if code == 14:
        return floor64(a)
    if code == 15:
        return rint(a)
    if code == 16:
        return math.sqrt(a)
    if code == 17:
        return det_exp(a)
    if code == 18:
        return det_tanh(a)
    if code == 19:
        return -a
    if code == 20:
        return abs(a)
    if code == 21:
        return 1.0 / a
    if code == 22:
        return trunc64(a)
    if code == 23:
        return 1.0 if a != 0.0 else 0.0
    return math.nan
