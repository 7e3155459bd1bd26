"""The Random Spike Masking hash, re-derived in plain Python integers.

An independent implementation of the rule stated in ``mstsim.masking``: a
chain of splitmix64 finalisers over (seed, sample id, name hash, step,
element), ``u = (h >> 11) * 2**-53`` and ``keep = u >= ratio``. Written
from the formula with Python's arbitrary-precision ints (every step reduced
mod 2**64), so the oracle checks the engine's vectorised uint64 masks.
"""
from __future__ import annotations

import hashlib

import numpy as np

_MASK64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_M1 = 0xBF58476D1CE4E5B9
_M2 = 0x94D049BB133111EB


def splitmix64(x: int) -> int:
    """One splitmix64 output for state ``x`` (the state is advanced by the golden gamma first)."""
    z = (x + _GOLDEN) & _MASK64
    z = ((z ^ (z >> 30)) * _M1) & _MASK64
    z = ((z ^ (z >> 27)) * _M2) & _MASK64
    return z ^ (z >> 31)


def name_key(name: str) -> int:
    """BLAKE2b with an 8-byte digest of the UTF-8 name, read as a little-endian integer."""
    return int.from_bytes(hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest(), "little")


def key_prefix(seed: int, sample: int, key: int, step: int) -> int:
    """The chain up to the element: mix(mix(mix(mix(seed) ^ sample) ^ key) ^ step)."""
    h = splitmix64(seed & _MASK64)
    h = splitmix64(h ^ (sample & _MASK64))
    h = splitmix64(h ^ key)
    return splitmix64(h ^ (step & _MASK64))


def uniform(seed: int, sample: int, name: str, step: int, element: int) -> float:
    """The uniform on [0, 1) that decides one element: 53 bits of the hash."""
    return (splitmix64(key_prefix(seed, sample, name_key(name), step) ^ (element & _MASK64)) >> 11) * 2.0**-53


def keep_mask(seed: int, sample_ids, name: str, step: int, n: int, ratio: float) -> np.ndarray:
    """``(len(sample_ids), n)`` bool: True where an element survives the mask."""
    ids = [int(s) for s in np.asarray(sample_ids).reshape(-1)]
    if ratio <= 0.0:  # u >= 0 always holds
        return np.ones((len(ids), n), dtype=bool)
    if ratio >= 1.0:  # u <= 1 - 2**-53 < 1 always
        return np.zeros((len(ids), n), dtype=bool)
    key = name_key(name)
    rows = []
    for sample in ids:
        prefix = key_prefix(seed, sample, key, step)
        rows.append([(splitmix64(prefix ^ e) >> 11) * 2.0**-53 >= ratio for e in range(n)])
    return np.array(rows, dtype=bool).reshape(len(ids), n)
