"""Where a sweep's chunks run (this process, a local process pool, any Executor, Dask) and the owner's loop.

The loop keeps a few chunks in flight per worker, commits each result as it
arrives (only this process writes the file), resubmits chunks whose worker
died, records chunks that failed, and on Ctrl-C / SIGTERM stops the workers
and leaves the file resumable.
"""
from __future__ import annotations

import collections
import dataclasses
import multiprocessing
import os
import signal
import sys
import threading
from concurrent.futures import FIRST_COMPLETED, CancelledError, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from .ir.errors import MstsimError, UnsupportedInput
from .sweep_worker import ChunkOutput, WorkerSetup, install, run_chunk

MAX_ATTEMPTS = 3  # a chunk whose worker dies this many times is recorded as failed


class SigTerm(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so the loop stops the same way."""


class InProcess:
    """Chunks run one by one in this process (``workers=0``; for debugging and small sweeps)."""

    name = "this process"
    workers = 1

    def __init__(self, setup: WorkerSetup) -> None:
        setup.install()

    def submit(self, task) -> Future:
        fut = Future()
        fut.set_result(run_chunk(task))
        return fut

    def restart(self) -> None:
        pass

    def close(self, *, kill: bool = False) -> None:
        pass


class LocalPool:
    """A pool of worker processes (spawned, so nothing of the owner's state is inherited).

    A worker that dies breaks a ProcessPoolExecutor for good; ``restart``
    builds a new one and the loop resubmits the chunks that were in flight.
    """

    def __init__(self, setup: WorkerSetup, workers: int) -> None:
        self.setup, self.workers = dataclasses.replace(setup, threads=cpu_share(workers)), workers
        self.name = f"{workers} local worker process{'es' if workers > 1 else ''}"
        self._start()

    def _start(self) -> None:
        self.pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                        initializer=install, initargs=(self.setup,))

    def submit(self, task) -> Future:
        return self.pool.submit(run_chunk, task)

    def restart(self) -> None:
        self.close(kill=True)
        self._start()

    def close(self, *, kill: bool = False) -> None:
        if kill:  # running chunks cannot be cancelled: end their processes (Python < 3.14 has no API)
            for proc in list((getattr(self.pool, "_processes", None) or {}).values()):
                if proc.is_alive():
                    proc.kill()
        self.pool.shutdown(wait=not kill, cancel_futures=True)


class GivenExecutor:
    """A caller's ``concurrent.futures.Executor``: tasks carry the model bytes (workers may share nothing)."""

    def __init__(self, setup: WorkerSetup, executor) -> None:
        self.executor = executor
        self.models = {ref.sha256: ref for ref in setup.models}
        self.name = type(executor).__name__
        self.workers = getattr(executor, "_max_workers", None) or os.cpu_count() or 1

    def submit(self, task) -> Future:
        task.model = self.models[task.model.sha256]
        return self.executor.submit(run_chunk, task)

    def restart(self) -> None:
        raise MstsimError("a worker of the given executor died and it cannot be rebuilt from here; the chunks "
                          "committed so far are kept: resume with a working executor")

    def close(self, *, kill: bool = False) -> None:
        pass  # the caller owns it


def cpu_share(workers: int) -> int:
    """Engine threads for each of ``workers`` processes on this machine's CPUs."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cpus = os.cpu_count() or 1
    return max(1, cpus // max(workers, 1))


def make_backend(setup: WorkerSetup, *, workers=None, executor=None, scheduler=None, dask_local=None):
    """The backend for the options: Dask, a given executor, this process, or a local pool (default)."""
    if sum(x is not None for x in (executor, scheduler, dask_local)) > 1:
        raise UnsupportedInput("give at most one of an executor, a Dask scheduler address and a Dask LocalCluster")
    if scheduler is not None or dask_local is not None:
        from .sweep_dask import DaskBackend
        return DaskBackend(setup, scheduler=scheduler, local_workers=dask_local)
    if executor is not None:
        return GivenExecutor(setup, executor)
    workers = (os.cpu_count() or 1) if workers is None else int(workers)
    if workers < 0:
        raise UnsupportedInput(f"--workers must be >= 0, got {workers}")
    return InProcess(setup) if workers == 0 else LocalPool(setup, workers)


class _NoBar:
    def update(self, n):
        pass

    def set_postfix(self, **kw):
        pass

    def close(self):
        pass


def _progress_bar(plan, tasks, enabled):
    try:
        from tqdm import tqdm  # installed with tonic
    except ImportError:
        return _NoBar()
    total = len(plan.runs) * int(plan.bounds[-1])
    todo = sum(t.x.shape[0] for t in tasks)
    return tqdm(total=total, initial=total - todo, unit="sample", desc="sweep", dynamic_ncols=True,
                disable=None if enabled is None else not enabled, file=sys.stderr)


def drive(backend, tasks, writer, plan, *, progress=None) -> None:
    """Run ``tasks`` on ``backend``, committing each result through ``writer``."""
    pending = collections.deque(tasks)
    attempts = collections.Counter()
    running: dict = {}
    inflight = 2 * max(int(backend.workers), 1)
    bar = _progress_bar(plan, tasks, progress)
    failed = 0
    restore = _sigterm_as_interrupt()
    try:
        while pending or running:
            broken, unsent = [], False
            while pending and len(running) < inflight:
                try:
                    running[backend.submit(pending[0])] = pending[0]
                except BrokenProcessPool:  # a worker died since the last look: the pool takes no more
                    unsent = True
                    break
                pending.popleft()
            finished, _ = wait(list(running), timeout=0 if unsent else 1.0, return_when=FIRST_COMPLETED)
            for fut in finished:
                task = running.pop(fut)
                try:
                    out = fut.result()
                except BrokenProcessPool:
                    broken.append(task)
                    continue
                except CancelledError:
                    pending.appendleft(task)
                    continue
                except Exception as exc:  # e.g. Dask's KilledWorker after repeated worker deaths
                    out = ChunkOutput(task.run, task.chunk, "?", 0.0, error=f"{type(exc).__name__}: {exc}")
                writer.commit(out)
                failed += out.error is not None
                bar.update(task.x.shape[0])
                if failed:
                    bar.set_postfix(failed=failed)
            if broken or unsent:
                broken += list(running.values())  # the whole pool is gone: everything in flight reruns
                running.clear()
                backend.restart()
                for task in broken:
                    attempts[(task.run, task.chunk)] += 1
                    if attempts[(task.run, task.chunk)] >= MAX_ATTEMPTS:
                        writer.commit(ChunkOutput(task.run, task.chunk, "?", 0.0,
                                                  error=f"a worker process died {MAX_ATTEMPTS} times on this chunk"))
                        failed += 1
                        bar.update(task.x.shape[0])
                    else:
                        pending.appendleft(task)
    except KeyboardInterrupt as exc:
        for fut in running:
            fut.cancel()
        backend.close(kill=True)
        done = int(writer.done().sum())
        raise _interrupted(writer.path, done, writer.done().size,
                           signal.SIGTERM if isinstance(exc, SigTerm) else signal.SIGINT) from None
    except BaseException:  # e.g. the disk is full: stop the workers, keep what is committed
        backend.close(kill=True)
        raise
    else:
        backend.close()
    finally:
        bar.close()
        restore()


def _interrupted(path, done, total, signum):
    from .sweep_plan import SweepInterrupted
    return SweepInterrupted(f"interrupted by {signal.Signals(signum).name}: {path} holds {done} of {total} "
                            "chunks, committed; run the same command with --resume to finish it",
                            exit_code=128 + signum)


def _sigterm_as_interrupt():
    """SIGTERM handled as Ctrl-C while the loop runs (main thread only); returns the undo."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def handler(signum, frame):
        raise SigTerm

    old = signal.signal(signal.SIGTERM, handler)
    return lambda: signal.signal(signal.SIGTERM, old)
