"""tanh, pow and the rounding functions, built on the exact kernels in ``expo``."""
import math

from ._bits import TWO52, copysign, fast_two_sum, inline, rint, two_prod, two_sum
from .expo import INF, NAN, exp_dd, expm1_dd, is_normal_finite, log_dd

TINY_TANH = 3.725290298461914e-09  # 2^-28: tanh(x) = x - x^3/3 rounds to x below this
TANH_ONE = 22.0  # 1 - tanh(22) < 2^-62: rounds to 1


@inline
def tanh64(x):
    if x != x:
        return x
    ax = abs(x)
    if ax < TINY_TANH:
        return x
    if ax > TANH_ONE:
        return copysign(1.0, x)
    # tanh(a) = t / (t + 2) with t = expm1(2a) kept as a double-double and the
    # quotient corrected once by its exact remainder: ~0.5 ulp, no cancellation
    th, tl = expm1_dd(2.0 * ax)
    dh, dl = two_sum(2.0, th)
    dl += tl
    q = th / dh
    p, pe = two_prod(q, dh)
    rem = (((th - p) - pe) + tl) - q * dl
    return copysign(q + rem / dh, x)


@inline
def trunc64(x):
    r = rint(x)
    if abs(r) > abs(x):
        r = r - 1.0 if x > 0.0 else r + 1.0
    return copysign(r, x)


@inline
def floor64(x):
    r = rint(x)
    return r - 1.0 if r > x else r


@inline
def ceil64(x):
    r = rint(x)
    return copysign(r + 1.0 if r < x else r, x)  # ceil(-0.5) = -0.0


@inline
def is_odd_integer(y):
    if not abs(y) < TWO52 * 2.0:  # 2^53 and above: every double is even (or inf/nan)
        return False
    h = 0.5 * y
    return rint(y) == y and trunc64(h) != h


@inline
def pow64(x, y):
    """C99/IEEE pow semantics (what NumPy's ``np.power`` does with an array exponent)."""
    if y == 0.0 or x == 1.0:
        return 1.0
    if x != x or y != y:
        return NAN
    y_odd = is_odd_integer(y)
    if abs(y) == INF:
        ax = abs(x)
        if ax == 1.0:
            return 1.0
        return 0.0 if (ax < 1.0) == (y > 0.0) else INF
    if x == 0.0:
        if y < 0.0:
            return copysign(INF, x) if y_odd else INF
        return x if y_odd else 0.0
    if abs(x) == INF:
        if x > 0.0:
            return INF if y > 0.0 else 0.0
        if y > 0.0:
            return -INF if y_odd else INF
        return -0.0 if y_odd else 0.0
    y_int = rint(y) == y
    if x < 0.0 and not y_int:
        return NAN
    if y == 0.5:
        return math.sqrt(x)
    if y == 1.0:
        return x
    if y == -1.0:
        q = 1.0 / x
        if is_normal_finite(q):
            return q
    if y == 2.0:
        q = x * x  # correctly rounded, as np.square
        if is_normal_finite(q):
            return q
    lh, ll = log_dd(abs(x))
    t = y * lh
    if t > 710.0:
        r = INF
    elif t < -746.0:
        r = 0.0
    else:
        th, tl = mul_dd(y, lh, ll)
        r = exp_dd(th, tl)
    return -r if (x < 0.0 and y_odd) else r


@inline
def mul_dd(y, lh, ll):
    """``y * (lh + ll)`` as a normalised double-double (|y * lh| <= 746)."""
    p, e = two_prod(y, lh)
    return fast_two_sum(p, e + y * ll)


@inline
def maximum64(a, b):
    """``np.maximum``: nan if either is nan; for equal values (+-0) the second, as NumPy."""
    if a != a or b != b:
        return NAN
    return a if a > b else b


@inline
def minimum64(a, b):
    """``np.minimum``: nan if either is nan; for equal values (+-0) the second, as NumPy."""
    if a != a or b != b:
        return NAN
    return a if a < b else b

