"""Compiling the plan's kernels on first use: the table of op entries, and both cores when cold.

Numba compiles one function at a time in a process, under a global lock.
On a machine whose cache does not hold the kernels yet, the entries a
plan needs (``kernels.plan_entries``) and its runner are independent
compilations, so a helper process compiles about half of them into
Numba's on-disk cache while this one compiles the rest; this process then
loads the helper's from the cache. Nothing else changes: the same
functions, compiled for the same types, give the same machine code
whichever process compiled them. The helper runs only with two CPUs or
more (``MSTSIM_THREADS``, when set, counts) and more than one function to
compile; ``MSTSIM_COMPILE_HELPER=0`` turns it off. If it fails, this
process compiles what it did not.
"""
from __future__ import annotations

import importlib
import os
import pathlib
import pickle
import subprocess
import sys

import numpy as np

from ..kernels.op_call import key_of
from ..kernels.plan_entries import ENTRIES, KEY, N_SLOTS, entry_address
from .threads import max_threads

#: seconds each function takes to compile cold (one process alone, in this order, on the 2-core
#: machine of benchmarks/README.md), to share the work evenly; one not listed counts DEFAULT_SECONDS
COMPILE_SECONDS = {"e_synaptic": 4.8, "e_matmul": 4.7, "e_fill_move": 4.4, "e_elementwise": 6.0,
                   "e_remap": 2.7, "e_softmax": 2.6, "e_if": 2.2, "e_gelu": 2.5, "e_binary": 1.6,
                   "run_sample": 1.5, "run_part": 1.5, "e_max_pool": 1.5, "e_add": 1.3, "e_mask": 1.2,
                   "e_fill_touched": 1.2, "e_layer_norm": 1.1, "e_fill_concat": 0.8, "e_output": 0.7}
DEFAULT_SECONDS = 0.5
#: the helper's start (an interpreter, mstsim imported) and the callees it compiles again
HELPER_START_SECONDS = 2.0
HELPER_TIMEOUT_S = 900

_tables: dict[int, np.ndarray] = {}


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
    jobs = list({id(ENTRIES[s]): (ENTRIES[s], arg_types) for s in todo}.values()) + list(also)
    compile_all(jobs)
    for s in todo:
        table[s] = entry_address(s, arg_types)  # compiled by now: loaded, or found in this process
    return table


def compile_all(jobs) -> None:
    """Compile each (dispatcher, argument types) of ``jobs``, sharing the ones not in Numba's cache
    with a helper process when there are two cores."""
    missing = [job for job in jobs if not is_cached(*job)]
    theirs = _helper_share(missing) if _helper_allowed() and len(missing) > 1 else []
    helper = _start_helper(theirs) if theirs else None
    try:
        for dispatcher, types in missing:
            if not any(dispatcher is d and types == t for d, t in theirs):
                dispatcher.compile(types)
    finally:
        if helper is not None:
            _wait(helper)
    for dispatcher, types in jobs:  # the helper's from the cache (or compiled here if it failed)
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


def _helper_share(missing) -> list:
    """The helper's part of the work, by COMPILE_SECONDS: largest first onto the side that would end
    first."""
    mine, theirs, load = [], [], [0.0, HELPER_START_SECONDS]
    for job in sorted(missing, key=lambda j: -_seconds(j[0])):
        side = 0 if load[0] <= load[1] else 1
        (mine if side == 0 else theirs).append(job)
        load[side] += _seconds(job[0])
    return theirs


def _seconds(dispatcher) -> float:
    return COMPILE_SECONDS.get(dispatcher.py_func.__name__, DEFAULT_SECONDS)


def _start_helper(jobs) -> subprocess.Popen | None:
    names = [(d.py_func.__module__, d.py_func.__qualname__, types) for d, types in jobs]
    env = dict(os.environ)
    root = str(pathlib.Path(__file__).resolve().parents[2])  # the mstsim this process imported
    env["PYTHONPATH"] = os.pathsep.join([root] + [p for p in [env.get("PYTHONPATH")] if p])
    try:
        helper = subprocess.Popen([sys.executable, "-m", "mstsim.engine.compiling"], stdin=subprocess.PIPE,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        helper.stdin.write(pickle.dumps(names))
        helper.stdin.close()
    except OSError:
        return None
    return helper


def _wait(helper: subprocess.Popen) -> None:
    try:
        helper.wait(timeout=HELPER_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        helper.kill()
        helper.wait()


def _helper_main() -> None:
    """The helper: compile each (module, name, argument types) read from stdin into the cache."""
    for module, name, types in pickle.loads(sys.stdin.buffer.read()):
        getattr(importlib.import_module(module), name).compile(types)


if __name__ == "__main__":
    _helper_main()
