"""High-precision references (Python's ``decimal``, 60 digits) and ulp distances.

``decimal``'s exp, ln and power are correctly rounded at the working
precision, so these references are exact to far below a float64 ulp and need
nothing beyond the standard library.
"""
import functools
import math
from decimal import Decimal, localcontext

PREC = 60
TWO_1024 = Decimal(2) ** 1024
OVERFLOW = TWO_1024 - Decimal(2) ** 970  # from here on, round-to-nearest gives inf
SMALLEST = Decimal(2) ** -1074
PI = Decimal("3.14159265358979323846264338327950288419716939937510582097494459")


def _d(x: float) -> Decimal:
    return Decimal(x)  # exact: every double is a short decimal fraction


def _series(first: Decimal, step) -> Decimal:
    """``first + t_1 + t_2 + ...`` with ``t_n = step(t_(n-1), n)``, to the working precision."""
    term, total, n = first, first, 0
    while abs(term) > abs(total) * Decimal(10) ** -(PREC - 3):
        n += 1
        term = step(term, n)
        total += term
    return total


def precise(fn):
    """Run ``fn`` in a decimal context of PREC digits and a practically unbounded exponent range."""
    @functools.wraps(fn)
    def wrapper(*args):
        with localcontext() as ctx:
            ctx.prec, ctx.Emax, ctx.Emin = PREC, 10 ** 8, -10 ** 8
            return fn(*args)
    return wrapper


@precise
def exp_ref(x: float) -> Decimal:
    return _d(x).exp()


@precise
def expm1_ref(x: float) -> Decimal:
    d = _d(x)
    if abs(d) < Decimal("1e-5"):
        return _series(d, lambda term, n: term * d / (n + 1))  # x^n / n!
    with localcontext() as ctx:
        ctx.prec = PREC + 40  # guard digits for exp(x) - 1 near x = 0
        return +(d.exp() - 1)


@precise
def log_ref(x: float) -> Decimal:
    return _d(x).ln()


@precise
def tanh_ref(x: float) -> Decimal:
    if abs(x) > 40:
        return Decimal(1).copy_sign(_d(x))
    t = expm1_ref(2 * x)
    return t / (t + 2)


@precise
def erf_ref(x: float) -> Decimal:
    d = abs(_d(x))
    if d > 9:
        value = Decimal(1)  # erfc(9) < 1e-36
    else:
        d2 = d * d  # all-positive series: 2/sqrt(pi) e^(-x^2) sum 2^n x^(2n+1) / (2n+1)!!
        value = 2 / PI.sqrt() * (-d2).exp() * _series(d, lambda term, n: term * 2 * d2 / (2 * n + 1))
    return value.copy_sign(_d(x))


@precise
def pow_ref(x: float, y: float) -> Decimal:
    """``x**y`` for finite x != 0, finite y (x < 0 only with integer y)."""
    sign = -1 if (x < 0 and float(y) % 2 == 1) else 1
    return sign * (abs(_d(x)).ln() * _d(y)).exp()


def ulp_of(r: Decimal) -> Decimal:
    """The float64 ulp at the magnitude of ``r`` (the smaller one at a power of two)."""
    a = abs(r)
    if a < Decimal(2) ** -1022:
        return SMALLEST
    f = min(float(a), 1.7976931348623157e308)
    return _d(math.ulp(math.nextafter(f, 0.0) if _d(f) >= a else f))


def ulp_error(got: float, ref: Decimal) -> float:
    """|got - ref| in ulps of ref.

    An infinite ``got`` is exact when round-to-nearest of ``ref`` overflows,
    else it counts as +-2^1024.
    """
    if math.isnan(got):
        return math.inf
    if math.isinf(got) and abs(ref) >= OVERFLOW and (got > 0) == (ref > 0):
        return 0.0  # the correctly rounded result is inf
    g = TWO_1024.copy_sign(_d(1.0 if got > 0 else -1.0)) if math.isinf(got) else _d(got)
    if got != 0 and ref != 0 and (got > 0) != (ref > 0):
        return math.inf  # wrong sign
    with localcontext() as ctx:
        ctx.prec = PREC
        return float(abs(g - ref) / ulp_of(ref))


def ulp_error_f32(got: float, ref: Decimal) -> float:
    """Like :func:`ulp_error` in float32 ulps (2^-149 below the normal range)."""
    a = abs(ref)
    if a < Decimal(2) ** -126:
        u = Decimal(2) ** -149
    else:
        e = math.frexp(float(a))[1]
        if Decimal(2) ** (e - 1) > a:
            e -= 1
        u = Decimal(2) ** (e - 24)
    g = Decimal(2) ** 128 if math.isinf(got) else _d(float(got))
    with localcontext() as ctx:
        ctx.prec = PREC
        return float(abs(g.copy_sign(_d(float(got))) - ref) / u)
