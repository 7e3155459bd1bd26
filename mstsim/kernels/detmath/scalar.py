"""Public scalar functions: float64 in and out, and float32 wrappers.

Each function inlines its kernel once; the wrappers and composites call the
public float64 functions with float64 arguments (a call, not another copy to
compile). The float64 functions convert their argument to float64 first, so
a float32 or integer argument computes in float64 and returns float64, but
it compiles one more specialization: pass float64 (or use ``*_f32``). The
``*_f32`` wrappers return ``np.float32(f(float64(x)))``: one rounding of the
float64 result (for sqrt and reciprocal this is the correctly rounded float32
result, as float64 carries more than 2*24+2 bits). The max ulp errors measured
by ``tests/kernels/measure_ulp.py`` are listed in ``mstsim.kernels.detmath``.
"""
import math

import numpy as np

from ._bits import inline, jit, rint
from .erf import erf64
from .expo import exp64, expm1_64, log64
from .special import ceil64, floor64, maximum64, minimum64, pow64, tanh64, trunc64

SQRT2 = math.sqrt(2.0)
GELU_TANH_K = math.sqrt(2.0 / math.pi)  # as np.sqrt(2 / np.pi): one rounding of a rounded quotient
GELU_TANH_C = 0.044715


@inline  # the hot one (softmax): inlined into the caller's loop, which saves the call
def det_exp(x):
    """``e**x``; overflow -> inf, underflow -> correctly rounded subnormal or +0, nan -> nan.

    Measured max error 0.504 ulp (0.500 in the subnormal range).
    """
    return exp64(np.float64(x))


@jit
def det_expm1(x):
    """``e**x - 1`` without cancellation near 0; keeps -0.0. Measured max error 0.722 ulp."""
    return expm1_64(np.float64(x))


@jit
def det_log(x):
    """Natural log; log(+-0) = -inf, log(x < 0) = nan, log(inf) = inf. Measured max error 0.500 ulp."""
    return log64(np.float64(x))


@jit
def det_erf(x):
    """Error function; erf(+-0) = +-0, erf(+-inf) = +-1. Measured max error 0.537 ulp."""
    return erf64(np.float64(x))


@jit
def det_tanh(x):
    """Hyperbolic tangent; tanh(x) = x for |x| < 2^-28, +-1 beyond 22. Measured max error 0.584 ulp."""
    return tanh64(np.float64(x))


@jit
def det_pow(x, y):
    """``x**y`` with C99 / ``np.power`` (array exponent) special cases.

    Order of evaluation: y == 0 or x == 1 -> 1 (even for nan); nan -> nan;
    infinite y, zero x and infinite x by the C99 table; negative x with a
    non-integer y -> nan; y == 0.5 -> sqrt(x); y == 1 -> x; y == 2 -> x * x and
    y == -1 -> 1 / x (one rounding each) when the result is normal; otherwise
    ``exp(y * log|x|)`` with log and the product in double-double, sign from
    the parity of y (so x**3 is not x*x*x: that would round twice).
    Measured max error 0.554 ulp (for |y log x| up to 700; the double-double
    product keeps the error below ~0.5 + |y log x| 2^-65 / 2^-53 ulp). Note that NumPy with a *scalar*
    exponent 0.5 calls sqrt, so ``np.power(-0.0, 0.5)`` is -0.0 there and +0.0
    here (C99), and ``np.power(-inf, 0.5)`` is nan there and inf here.
    """
    return pow64(np.float64(x), np.float64(y))


@jit
def det_sqrt(x):
    """IEEE square root (correctly rounded by the hardware on every x86-64)."""
    return math.sqrt(np.float64(x))


@jit
def det_reciprocal(x):
    """``1 / x`` (correctly rounded)."""
    return 1.0 / np.float64(x)


@jit
def det_round(x):
    """Round half to even (ONNX Round, ``np.round``); exact, keeps -0.0."""
    return rint(np.float64(x))


@jit
def det_floor(x):
    """``np.floor``; exact, keeps -0.0."""
    return floor64(np.float64(x))


@jit
def det_ceil(x):
    """``np.ceil``; exact, ceil(-0.5) = -0.0."""
    return ceil64(np.float64(x))


@jit
def det_trunc(x):
    """``np.trunc``; exact, trunc(-0.5) = -0.0."""
    return trunc64(np.float64(x))


@jit
def det_maximum(a, b):
    """``np.maximum``: nan if either is nan; ``b`` when they compare equal (+-0)."""
    return maximum64(np.float64(a), np.float64(b))


@jit
def det_minimum(a, b):
    """``np.minimum``: nan if either is nan; ``b`` when they compare equal (+-0)."""
    return minimum64(np.float64(a), np.float64(b))


@jit
def det_gelu(x):
    """``(0.5 * x) * (1 + erf(x / sqrt(2)))``, in this order (as torch and the ANN forward).

    Each operation rounds once; for x < -3 the sum ``1 + erf`` cancels, so
    the result is only as accurate as that formula (as in torch).
    """
    x = np.float64(x)
    return (0.5 * x) * (1.0 + det_erf(x / SQRT2))


@jit
def det_gelu_tanh(x):
    """``(0.5 * x) * (1 + tanh(k * (x + 0.044715 * ((x * x) * x))))``, ``k = sqrt(2 / pi)``.

    The order of torch's tanh GELU; ``k`` is ``np.sqrt(2 / np.pi)``.
    """
    x = np.float64(x)
    return (0.5 * x) * (1.0 + det_tanh(GELU_TANH_K * (x + GELU_TANH_C * ((x * x) * x))))


@jit
def det_exp_f32(x):
    """``det_exp`` rounded once to float32; measured max 0.4999 float32 ulp."""
    return np.float32(det_exp(np.float64(x)))


@jit
def det_expm1_f32(x):
    """``det_expm1`` rounded once to float32; measured max 0.4997 float32 ulp."""
    return np.float32(det_expm1(np.float64(x)))


@jit
def det_log_f32(x):
    """``det_log`` rounded once to float32; measured max 0.5000 float32 ulp."""
    return np.float32(det_log(np.float64(x)))


@jit
def det_erf_f32(x):
    """``det_erf`` rounded once to float32; measured max 0.5000 float32 ulp."""
    return np.float32(det_erf(np.float64(x)))


@jit
def det_tanh_f32(x):
    """``det_tanh`` rounded once to float32; measured max 0.4999 float32 ulp."""
    return np.float32(det_tanh(np.float64(x)))


@jit
def det_pow_f32(x, y):
    """``det_pow`` of the float32 arguments, rounded once to float32 (<= 0.5 + 2^-20 float32 ulp)."""
    return np.float32(det_pow(np.float64(x), np.float64(y)))


@jit
def det_sqrt_f32(x):
    """float32 sqrt, correctly rounded (the same bits as a float32 sqrt instruction)."""
    return np.float32(math.sqrt(np.float64(x)))


@jit
def det_reciprocal_f32(x):
    """float32 ``1 / x``, correctly rounded (the same bits as float32 division)."""
    return np.float32(1.0 / np.float64(x))


@jit
def det_gelu_f32(x):
    """``det_gelu`` rounded once to float32."""
    return np.float32(det_gelu(np.float64(x)))


@jit
def det_gelu_tanh_f32(x):
    """``det_gelu_tanh`` rounded once to float32."""
    return np.float32(det_gelu_tanh(np.float64(x)))
