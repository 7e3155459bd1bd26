"""exp, expm1 and log from +, -, *, /, integer conversion and bit copies only.

``exp`` (Tang's method): ``x = (128 k + j) ln2/128 + r`` with |r| <= ln2/256,
ln2/128 split in a 32-bit head (so ``n * head`` and ``x - n * head`` are
exact) and a tail, the rounding error of ``r`` kept by two_sum,
``exp(x) = 2^k 2^(j/128) (1 + p(r))`` with p the Taylor polynomial of degree 5
and ``2^(j/128)`` a double-double from a table; the scaling by 2^k is built
from exact bits and rounds once, also into the subnormals. ``expm1``: the
same reduction with k = n (one ln2 per step), ``exp(r) - 1`` as its Taylor
polynomial of degree 13 (truncation < 2^-57 for |r| <= ln2/2), and
``2^k - 1`` folded in exactly. ``log``: ``x = 2^e (1 + f)`` with ``1 + f`` in
[sqrt(1/2), sqrt(2)] (exact), ``log(1 + f) = 2 atanh(s)``, ``s = f / (2 + f)``,
with s, ``s^3 2/3`` and ``e ln2`` in double-double (the rest of the series is
small), so log is a double-double rounded once. The coefficients are 1/n!
and 2/(2n+1), rounded once from exact rationals, and the table comes from
50-digit ``decimal`` arithmetic: nothing depends on the machine.
"""
import math
from decimal import Decimal, localcontext

import numpy as np

from ._bits import DBL_MIN, MANT_MASK, as_bits, dd_add, dd_mul, fast_two_sum, from_bits, inline, pow2, scale2, two_prod, \
    two_sum

LN2_HI = float.fromhex("0x1.62e42fee00000p-1")  # ln 2 rounded to 32 bits: k * LN2_HI is exact for |k| < 2^21
LN2_LO = float.fromhex("0x1.a39ef35793c76p-33")  # ln 2 - LN2_HI, rounded
INV_LN2 = float.fromhex("0x1.71547652b82fep+0")
SQRT2 = float.fromhex("0x1.6a09e667f3bcdp+0")
TWO54 = 18014398509481984.0
EXP_HUGE = 709.79  # above: exp overflows for certain (the true limit is 709.7827...)
EXP_TINY = -746.0  # below: exp(x) < 2^-1075 rounds to +0
TWO_THIRDS_HI = 2.0 / 3.0
TWO_THIRDS_LO = float.fromhex("0x1.5555555555555p-55")  # 2/3 - TWO_THIRDS_HI, rounded
INF = math.inf
NAN = math.nan

LN2_128_HI = LN2_HI / 128  # exact scalings
LN2_128_LO = LN2_LO / 128
INV_LN2_128 = float.fromhex("0x1.71547652b82fep+7")


def exp_table() -> np.ndarray:
    """``[2^(j/128) rounded, the rest rounded]`` for j = 0..127, from 60-digit ``decimal``."""
    table = np.empty((128, 2))
    with localcontext() as ctx:
        ctx.prec = 60
        root = Decimal(2)
        for _ in range(7):
            root = root.sqrt()  # 2^(1/128); 127 products then stay exact to ~1e-57
        v = Decimal(1)
        for j in range(128):
            table[j, 0] = float(v)
            table[j, 1] = float(v - Decimal(table[j, 0]))
            v *= root
    return table


EXP_TABLE = exp_table()

# 1/n! for n = 2..13 (exact rational, one rounding: n! < 2^53)
E2, E3, E4, E5, E6, E7, E8, E9, E10, E11, E12, E13 = (1.0 / math.factorial(n) for n in range(2, 14))
# 2/(2n+1) for n = 2..12
L5, L7, L9, L11, L13, L15, L17, L19, L21, L23, L25 = (2.0 / (2 * n + 1) for n in range(2, 13))


