"""Checks of arguments and keywords before any work starts.

Each check names the argument, the value it got and the valid range, and
raises :class:`ArgumentError` (an :class:`~mstsim.MstsimError` and a
``ValueError``), so the CLI prints one line and a Python caller can catch
either. The bounds on model metadata keep a bad or hostile ``mstsim.preprocess``
entry from asking for terabytes before the memory estimate even runs.
"""
from __future__ import annotations

import math
import numbers
import os
import pathlib

import numpy as np

from .ir.errors import MstsimError

#: upper bounds on values a model's metadata or the command line may ask for
MAX_T = 1_000_000
MAX_SIDE = 8192          # resized image side (ImageNet models use 224)
MAX_BINS = 4096          # event-frame time bins (MST uses 9)
MAX_SEED = 2**63 - 1
DTYPES = ("float32", "float64")


class ArgumentError(MstsimError, ValueError):
    """An argument or keyword has a value outside its valid range."""


def integer(name: str, value, *, lo: int | None = None, hi: int | None = None) -> int:
    """``value`` as an int in ``[lo, hi]``; bools, floats with a fraction and strings are refused."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Integral, np.integer)):
        if isinstance(value, (float, np.floating)) and math.isfinite(value) and float(value).is_integer():
            value = int(value)
        else:
            raise ArgumentError(f"{name} must be an integer{_range(lo, hi)}, got {value!r}")
    value = int(value)
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise ArgumentError(f"{name} must be an integer{_range(lo, hi)}, got {value}")
    return value


def real(name: str, value, *, lo: float | None = None, hi: float | None = None,
         positive: bool = False) -> float:
    """``value`` as a finite float in ``[lo, hi]`` (``> 0`` if ``positive``)."""
    try:
        if isinstance(value, (bool, np.bool_, str, bytes)):
            raise TypeError
        value = float(value)
    except (TypeError, ValueError):
        raise ArgumentError(f"{name} must be a number{_range(lo, hi)}, got {value!r}") from None
    bad = (not math.isfinite(value) or (lo is not None and value < lo) or (hi is not None and value > hi)
           or (positive and value <= 0))
    if bad:
        what = " > 0" if positive and lo is None else _range(lo, hi)
        raise ArgumentError(f"{name} must be a finite number{what}, got {value!r}")
    return value


def seed(value, name: str = "seed") -> int:
    """A mask seed: an integer in ``[0, 2**63 - 1]``."""
    return integer(name, value, lo=0, hi=MAX_SEED)


def steps(value, name: str = "T") -> int:
    """A number of time steps in ``[1, MAX_T]``."""
    return integer(name, value, lo=1, hi=MAX_T)


def float_dtype(value, name: str = "dtype") -> np.dtype:
    """float32 or float64 (as a dtype, a type or its name)."""
    try:
        dt = None if value is None else np.dtype(value)  # np.dtype(None) would be float64
    except TypeError:
        dt = None
    if dt is None or dt.name not in DTYPES:
        raise ArgumentError(f"{name} must be float32 or float64, got {value!r}")
    return dt


def ratio(value, name: str = "mask ratio") -> float:
    """A masking ratio in [0, 1]."""
    return real(name, value, lo=0.0, hi=1.0)


def size_pair(value, name: str = "resize") -> tuple[int, int]:
    """An (H, W) pair of sides in ``[1, MAX_SIDE]``."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != 2:
        raise ArgumentError(f"{name} must be two sides H, W, got {value!r}")
    return tuple(integer(f"{name} {axis}", v, lo=1, hi=MAX_SIDE) for axis, v in zip("HW", value))


def output_file(path, *, overwrite: bool, name: str = "--out") -> pathlib.Path:
    """Check that results can be written to ``path`` before anything is simulated.

    The directory must exist and be writable, ``path`` must not be a
    directory, and an existing file needs ``overwrite``.
    """
    p = pathlib.Path(path)
    if str(path) == "" or p.name in ("", ".", ".."):
        raise ArgumentError(f"{name} {str(path)!r} does not name a file")
    if p.is_dir():
        raise ArgumentError(f"{name} {p} is a directory; give a file name such as {p / 'results.h5'}")
    folder = p.parent if str(p.parent) else pathlib.Path(".")
    if not folder.is_dir():
        state = "is not a directory" if folder.exists() else "does not exist"
        raise ArgumentError(f"{name} {p}: the folder {folder} {state} (nothing was run)")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ArgumentError(f"{name} {p}: the folder {folder} is not writable (nothing was run)")
    if p.exists() and not overwrite:
        raise ArgumentError(f"{name} {p} exists; pass --overwrite to replace it (nothing was run)")
    return p


def _range(lo, hi) -> str:
    if lo is not None and hi is not None:
        return f" in [{lo}, {hi}]"
    if lo is not None:
        return f" >= {lo}"
    if hi is not None:
        return f" <= {hi}"
    return ""


#: weights beyond this magnitude are reported: QCFS networks' weights are O(1)
WEIGHT_WARN = 1e6


def weight_warnings(graph) -> list[str]:
    """One line per node whose weight arrays hold non-finite or implausibly large values
    (a damaged file: a flipped exponent bit turns 0.5 into 1.7e38)."""
    import dataclasses
    lines = []
    for node in graph:
        for f in dataclasses.fields(node):
            w = getattr(node, f.name)
            if not isinstance(w, np.ndarray) or w.dtype.kind != "f" or not w.size:
                continue
            finite = np.isfinite(w)
            if not finite.all():
                lines.append(f"node {node.name!r} {f.name} holds {int((~finite).sum())} NaN or "
                             f"infinite values; the model file may be damaged")
            elif np.abs(w).max() > WEIGHT_WARN:
                lines.append(f"node {node.name!r} {f.name} holds values up to "
                             f"{np.abs(w).max():.3g} in magnitude (beyond {WEIGHT_WARN:g}); the model file "
                             f"may be damaged")
    return lines


def sample_ids(value, n: int, name: str = "sample_ids") -> np.ndarray:
    """Global sample indices: ``n`` non-negative integers (default ``0..n-1``)."""
    if value is None:
        return np.arange(n, dtype=np.int64)
    ids = np.asarray(value).reshape(-1)
    if ids.shape[0] != n or not np.issubdtype(ids.dtype, np.integer) or (ids.size and ids.min() < 0):
        raise ArgumentError(f"{name} must be {n} non-negative integers, one per input, "
                            f"got {ids.dtype} of length {ids.shape[0]}")
    return ids.astype(np.int64)
