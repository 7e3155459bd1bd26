"""Spike attention kernels against the dense products a clock-driven simulator computes.

Usage: python benchmarks/bench_attention.py
Per step, Swin-T-like window attention shapes: 64 windows x 3 heads (lead 192), 49 tokens,
head dim 32. q k^T with both operands spiking at density d (coincidences = ACs), and P v
with dense P (softmax output) and spiking v. Prints a markdown table (best of 7 after warm-up).
"""
from __future__ import annotations

import pathlib
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from mstsim.engine import Events  # noqa: E402
from mstsim.kernels.matmul import analog_spike_matmul, spike_spike_matmul  # noqa: E402

LEAD, N, D, BATCH = 192, 49, 32, 4


def events(rng, shape, density):
    spikes = rng.random((BATCH,) + shape) < density
    ev = Events.from_counts(spikes.reshape(BATCH, -1).astype(np.int64), np.float32)
    return ev, spikes.astype(np.float32)


def best(fn, repeats=7):
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> int:
    rng = np.random.default_rng(7)
    print(f"lead {LEAD} (windows x heads), {N} tokens, head dim {D}, batch {BATCH}, float32\n")
    print("| density | q k^T ACs (coincidences) | event ms | dense ms | dense/event | P v ACs | event ms | dense ms | dense/event |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for density in (0.01, 0.02, 0.05, 0.1, 0.2, 0.3):
        q, qd = events(rng, (LEAD, N, D), density)
        kt, ktd = events(rng, (LEAD, D, N), density)
        out = np.zeros((BATCH, LEAD * N * N), np.float32)
        acs = spike_spike_matmul(q.ptr, q.idx, q.val, kt.ptr, kt.idx, kt.val, LEAD, N, D, N, out)
        assert np.array_equal(out.reshape(BATCH, LEAD, N, N), qd @ ktd)  # exact: 0/1 values
        t_ev = best(lambda: spike_spike_matmul(q.ptr, q.idx, q.val, kt.ptr, kt.idx, kt.val, LEAD, N, D, N,
                                               np.zeros((BATCH, LEAD * N * N), np.float32)))
        t_dense = best(lambda: qd @ ktd)
        p = rng.random((BATCH, LEAD, N, N)).astype(np.float32)
        v, vd = events(rng, (LEAD, N, D), density)

        def pv():  # as the engine does it: transpose P, scatter, transpose back
            p_t = np.ascontiguousarray(p.transpose(0, 1, 3, 2)).reshape(BATCH, -1)
            out_t = np.zeros((BATCH, LEAD * D * N), np.float32)
            analog_spike_matmul(p_t, v.ptr, v.idx, v.val, N, N, D, out_t)
            return out_t.reshape(BATCH, LEAD, D, N).transpose(0, 1, 3, 2)
        assert np.allclose(pv(), p @ vd, rtol=1e-5, atol=1e-5)
        t_pv = best(pv)
        t_pv_dense = best(lambda: p @ vd)
        print(f"| {density:.0%} | {acs / BATCH:,.0f} | {1e3 * t_ev:.2f} | {1e3 * t_dense:.2f} | {t_dense / t_ev:.1f}x "
              f"| {v.count * N / BATCH:,.0f} | {1e3 * t_pv:.2f} | {1e3 * t_pv_dense:.2f} | {t_pv_dense / t_pv:.1f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
