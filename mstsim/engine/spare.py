"""Workspaces kept between runs, for the whole process, within a memory budget.

A run of a large plan spends more on the first touch of fresh workspace pages than on its steps
(the Swin-T size: 0.76 GB a workspace), so a simulator keeps its last run's workspaces for the
next. Kept for every simulator alive, they could add up (a sweep worker caches up to 16
simulators), so the pool holds at most ``BUDGET_BYTES``, dropping the least recently kept first,
and a simulator's entries go when it does.
"""
from __future__ import annotations

import itertools
import threading
import weakref
from collections import OrderedDict

import numpy as np

#: bytes of workspaces kept for later runs, over every simulator of the process
BUDGET_BYTES = 2 * 2**30

_tokens = itertools.count()


class SparePool:
    """``take(key)`` / ``give(key, arrays)`` of workspace arrays, least recently given dropped first."""

    def __init__(self, budget: int = BUDGET_BYTES) -> None:
        self.budget = budget
        self._lock = threading.Lock()
        self._kept: OrderedDict[tuple, tuple[np.ndarray, ...]] = OrderedDict()

    def owner_token(self, owner) -> int:
        """A key prefix for ``owner``, whose entries are dropped when it is garbage collected."""
        token = next(_tokens)
        weakref.finalize(owner, self.drop_owner, token)
        return token

    def take(self, key: tuple):
        """The arrays kept under ``key`` (no longer kept), or None."""
        with self._lock:
            return self._kept.pop(key, None)

    def give(self, key: tuple, arrays: tuple[np.ndarray, ...]) -> None:
        """Keep ``arrays`` under ``key`` (replacing the owner's others), within the budget."""
        size = sum(a.nbytes for a in arrays)
        with self._lock:
            for other in [k for k in self._kept if k[0] == key[0]]:
                del self._kept[other]
            if size > self.budget:
                return
            self._kept[key] = arrays
            while self.kept_bytes() > self.budget:
                self._kept.popitem(last=False)

    def drop_owner(self, token: int) -> None:
        with self._lock:
            for key in [k for k in self._kept if k[0] == token]:
                del self._kept[key]

    def kept_bytes(self) -> int:
        return sum(a.nbytes for arrays in self._kept.values() for a in arrays)

    def kept(self, token: int) -> list[tuple[np.ndarray, ...]]:
        """The arrays kept for one owner (for tests)."""
        with self._lock:
            return [v for k, v in self._kept.items() if k[0] == token]


SPARE = SparePool()
