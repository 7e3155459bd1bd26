"""The elementwise loops over contiguous operands compile to packed (SIMD) arithmetic.

A loop that indexes ``x[off + e]`` with an offset that may be negative gets
Numba's wraparound per element, which keeps LLVM from vectorising it: the
blocked elementwise path once ran at 4-7 cycles an element that way, against
0.4 with views. Not timed: the generated code is checked, on this machine's
CPU and under ``NUMBA_CPU_NAME=generic`` alike (SSE2 has packed double ops too).
"""
import re

import numba as nb
import numpy as np
import pytest

from mstsim.kernels.plan_ops_analog import _pair, _run

PACKED = re.compile(r"^\s*v?(add|sub|mul|div)p[sd]\s", re.M)
SCALAR = re.compile(r"^\s*v?(add|sub|mul|div)s[sd]\s", re.M)


def fresh_asm(dispatcher, *args) -> str:
    """The machine code of a cache-free copy of ``dispatcher`` compiled for ``args``."""
    copy = nb.njit(nogil=True, error_model="numpy")(dispatcher.py_func)
    copy(*args)
    return copy.inspect_asm(copy.signatures[0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_pairwise_loops_are_packed(dtype):
    a, b, out = np.ones(64, dtype), np.ones(64, dtype), np.empty(64, dtype)
    asm = fresh_asm(_pair, 0, a, 1, b, 2, 60, out, 3)
    packed = {m.group(1) for m in PACKED.finditer(asm)}
    assert packed == {"add", "sub", "mul", "div"}, f"only {sorted(packed)} packed"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_loops_against_a_constant_are_packed(dtype):
    x, out = np.ones(64, dtype), np.empty(64, dtype)
    asm = fresh_asm(_run, 0, dtype(2), x, 1, True, 60, out, 3)
    packed = {m.group(1) for m in PACKED.finditer(asm)}
    assert packed == {"add", "sub", "mul", "div"}, f"only {sorted(packed)} packed"
    assert SCALAR.search(asm), "the loops' remainders are scalar: the check reads the right code"
