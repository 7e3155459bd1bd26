"""Peak AC rate of the linear scatter kernel with cache-resident weights, on 1 and on N threads,
and the DRAM-bandwidth-bound AC rate: the yardsticks of a whole run's AC rate.

Uses the kernel, the event generator and the bandwidth test of ``bench_scatter.py``.
The weight is 256 x 512 float32 (512 KiB), small enough to stay in one core's L2
(1 MiB here) across calls; each thread has its own copy and output. 10% of the
inputs spike per sample, batch 16; every event adds one 512-float row (512 ACs).
"""
from __future__ import annotations

import os
import threading
import time

for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):  # before NumPy loads BLAS
    os.environ.setdefault(_v, "1")

import numpy as np

from bench_scatter import SEED, bandwidth, dyadic, events
from batched_kernels import linear

N_IN, N_OUT, BATCH, DENSITY, CALLS = 256, 512, 16, 0.10, 200


def _work(rng):
    w_t = dyadic(rng, (N_IN, N_OUT))
    ptr, idx, val = events(rng, BATCH, N_IN, round(DENSITY * N_IN))
    out = np.zeros((BATCH, N_OUT), dtype=np.float32)
    return (ptr, idx, val, w_t.reshape(-1), N_IN, N_OUT, out), int(idx.shape[0]) * N_OUT


def scatter_peak(threads: int, repeats: int) -> tuple[float, float]:
    """(ACs per wall second, ACs per CPU second) of ``threads`` threads each calling the plan's ``scatter_linear`` (batched)
    CALLS times, best of ``repeats``. The kernel releases the GIL (``nogil=True``), so the threads run
    in parallel; CPU time is the process's, all threads."""
    rng = np.random.default_rng(SEED)
    jobs = [_work(rng) for _ in range(threads)]
    for args, _ in jobs:  # compile and bring each weight into cache
        linear(*args)
    acs = sum(a for _, a in jobs) * CALLS
    best, best_cpu = float("inf"), float("inf")
    for _ in range(repeats):
        start = threading.Barrier(threads + 1)

        def loop(args):
            start.wait()
            for _ in range(CALLS):
                linear(*args)

        pool = [threading.Thread(target=loop, args=(args,)) for args, _ in jobs]
        for t in pool:
            t.start()
        start.wait()
        t0, c0 = time.perf_counter(), time.process_time()
        for t in pool:
            t.join()
        best = min(best, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    return acs / best, acs / best_cpu


def dram_bound(repeats: int, mbytes: int = 512) -> float:
    """Bandwidth-bound AC rate (one float32 weight read per AC): copy read bandwidth / 4 bytes."""
    return bandwidth(mbytes, repeats)[0] / 4


def yardsticks(threads: int, repeats: int, mbytes: int = 512) -> dict:
    """{'peak': {n: AC per wall s}, 'peak_cpu': {n: AC per CPU s}, 'dram': AC/s} for n = 1 and ``threads``."""
    runs = {n: scatter_peak(n, repeats) for n in sorted({1, threads})}
    return {"peak": {n: r[0] for n, r in runs.items()}, "peak_cpu": {n: r[1] for n, r in runs.items()},
            "dram": dram_bound(repeats, mbytes)}


if __name__ == "__main__":
    y = yardsticks(2, 9)
    peaks = ", ".join(f"{n} thread(s) {r / 1e9:.2f} (per CPU s {y['peak_cpu'][n] / 1e9:.2f})"
                      for n, r in y["peak"].items())
    print(f"cache-resident scatter peak GAC/s: {peaks}; DRAM bound {y['dram'] / 1e9:.2f} GAC/s; "
          f"load average {os.getloadavg()[0]:.2f}")
