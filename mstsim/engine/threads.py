"""Samples of a batch on several threads: the plan kernel releases the GIL.

Each sample is computed whole by one thread, so the split never changes a
bit; the thread count only decides how fast. ``MSTSIM_THREADS`` (default:
the CPUs this process may use) caps it.
"""
from __future__ import annotations

import os
import threading
from typing import Callable

from ..ir.errors import UnsupportedInput


def available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def thread_count(batch: int) -> int:
    """Threads for a batch: ``MSTSIM_THREADS`` or the available CPUs, at most one per sample."""
    return max(1, min(max_threads(), batch))


def workspace_slots(batch: int, per_sample: bool, pipelines: bool = True) -> int:
    """Workspaces a run allocates: one per sample with ``on_step``, else one per thread (two for a
    lone sample when it may run pipelined, ``pipelines``: ``pipeline.py``)."""
    if per_sample:
        return batch
    return max(thread_count(batch), 2 if batch == 1 and pipelines and max_threads() >= 2 else 1)


def max_threads() -> int:
    """``MSTSIM_THREADS`` or the available CPUs."""
    raw = os.environ.get("MSTSIM_THREADS", "")
    if raw:
        try:
            n = int(raw)
        except ValueError:
            n = 0
        if n < 1:
            raise UnsupportedInput(f"MSTSIM_THREADS must be a positive integer, got {raw!r}")
    else:
        n = available_cpus()
    return n


def run_parallel(n_items: int, workers: int, work: Callable[[int, int], None]) -> None:
    """Call ``work(item, worker)`` for items 0..n-1, handed out in order to ``workers`` threads.

    The first exception in any thread is raised here after all threads stop.
    """
    if workers <= 1:
        for i in range(n_items):
            work(i, 0)
        return
    lock = threading.Lock()
    next_item = [0]
    errors: list[BaseException] = []

    def loop(worker: int) -> None:
        while True:
            with lock:
                if errors or next_item[0] >= n_items:
                    return
                i = next_item[0]
                next_item[0] += 1
            try:
                work(i, worker)
            except BaseException as exc:  # re-raised in the caller
                with lock:
                    errors.append(exc)
                return

    threads = [threading.Thread(target=loop, args=(w,), daemon=True) for w in range(workers)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    if errors:
        raise errors[0]
