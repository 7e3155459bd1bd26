"""erf from +, -, * only, with coefficients computed exactly at import.

|x| < 1/4: the Maclaurin series ``erf(x) = 2/sqrt(pi) sum (-1)^n x^(2n+1) / (n! (2n+1))``
to n = 12, written ``x + x E0 + x z P(z)`` with ``z = x^2``, ``E0 = 2/sqrt(pi) - 1``
and ``x E0`` exact (two_prod), so only the last addition rounds noticeably. 1/4 <= |x| < 6: the Taylor series around the nearest centre
``c = 1/4 + j/8`` (|h| = |x - c| <= 1/16), whose coefficients follow from
``erf^(n+1)(c) = 2/sqrt(pi) (-1)^n H_n(c) exp(-c^2)`` (physicists' Hermite
polynomials), with ``erf(c)`` kept as a double-double; |x| >= 6: +-1 (erfc(6)
< 2^-56, below half an ulp of 1). The tables are computed with Python's
``decimal`` at 50 digits (software arithmetic, the same everywhere) and
rounded once to float64, so they are bit-identical on every machine.

Why not the all-positive series ``2/sqrt(pi) e^(-x^2) sum 2^n x^(2n+1) / (2n+1)!!``:
at |x| ~ 5 it needs ~100 terms whose rounding errors and the error of
``e^(-x^2)`` add up to many ulp; the centred series needs 14 terms and stays
within 0.6 ulp.
"""
from decimal import Decimal, localcontext
from math import factorial

import numpy as np

from ._bits import fast_two_sum, inline, two_prod, two_sum

PI = Decimal("3.14159265358979323846264338327950288419716939937510582097494459")
N_MACLAURIN = 13  # terms n = 0..12: truncation below 1e-25 relative for |x| < 1/4
STEP = 8  # centres per unit
BASE = 0.25  # below: Maclaurin; from here on: the centred series
N_CENTRES = 47  # c = 0.25, 0.375, ..., 6.0
DEG = 13  # Taylor degree around each centre (12 reaches 2^-60; one more for margin)
ERF_ONE = 6.0


def _erf_decimal(x: Decimal, two_over_sqrt_pi: Decimal) -> Decimal:
    """erf(x) for x >= 0 by the all-positive series (exact enough at 50 digits)."""
    term, total, n, x2 = x, x, 0, x * x
    while term > total * Decimal(10) ** -55:
        n += 1
        term = term * 2 * x2 / (2 * n + 1)
        total += term
    return two_over_sqrt_pi * (-x2).exp() * total


def build_tables() -> tuple[np.ndarray, np.ndarray]:
    """``(maclaurin, taylor)``: the float64 coefficient tables described above.

    ``taylor[j] = [erf_hi(c_j), erf_lo(c_j), a_1, ..., a_DEG]`` with
    ``a_n = erf^(n)(c_j) / n!``. Raises if the degree does not reach the
    target truncation error (2^-60 relative), so a change of constants cannot
    silently lose accuracy.
    """
    with localcontext() as ctx:
        ctx.prec = 50
        k = 2 / PI.sqrt()
        mac = [k * (-1) ** n / (factorial(n) * (2 * n + 1)) for n in range(N_MACLAURIN)]
        mac[0] -= 1
        mac.append(mac[0] - Decimal(float(mac[0])))  # the rounding error of E0, as M0_LO
        taylor = np.empty((N_CENTRES, DEG + 2))
        for j in range(N_CENTRES):
            c = Decimal(BASE) + Decimal(j) / STEP
            value = _erf_decimal(c, k)
            hi = float(value)
            g = k * (-c * c).exp()
            hermite = [Decimal(1), 2 * c]  # H_0, H_1, H_{n+1} = 2c H_n - 2n H_{n-1}
            for n in range(1, DEG + 1):
                hermite.append(2 * c * hermite[n] - 2 * n * hermite[n - 1])
            a = [g * (-1) ** n * hermite[n] / factorial(n + 1) for n in range(DEG + 1)]  # a[n] = a_{n+1}
            if abs(a[DEG]) * (Decimal(1) / (2 * STEP)) ** (DEG + 1) > value * Decimal(2) ** -60:
                raise AssertionError(f"erf table: degree {DEG} too low at centre {c}")
            taylor[j, 0], taylor[j, 1] = hi, float(value - Decimal(hi))
            taylor[j, 2:] = [float(v) for v in a[:DEG]]
        return np.array([float(v) for v in mac]), taylor


MACLAURIN, TAYLOR = build_tables()
(M0, M1, M2, M3, M4, M5, M6, M7, M8, M9, M10, M11, M12, M0_LO) = MACLAURIN.tolist()


@inline
def maclaurin(x, z):
    """``x + x E0 + x z P(z)`` (``z = x^2``) as an unrounded pair, ``x E0`` exact (two_prod).

    Rounding ``x E0`` would cost a quarter ulp; now only the caller's final
    ``s + t`` rounds noticeably.
    """
    q = M1 + z * (M2 + z * (M3 + z * (M4 + z * (M5 + z * (M6 + z * (M7 + z * (M8 + z * (
        M9 + z * (M10 + z * (M11 + z * M12))))))))))
    ph, pl = two_prod(x, M0)
    s, e = fast_two_sum(x, ph)
    return s, e + (pl + x * (M0_LO + z * q))


@inline
def tiny_erf(ax):
    """erf(ax) for 0 < ax < 2^-800, rounded once, also onto the subnormal grid.

    Below 2^-800 the error terms of ``x E0`` would underflow, so the sum is
    formed scaled by 2^200; a result below 2^-1022 is rounded by adding
    ``C = 2^-822`` (whose ulp is the scaled subnormal spacing) instead of
    rounding twice.
    """
    s, t = maclaurin(ax * 2.0 ** 200, 0.0)
    if s >= 2.0 ** -822:
        return (s + t) * 2.0 ** -200  # a normal result: the scaling is exact
    u = 2.0 ** -822 + s
    e = (2.0 ** -822 - u) + s
    return ((u + (e + t)) - 2.0 ** -822) * 2.0 ** -200


@inline
def erf64(x):
    if x != x:
        return x
    ax = abs(x)
    if ax == 0.0:
        return x  # keeps the sign of -0.0
    if ax < 2.0 ** -800:
        y = tiny_erf(ax)
        return y if x > 0.0 else -y
    if ax < BASE:
        s, t = maclaurin(x, x * x)
        return s + t
    if ax >= ERF_ONE:
        return 1.0 if x > 0.0 else -1.0
    j = int((ax - BASE) * STEP + 0.5)
    h = ax - (BASE + j / STEP)  # exact: |h| <= 1/16 and the centre is a short dyadic number
    row = TAYLOR[j]
    p = row[DEG + 1]
    for n in range(DEG, 2, -1):
        p = p * h + row[n]
    t, te = two_prod(row[2], h)  # the linear term exactly, the rest is small
    s, e = two_sum(row[0], t)
    y = s + (e + (row[1] + (te + h * (h * p))))
    return y if x > 0.0 else -y
