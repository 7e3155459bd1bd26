"""The argument checks accept exactly the values in range and name the argument otherwise."""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mstsim import MstsimError, validate


@given(v=st.integers(-2**70, 2**70), lo=st.integers(-100, 100), span=st.integers(0, 200))
def test_integer_range(v, lo, span):
    hi = lo + span
    if lo <= v <= hi:
        assert validate.integer("--x", v, lo=lo, hi=hi) == v
        assert validate.integer("--x", np.int64(v) if abs(v) < 2**62 else v, lo=lo, hi=hi) == v
    else:
        with pytest.raises(validate.ArgumentError, match=rf"--x must be an integer in \[{lo}, {hi}\], got {v}"):
            validate.integer("--x", v, lo=lo, hi=hi)


@given(v=st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10, 10)))
def test_real_and_ratio(v):
    ok = math.isfinite(v) and 0 <= v <= 1
    if ok:
        assert validate.ratio(v) == float(v)
    else:
        with pytest.raises(validate.ArgumentError, match="mask ratio must be a finite number in"):
            validate.ratio(v)


@pytest.mark.parametrize("value", [True, "3", 2.5, None, [1], float("nan")])
def test_non_integers_are_refused(value):
    with pytest.raises(validate.ArgumentError) as err:
        validate.integer("batch_size", value, lo=1)
    assert isinstance(err.value, MstsimError) and isinstance(err.value, ValueError)
    assert "batch_size must be an integer >= 1" in str(err.value)


def test_whole_floats_are_integers():
    assert validate.integer("T", 4.0, lo=1) == 4 and validate.steps(np.float64(2)) == 2


def test_dtypes_and_pairs():
    assert validate.float_dtype("float64") == np.float64 and validate.float_dtype(np.float32) == np.float32
    for bad in ("float16", np.int32, "x", None):
        with pytest.raises(validate.ArgumentError, match="dtype must be float32 or float64"):
            validate.float_dtype(bad)
    assert validate.size_pair([224, 224]) == (224, 224)
    for bad in ("ab", [1], [1, 2, 3], 5, [0, 3]):
        with pytest.raises(validate.ArgumentError, match="resize"):
            validate.size_pair(bad)
