"""Compiling the plan's kernels on first use: the table of op entries, and both cores when cold.

Numba compiles one function at a time in a process, under a global lock.
On a machine whose cache does not hold the kernels yet, the entries a
plan needs (``kernels.plan_entries``) and its runner are independent
compilations, so a helper process compiles some of them into Numba's
on-disk cache while this one compiles the others, and this process then
loads the helper's from the cache. The two share the list by claiming
jobs (an exclusively created file per job): the helper from the largest
down, this process from the smallest up, so they finish together whatever
each job costs. ``start_ahead`` starts the helper before the run needs
it (``mstsim run`` does, while it imports the other models); the run then
claims what is left. Nothing else changes: the same functions, compiled
for the same types, give the same machine code whichever process compiled
them. The helper runs only with two CPUs or more (``MSTSIM_THREADS``, when
set, counts) and more than one job; ``MSTSIM_COMPILE_HELPER=0`` turns it
off. If it fails, this process compiles what it did not.
"""
from __future__ import annotations

import atexit
import importlib
import os
import pathlib
import pickle
import shutil
import subprocess
import sys
import tempfile
import threading

import numpy as np

from ..kernels.op_call import key_of
from ..kernels.plan_entries import ENTRIES, KEY, N_SLOTS, entry_address
from .threads import max_threads

#: rough seconds each function takes to compile cold (one process alone), only to order the jobs:
#: the helper takes the largest first; one not listed counts DEFAULT_SECONDS
COMPILE_SECONDS = {"e_synaptic": 4.8, "e_matmul": 4.7, "e_fill_move": 4.4, "e_elementwise": 6.0,
                   "e_remap": 2.7, "e_softmax": 2.6, "e_if": 2.2, "e_gelu": 2.5, "e_binary": 1.6,
                   "run_sample": 1.5, "run_part": 1.5, "e_max_pool": 1.5, "e_add": 1.3, "e_mask": 1.2,
                   "e_fill_touched": 1.2, "e_layer_norm": 1.1, "e_fill_concat": 0.8, "e_output": 0.7}
DEFAULT_SECONDS = 0.5
HELPER_TIMEOUT_S = 900

_tables: dict[int, np.ndarray] = {}
_ahead: list["_Helper"] = []  # helpers started by start_ahead, still to be met by compile_all
_lock = threading.RLock()


def op_table(arg_types: tuple, slots, also=()) -> np.ndarray:
    """The runner's table of entries for ``arg_types`` (slot KEY: their key) with every slot in
    ``slots`` compiled (0 in a slot not compiled: the runner refuses to call it). ``also``:
    further (dispatcher, argument types) to compile with them, such as the runner itself."""
    key = key_of(arg_types)
    table = _tables.get(key)
    if table is None:
        table = np.zeros(N_SLOTS, dtype=np.int64)
        table[KEY] = key
        _tables[key] = table
    todo = sorted({s for s in slots if table[s] == 0})
    jobs = entry_jobs(arg_types, todo) + [job for job in also if job[1] not in job[0].overloads]
    if not jobs:  # every run after the first: nothing to look up
        return table
    compile_all(jobs)
    for s in todo:
        table[s] = entry_address(s, arg_types)  # compiled by now: loaded, or found in this process
    return table


def entry_jobs(arg_types: tuple, slots) -> list:
    """(dispatcher, argument types) of the entries behind ``slots``, each once."""
    return list({id(ENTRIES[s]): (ENTRIES[s], arg_types) for s in slots}.values())


def start_ahead(jobs) -> None:
    """Start a helper on the jobs not in the cache now; the next ``compile_all`` meets it."""
    missing = _by_size([job for job in jobs if not is_cached(*job)])
    if _helper_allowed() and len(missing) > 1:
        helper = _Helper.start(missing)
        if helper is not None:
            with _lock:
                _ahead.append(helper)


def compile_all(jobs) -> None:
    """Compile each (dispatcher, argument types) of ``jobs``, sharing the ones not in Numba's cache
    with a helper process when there are two cores."""
    with _lock:  # one run's compiling at a time: the helpers ahead are met once
        _compile_all(jobs)


