"""The constants and tables of mstsim.kernels.detmath, checked against independent high-precision values."""
from decimal import Decimal, localcontext
from fractions import Fraction

import numpy as np

from mstsim.kernels.detmath import erf, expo
from tests.kernels import highprec as hp


def exact(*parts: float) -> Fraction:
    return sum((Fraction(p) for p in parts), Fraction(0))


def dec(value: Decimal) -> Fraction:
    return Fraction(value)


def test_ln2_split_and_reciprocals():
    with localcontext() as ctx:
        ctx.prec = 60
        ln2 = dec(Decimal(2).ln())
        assert abs(exact(expo.LN2_HI, expo.LN2_LO) - ln2) < ln2 * Fraction(1, 2 ** 80)
        assert np.float64(expo.LN2_HI).view(np.uint64) & ((1 << 21) - 1) == 0  # 32 significant bits
        assert expo.INV_LN2_128 == float(128 / Decimal(2).ln())
        assert abs(exact(expo.TWO_THIRDS_HI, expo.TWO_THIRDS_LO) - Fraction(2, 3)) < Fraction(1, 2 ** 105)


def test_exp_table_is_two_to_the_j_over_128():
    with localcontext() as ctx:
        ctx.prec = 50
        for j, (hi, lo) in enumerate(expo.EXP_TABLE):
            want = dec(Decimal(2) ** (Decimal(j) / 128))
            assert hi == float(want) and abs(exact(hi, lo) - want) < want * Fraction(1, 2 ** 104), j


@hp.precise
def test_erf_tables_hold_erf_at_the_centres_and_its_maclaurin_coefficients():
    for j, row in enumerate(erf.TAYLOR):
        c = erf.BASE + j / erf.STEP
        want = dec(hp.erf_ref(c))
        assert row[0] == float(want) and abs(exact(row[0], row[1]) - want) < want * Fraction(1, 2 ** 100), c
        assert row[2] == float(2 / hp.PI.sqrt() * (-Decimal(c) ** 2).exp())  # a_1 = erf'(c)
    assert abs(exact(erf.M0, erf.M0_LO) - (dec(2 / hp.PI.sqrt()) - 1)) < Fraction(1, 2 ** 100)
    assert erf.M1 == float(-2 / (3 * hp.PI.sqrt()))
