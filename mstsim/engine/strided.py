"""A gather map recognised as a strided view, so the runner copies without reading a map.

Transposes, slices, window partitions and the q / k / v splits of a qkv
projection read ``src[j] = start + sum_d i_d * stride_d`` over a grid of
``(..., n_1, n_0)`` output coordinates. Found at build time, such a remap needs
no index table (for a Swin-T-size MST the analog maps are 120 MB of int64
read every step) and its innermost run is a plain strided copy.
"""
from __future__ import annotations

import numpy as np

MAX_DIMS = 6  # the runner's odometer; deeper maps keep their table


def strided_form(src: np.ndarray) -> tuple[int, list[int], list[int]] | None:
    """``(start, dims, strides)``, innermost first, with ``src`` the row-major walk of that grid; else None.

    Dims are found from the inside out: each is the longest run over which the
    block bases step by one stride, shortened to a divisor of what remains,
    and accepted only if every block repeats the pattern exactly.
    """
    src = np.asarray(src, dtype=np.int64)
    if src.size == 0 or src.min() < 0:
        return None
    dims: list[int] = []
    strides: list[int] = []
    bases = src
    while bases.size > 1:
        if len(dims) == MAX_DIMS:
            return None
        step = int(bases[1] - bases[0])
        run = 1 + _run_length(np.diff(bases) == step)
        n = _largest_divisor_at_most(bases.size, run)
        if n == 1:
            return None
        blocks = bases.reshape(-1, n)
        if not np.array_equal(blocks, blocks[:, :1] + step * np.arange(n, dtype=np.int64)):
            return None
        dims.append(n)
        strides.append(step)
        bases = blocks[:, 0]
    return int(bases[0]), dims or [1], strides or [0]


def _run_length(same: np.ndarray) -> int:
    """How many leading entries of a boolean array are True."""
    off = np.flatnonzero(~same)
    return int(off[0]) if off.size else int(same.size)


def _largest_divisor_at_most(total: int, limit: int) -> int:
    for n in range(min(limit, total), 0, -1):
        if total % n == 0:
            return n
    return 1
