"""Counter-based Bernoulli masks for Random Spike Masking (RSM).

Every keep/drop decision is a pure function of (seed, sample id, node name,
step, element index): no generator state, so results are identical whatever
the batch size, batch order or number of workers.

The decision hashes the key with splitmix64 finalisers (Steele, Lea & Flood,
2014), chained one key component at a time::

    h = mix(mix(mix(mix(mix(seed) ^ sample) ^ name_hash) ^ step) ^ element)
    u = (h >> 11) * 2**-53          # uniform on [0, 1), 53 bits
    keep = u >= ratio

so an element is dropped with probability ``ratio`` exactly (up to 2**-53),
ratio 0 keeps everything and ratio 1 drops everything. ``name_hash`` is
BLAKE2b of the node name with an 8-byte digest, read as a little-endian
integer (stable across processes, unlike Python's ``hash``).
"""
from __future__ import annotations

import hashlib

import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def mix64(x: np.ndarray) -> np.ndarray:
    """The splitmix64 step on a uint64 array (wrapping arithmetic)."""
    z = np.asarray(x, dtype=np.uint64) + _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def name_hash(name: str) -> np.uint64:
    """A stable 64-bit hash of a node name."""
    return np.uint64(int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little"))


def _check_seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    return int(seed)


def uniform_at(seed: int, samples, node_name: str, step: int, elements) -> np.ndarray:
    """Uniforms on [0, 1) for broadcast arrays of sample ids and element indices."""
    seed = _check_seed(seed)
    samples = np.asarray(samples, dtype=np.uint64)
    elements = np.asarray(elements, dtype=np.uint64)
    with np.errstate(over="ignore"):
        h = mix64(np.uint64(seed % 2**64))
        h = mix64(h ^ samples)
        h = mix64(h ^ name_hash(node_name))
        h = mix64(h ^ np.uint64(int(step) % 2**64))
        h = mix64(h ^ elements)
    return (h >> np.uint64(11)).astype(np.float64) * 2.0**-53


def uniform(seed: int, sample_ids, node_name: str, step: int, n: int) -> np.ndarray:
    """``(len(sample_ids), n)`` uniforms on [0, 1), one per sample and element."""
    samples = np.asarray(sample_ids, dtype=np.uint64).reshape(-1, 1)
    return uniform_at(seed, samples, node_name, step, np.arange(n, dtype=np.uint64)[None, :])


def keep_mask(seed: int, sample_ids, node_name: str, step: int, n: int, ratio: float) -> np.ndarray:
    """Bernoulli keep decisions for Random Spike Masking.

    Parameters
    ----------
    seed : int
        Non-negative run seed.
    sample_ids : array of int
        Global index of each sample of the batch (not its position in it).
    node_name : str
        Name of the mask node (each site draws its own masks).
    step : int
        Time step (0 in ANN mode).
    n : int
        Number of elements per sample (flattened).
    ratio : float
        Drop probability p in [0, 1].

    Returns
    -------
    ndarray of bool, shape ``(len(sample_ids), n)``
        True where the element is kept (probability ``1 - ratio``).
    """
    if not 0.0 <= ratio <= 1.0:
        raise ValueError(f"ratio must be in [0, 1], got {ratio}")
    return uniform(seed, sample_ids, node_name, step, n) >= ratio