@inline
def reduce_arg(x, xlo):
    """``(k, r, err)`` with ``x + xlo = k ln2 + r + err`` to ~2^-80, |r| <= ~ln2/2 (|x| <= 746)."""
    z = x * INV_LN2
    k = int(z + 0.5) if z >= 0.0 else int(z - 0.5)
    kf = float(k)
    hi = x - kf * LN2_HI  # exact (Sterbenz; k * LN2_HI has at most 43 bits)
    lo = kf * LN2_LO - xlo
    r, err = two_sum(hi, -lo)
    return k, r, err


@inline
def exp_poly(r):
    """``(exp(r) - 1 - r) / r^2 - 1/2`` for |r| <= ln2/2: Taylor terms 1/3! .. 1/13!."""
    return r * (E3 + r * (E4 + r * (E5 + r * (E6 + r * (E7 + r * (E8 + r * (E9 + r * (
        E10 + r * (E11 + r * (E12 + r * E13))))))))))


@inline
def exp_dd(x, xlo):
    """``exp(x + xlo)`` rounded once at the end; ``xlo`` is a small correction.

    Tang's table method: ``x + xlo = (128 k + j) ln2/128 + r`` with |r| <= ln2/256,
    ``exp = 2^k * T[j] * (1 + p(r))``, ``T[j] = 2^(j/128)`` as a double-double
    and p the Taylor polynomial of degree 5 (truncation < 2^-60).
    """
    if x != x:
        return x
    if x > EXP_HUGE:
        return INF
    if x < EXP_TINY:
        return 0.0
    z = x * INV_LN2_128
    n = int(z + 0.5) if z >= 0.0 else int(z - 0.5)
    nf = float(n)
    hi = x - nf * LN2_128_HI  # exact: n * LN2_128_HI has at most 50 bits and nearly cancels x
    r, err = two_sum(hi, -(nf * LN2_128_LO - xlo))
    p = r + (err + r * (r * (E2 + r * (E3 + r * (E4 + r * E5)))))
    j = n & 127
    k = n >> 7
    th = EXP_TABLE[j, 0]
    tl = EXP_TABLE[j, 1] + th * p
    if k < -1022:
        return below_dbl_min(th, tl, k)
    return scale2(th + tl, k)


@inline
def below_dbl_min(h, l, k):
    """``2^k (h + l)`` rounded once for -1077 <= k <= -1023 (1 <= h < 2, |l| tiny): a subnormal.

    Scaled by 2^1022, the subnormal grid is the grid of [1, 2); adding 1.0
    makes the one rounding land on it (scaling the rounded sum instead would
    round twice).
    """
    s = pow2(k + 1022)
    hs = h * s  # exact
    u = 1.0 + hs
    e = (1.0 - u) + hs
    w = u + (e + l * s)
    return (w - 1.0) * pow2(-1022)  # both exact


@inline
def exp64(x):
    return exp_dd(x, 0.0)


EXP_NORMAL_MIN = -708.0  # at and above: exp(x) is normal, so exp_dd's 2^k scaling is one exact product
MAGIC = 6755399441055744.0  # 1.5 * 2^52: the low bits of MAGIC + n hold the integer n (|n| < 2^51)


@inline
def exp_nonpositive(x):
    """``exp64(x)``, bit for bit, for ``EXP_NORMAL_MIN <= x <= 0``, with no branch and no float->int
    conversion, so that a loop of it vectorises (softmax; ``tests/kernels/test_exp_nonpositive.py``).

    Each step is exp_dd's: for z <= 0, ``int(z - 0.5)`` is ``trunc(z - 0.5)`` (z - 0.5 is exact
    there), made an integer through MAGIC (exact); -0.0 becomes +0.0 so that every intermediate keeps
    its bits. With k >= -1022 the result is normal, so ``(th + tl) * 2^k`` is the one exact
    product that exp_dd's two-step scaling also gives.
    """
    z = x * INV_LN2_128
    nf = np.trunc(z - 0.5) + 0.0
    n = as_bits(nf + MAGIC) - as_bits(MAGIC)
    hi = x - nf * LN2_128_HI
    r, err = two_sum(hi, -(nf * LN2_128_LO - 0.0))
    p = r + (err + r * (r * (E2 + r * (E3 + r * (E4 + r * E5)))))
    j = n & 127
    k = n >> 7
    th = EXP_TABLE[j, 0]
    tl = EXP_TABLE[j, 1] + th * p
    return (th + tl) * pow2(k)


