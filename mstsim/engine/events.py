"""Event tensors: the spikes of one step of a batch, CSR by sample."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np



@dataclass
class Events:
    """Events of a batch at one step.

    The events of sample b are ``idx[ptr[b]:ptr[b+1]]`` (flat indices into the
    per-sample shape) with amplitudes ``val``. The same index may appear more
    than once (spikes merged by an Add); consumers accumulate them.
    """

    ptr: np.ndarray  # (B + 1,) int64
    idx: np.ndarray  # (E,) int64
    val: np.ndarray  # (E,) float

    @property
    def batch(self) -> int:
        return self.ptr.shape[0] - 1

    @property
    def count(self) -> int:
        return int(self.ptr[-1])

    def counts_per_sample(self) -> np.ndarray:
        return np.diff(self.ptr)

    def to_dense(self, n: int, dtype) -> np.ndarray:
        """Sum of the events as a dense ``(B, n)`` array."""
        out = np.zeros((self.batch, n), dtype=dtype)
        rows = np.repeat(np.arange(self.batch), np.diff(self.ptr))
        np.add.at(out, (rows, self.idx), self.val.astype(dtype, copy=False))  # in event order
        return out

    @classmethod
    def empty(cls, batch: int, dtype) -> "Events":
        return cls(np.zeros(batch + 1, np.int64), np.zeros(0, np.int64), np.zeros(0, dtype))

    @classmethod
    def from_counts(cls, counts: np.ndarray, dtype) -> "Events":
        """Unit events from non-negative integer counts ``(B, n)``: k events where the count is k."""
        counts = np.asarray(counts)
        b, n = counts.shape
        reps = counts.astype(np.int64, copy=False).reshape(-1)
        idx = np.repeat(np.tile(np.arange(n, dtype=np.int64), b), reps)
        ptr = np.zeros(b + 1, np.int64)
        np.cumsum(reps.reshape(b, n).sum(axis=1), out=ptr[1:])
        return cls(ptr, idx, np.ones(idx.shape[0], dtype=dtype))
