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

from mstsim.kernels.sample_attention import analog_spike, spike_spike  # noqa: E402

LEAD, N, D, BATCH = 192, 49, 32, 4


def events(rng, shape, density):
    """Per sample: (idx, val) of the spikes, ascending as an IF emits them; and the dense 0/1 tensor."""
    spikes = rng.random((BATCH,) + shape) < density
    evs = [(np.flatnonzero(s).astype(np.int64), np.ones(int(s.sum()), np.float32)) for s in spikes]
    return evs, spikes.astype(np.float32)


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
    print(f"lead {LEAD} (windows x heads), {N} tokens, head dim {D}, batch {BATCH}, float32; the plan's "
          "per-sample kernels, one call per sample, against a batched NumPy (BLAS) product\n")
    print("| density | q k^T ACs (coincidences) | event ms | dense ms | dense/event | P v ACs | event ms | dense ms | dense/event |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    out = np.zeros(LEAD * N * N, np.float32)
    start = np.zeros(LEAD * D + 1, np.int64)
    a_t, out_t = np.zeros(LEAD * N * N, np.float32), np.zeros(LEAD * D * N, np.float32)
    for density in (0.01, 0.02, 0.05, 0.1, 0.2, 0.3):
        q, qd = events(rng, (LEAD, N, D), density)
        kt, ktd = events(rng, (LEAD, D, N), density)
        cols = np.zeros(max(len(k[0]) for k in kt) + 1, np.int64)
        vals = np.zeros(cols.size, np.float32)

        def qk():
            acs = 0
            for (qi, qv), (ki, kv) in zip(q, kt):
                acs += spike_spike(qi, qv, qi.size, ki, kv, ki.size, LEAD, N, D, N, start, cols, vals, out, 0)
            return acs
        acs = qk()
        qi, qv = q[-1]
        assert np.array_equal(out.reshape(LEAD, N, N), qd[-1] @ ktd[-1])  # exact: 0/1 values
        t_ev = best(qk)
        t_dense = best(lambda: qd @ ktd)
        p = rng.random((BATCH, LEAD, N, N)).astype(np.float32)
        v, vd = events(rng, (LEAD, N, D), density)
        pv_out = np.zeros(LEAD * N * D, np.float32)

        def pv():
            for s, (vi, vv) in enumerate(v):
                analog_spike(p[s].reshape(-1), 0, vi, vv, vi.size, LEAD, N, N, D, a_t, out_t, pv_out, 0)
        pv()
        assert np.allclose(pv_out.reshape(LEAD, N, D), p[-1] @ vd[-1], rtol=1e-5, atol=1e-5)
        t_pv = best(pv)
        t_pv_dense = best(lambda: p @ vd)
        n_v = sum(vi.size for vi, _ in v)
        print(f"| {density:.0%} | {acs / BATCH:,.0f} | {1e3 * t_ev:.2f} | {1e3 * t_dense:.2f} | {t_dense / t_ev:.1f}x "
              f"| {n_v * N / BATCH:,.0f} | {1e3 * t_pv:.2f} | {1e3 * t_pv_dense:.2f} | {t_pv_dense / t_pv:.1f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