def _compile_all(jobs) -> None:
    missing = _by_size([job for job in jobs if not is_cached(*job)])
    helpers = [h for h in _ahead if any(h.has(job) for job in missing)]
    rest = [job for job in missing if not any(h.has(job) for h in helpers)]
    if not helpers and _helper_allowed() and len(rest) > 1:
        helper = _Helper.start(rest)
        helpers, rest = ([helper], []) if helper is not None else ([], rest)
    try:
        for h in helpers:  # this process takes the smallest jobs first
            for job in reversed(h.jobs):
                if h.claim(job) and any(_same(job, m) for m in missing):
                    job[0].compile(job[1])  # (one not needed now stays claimed: the helper skips it)
        for dispatcher, types in rest:
            dispatcher.compile(types)
    except BaseException:
        for h in helpers:
            h.stop()
        raise
    for h in helpers:
        h.wait()
        if h in _ahead:
            _ahead.remove(h)
    for dispatcher, types in jobs:  # the helper's from the cache (or compiled here if it failed)
        if types not in dispatcher.overloads:
            dispatcher.compile(types)


def is_cached(dispatcher, types: tuple) -> bool:
    """Whether ``dispatcher`` is compiled for ``types`` in this process or in Numba's on-disk cache
    (True when that cannot be told: it is then compiled here, as it would be anyway)."""
    if types in dispatcher.overloads:
        return True
    try:  # Numba's own lookup (caching.FunctionCache._load_overload), without loading the code
        cache = dispatcher._cache
        return cache._index_key(types, dispatcher.targetctx.codegen()) in cache._cache_file._load_index()
    except Exception:  # noqa: BLE001 (another Numba version, or no cache: no way to tell)
        return True


def _helper_allowed() -> bool:
    if os.environ.get("MSTSIM_COMPILE_HELPER", "1") == "0":
        return False
    try:
        return max_threads() >= 2
    except Exception:  # noqa: BLE001 (a bad MSTSIM_THREADS is reported where the run starts)
        return False


def _same(a, b) -> bool:
    """Whether two (dispatcher, argument types) jobs are one."""
    return a[0] is b[0] and a[1] == b[1]


def _by_size(jobs) -> list:
    return sorted(jobs, key=lambda j: -COMPILE_SECONDS.get(j[0].py_func.__name__, DEFAULT_SECONDS))


class _Helper:
    """A helper process compiling ``jobs`` in order, each once it has claimed it in ``claims``."""

    def __init__(self, jobs, claims: str, process: subprocess.Popen):
        self.jobs, self.claims, self.process = jobs, claims, process

    @classmethod
    def start(cls, jobs) -> "_Helper | None":
        claims = tempfile.mkdtemp(prefix="mstsim-compile-")
        names = [(d.py_func.__module__, d.py_func.__qualname__, types) for d, types in jobs]
        env = dict(os.environ)
        root = str(pathlib.Path(__file__).resolve().parents[2])  # the mstsim this process imported
        env["PYTHONPATH"] = os.pathsep.join([root] + [p for p in [env.get("PYTHONPATH")] if p])
        try:
            process = subprocess.Popen([sys.executable, "-m", "mstsim.engine.compiling"], stdin=subprocess.PIPE,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
            process.stdin.write(pickle.dumps((claims, names)))
            process.stdin.close()
        except OSError:
            shutil.rmtree(claims, ignore_errors=True)
            return None
        return cls(jobs, claims, process)

    def has(self, job) -> bool:
        return any(_same(job, j) for j in self.jobs)

    def claim(self, job) -> bool:
        return claim(self.claims, next(k for k, j in enumerate(self.jobs) if _same(job, j)))

    def wait(self) -> None:
        try:
            self.process.wait(timeout=HELPER_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.stop()
        shutil.rmtree(self.claims, ignore_errors=True)

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()
        shutil.rmtree(self.claims, ignore_errors=True)


@atexit.register
def _stop_helpers_ahead() -> None:  # a helper no run met: its jobs are not needed
    for h in _ahead:
        h.stop()


def claim(claims: str, k: int) -> bool:
    """Claim job k (True for the first process to ask)."""
    try:
        os.close(os.open(os.path.join(claims, str(k)), os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        return True
    except FileExistsError:
        return False
    except OSError:  # the claims are gone (the other side finished and cleaned up)
        return False


def _helper_main() -> None:
    """The helper: compile each (module, name, argument types) read from stdin that it claims."""
    claims, names = pickle.loads(sys.stdin.buffer.read())
    for k, (module, name, types) in enumerate(names):
        if claim(claims, k):
            getattr(importlib.import_module(module), name).compile(types)


if __name__ == "__main__":
    _helper_main()
