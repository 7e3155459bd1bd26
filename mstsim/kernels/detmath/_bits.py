"""Exact building blocks: bit casts, powers of two, rint and error-free transforms.

Everything here is exact IEEE arithmetic (or a bit copy), so it gives the
same bits on every x86-64 CPU. The error-free transforms (two_sum, two_prod)
are the classical Knuth/Dekker ones; they need round-to-nearest and no FMA
contraction, which Numba guarantees without ``fastmath``.
"""
import numba as nb
from numba import types
from numba.extending import intrinsic

# error_model="numpy": x / 0.0 is +-inf or nan as in IEEE and NumPy, not a ZeroDivisionError
jit = nb.njit(cache=True, nogil=True, error_model="numpy")
#: for the small building blocks and the public scalars: inlined into the caller at
#: the Numba IR level, so a loop over elements compiles to one straight body
inline = nb.njit(cache=True, nogil=True, error_model="numpy", inline="always")

SIGN_BIT = -0x8000000000000000
MANT_MASK = 0x000FFFFFFFFFFFFF
TWO52 = 4503599627370496.0
DBL_MIN = 2.2250738585072014e-308
SPLITTER = 134217729.0  # 2^27 + 1: Veltkamp split of a double into two 26-bit halves


@intrinsic
def as_bits(typingctx, x):
    """The IEEE bits of a float64 as an int64 (a register copy, no conversion)."""
    if x != types.float64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(types.int64))
    return types.int64(types.float64), codegen


@intrinsic
def from_bits(typingctx, i):
    """The float64 whose IEEE bits are the int64 ``i``."""
    if i != types.int64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(types.float64))
    return types.float64(types.int64), codegen


@inline
def pow2(k):
    """``2.0**k`` for an integer -1022 <= k <= 1023, built from its bits."""
    return from_bits((k + 1023) << 52)


@inline
def scale2(p, k):
    """``p * 2**k`` rounded once, for 0.5 <= |p| < 2 and |k| <= 2000.

    The first factor is exact; only the last multiplication can round
    (to a subnormal, to zero or to inf), so the result is correctly scaled.
    """
    if k > 1000:
        p *= pow2(1000)
        k -= 1000
    elif k < -1000:
        p *= pow2(-1000)
        k += 1000
    return p * pow2(k)


@inline
def copysign(a, b):
    """``|a|`` with the sign bit of ``b`` (bit copy; works on -0.0 and nan)."""
    return from_bits((as_bits(a) & ~SIGN_BIT) | (as_bits(b) & SIGN_BIT))


@inline
def rint(x):
    """Round to the nearest integer, ties to even (ONNX Round); keeps -0.0.

    Adding and subtracting 2^52 leaves no fraction bits, and the machine's
    round-to-nearest-even does the rest; |x| >= 2^52, inf and nan are
    already integral (or nan) and pass through.
    """
    if not abs(x) < TWO52:
        return x
    if x >= 0.0:
        r = (x + TWO52) - TWO52
    else:
        r = (x - TWO52) + TWO52
    return copysign(r, x)


@inline
def two_sum(a, b):
    """``(s, e)`` with ``s = fl(a + b)`` and ``a + b = s + e`` exactly."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


@inline
def fast_two_sum(a, b):
    """``two_sum`` for ``|a| >= |b|`` (or a == 0)."""
    s = a + b
    return s, b - (s - a)


@inline
def split(a):
    """Veltkamp split ``a = hi + lo`` with both halves of at most 26 bits (|a| < 2^996)."""
    c = SPLITTER * a
    hi = c - (c - a)
    return hi, a - hi


@inline
def two_prod(a, b):
    """``(p, e)`` with ``p = fl(a * b)`` and ``a * b = p + e`` exactly (Dekker, no FMA)."""
    p = a * b
    ah, al = split(a)
    bh, bl = split(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


@inline
def dd_mul(ah, al, bh, bl):
    """Double-double product ``(ah + al) * (bh + bl)``, relative error ~2^-104."""
    p, e = two_prod(ah, bh)
    e += ah * bl + al * bh
    return fast_two_sum(p, e)


@inline
def dd_add(ah, al, bh, bl):
    """Double-double sum ``(ah + al) + (bh + bl)``."""
    s, e = two_sum(ah, bh)
    e += al + bl
    return fast_two_sum(s, e)


@jit
def fp_environment_ok(one):
    """Whether the FPU runs as these kernels assume; call with ``one=1.0``.

    Checks round-to-nearest-even (1 + 2^-53 ties to 1; 1 + 3*2^-54 and
    -1 - 3*2^-54 round away from 1) and gradual underflow (2^-1022 / 2 is not
    flushed to zero). A library built with ``-ffast-math`` that is loaded into
    the process can set flush-to-zero for the whole thread; then subnormal
    results differ and this returns False. ``one`` is an argument so the
    compiler cannot fold the checks away.
    """
    u = one * 1.1102230246251565e-16  # 2^-53
    nearest = (one + u == one) and (one + 1.5 * u > one) and (-one - 1.5 * u < -one)
    return nearest and (one * DBL_MIN) * 0.5 > 0.0