@inline
def expm1_64(x):
    if x != x:
        return x
    if x > EXP_HUGE:
        return INF
    if x < -40.0:
        return -1.0  # exp(-40) < 2^-57: -1 + that rounds to -1
    if abs(x) < 5.551115123125783e-17:
        return x  # expm1(x) = x (1 + x/2 + ...): the correction is below half an ulp; keeps -0.0
    hi, lo = expm1_dd(x)
    return hi + lo


@inline
def expm1_dd(x):
    """``exp(x) - 1`` as an unrounded pair ``hi + lo`` (-40 <= x <= EXP_HUGE, x != 0).

    Unlike :func:`reduce_exp`, ``r^2 / 2`` is kept exact here (two_prod), since
    for results near 0.5 its rounding would cost half an ulp.
    """
    k, r, err = reduce_arg(x, 0.0)
    sh, sl = two_prod(r, r)
    c = 0.5 * sh + (err + (r * err + (0.5 * sl + sh * exp_poly(r))))
    if k == 0:
        return fast_two_sum(r, c)
    if k > 52:  # exp(x) - 1 = 2^k (1 + r + c - 2^-k): fold the -1 in before the exact scaling
        s, e = fast_two_sum(1.0, r)
        if k < 64:
            c -= pow2(-k)
        return scale2(s + (e + c), k), 0.0
    if k < -53:
        return pow2(k) * (1.0 + (r + c)) - 1.0, 0.0
    t = pow2(k)
    s, e = two_sum(t - 1.0, t * r)  # t - 1 and t * r are exact for -53 <= k <= 52
    return fast_two_sum(s, e + t * c)


@inline
def reduce_log(x):
    """``(e, f)`` with ``x = 2^e (1 + f)`` exactly, ``1 + f`` in [sqrt(1/2), sqrt(2)] (finite x > 0)."""
    b = as_bits(x)
    e = (b >> 52) - 1023
    if e == -1023:  # subnormal: scale into the normal range first
        b = as_bits(x * TWO54)
        e = (b >> 52) - 1023 - 54
    m = from_bits((b & MANT_MASK) | (1023 << 52))
    if m > SQRT2:
        m *= 0.5
        e += 1
    return e, m - 1.0  # Sterbenz: exact


@inline
def log64(x):
    if not x > 0.0:
        if x == 0.0:
            return -INF
        return x if x != x else NAN
    if x == INF:
        return x
    return log_dd(x)[0]  # the double-double's head is its sum rounded once


@inline
def log_dd(x):
    """``log(x)`` as a double-double ``(hi, lo)``, relative error ~2^-65 (finite x > 0)."""
    e, f = reduce_log(x)
    d = 2.0 + f
    dl = (2.0 - d) + f
    sh = f / d
    p, pe = two_prod(sh, d)
    sl = (((f - p) - pe) - sh * dl) / d  # s = f / (2 + f) = sh + sl
    zh, zl = two_prod(sh, sh)
    zl += 2.0 * sh * sl
    ch, cl = dd_mul(sh, sl, zh, zl)  # s^3
    t1h, t1l = dd_mul(ch, cl, TWO_THIRDS_HI, TWO_THIRDS_LO)
    w = L5 + zh * (L7 + zh * (L9 + zh * (L11 + zh * (L13 + zh * (L15 + zh * (L17 + zh * (L19 + zh * (
        L21 + zh * (L23 + zh * L25)))))))))
    t2 = ch * zh * w  # 2 s^5/5 + ...: small enough for one double
    lh, ll = dd_add(2.0 * sh, 2.0 * sl, t1h, t1l + t2)
    ef = float(e)
    eh, el = fast_two_sum(ef * LN2_HI, ef * LN2_LO)
    return dd_add(eh, el, lh, ll)


@inline
def is_normal_finite(p):
    return abs(p) >= DBL_MIN and abs(p) < INF
