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
from mstsim.kernels import scatter_affine

N_IN, N_OUT, BATCH, DENSITY, CALLS = 256, 512, 16, 0.10, 20


def _work(rng):
    w_t = dyadic(rng, (N_IN, N_OUT))
    ptr, idx, val = events(rng, BATCH, N_IN, round(DENSITY * N_IN))
    out = np.zeros((BATCH, N_OUT), dtype=np.float32)
    return (ptr, idx, val, w_t, N_IN, out), int(idx.shape[0]) * N_OUT


def scatter_peak(threads: int, repeats: int) -> float:
    """ACs per second of ``threads`` threads each calling ``scatter_affine`` CALLS times (best of repeats).

    The kernel releases the GIL (``nogil=True``), so the threads run in parallel.
    """
    rng = np.random.default_rng(SEED)
    jobs = [_work(rng) for _ in range(threads)]
    for args, _ in jobs:  # compile and bring each weight into cache
        scatter_affine(*args)
    acs = sum(a for _, a in jobs) * CALLS
    best = float("inf")
    for _ in range(repeats):
        start = threading.Barrier(threads + 1)

        def loop(args):
            start.wait()
            for _ in range(CALLS):
                scatter_affine(*args)

        pool = [threading.Thread(target=loop, args=(args,)) for args, _ in jobs]
        for t in pool:
            t.start()
        start.wait()
        t0 = time.perf_counter()
        for t in pool:
            t.join()
        best = min(best, time.perf_counter() - t0)
    return acs / best


def dram_bound(repeats: int, mbytes: int = 512) -> float:
    """Bandwidth-bound AC rate (one float32 weight read per AC): copy read bandwidth / 4 bytes."""
    return bandwidth(mbytes, repeats)[0] / 4


def yardsticks(threads: int, repeats: int, mbytes: int = 512) -> dict:
    """{'peak': {1: AC/s, threads: AC/s}, 'dram': AC/s}, measured now."""
    peak = {n: scatter_peak(n, repeats) for n in sorted({1, threads})}
    return {"peak": peak, "dram": dram_bound(repeats, mbytes)}


if __name__ == "__main__":
    y = yardsticks(2, 9)
    peaks = ", ".join(f"{n} thread(s) {r / 1e9:.2f}" for n, r in y["peak"].items())
    print(f"cache-resident scatter peak GAC/s: {peaks}; DRAM bound {y['dram'] / 1e9:.2f} GAC/s; "
          f"load average {os.getloadavg()[0]:.2f}")
