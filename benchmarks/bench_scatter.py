"""Throughput of the scatter kernels against memory bandwidth and dense NumPy.

    python benchmarks/bench_scatter.py [--quick] [--out PATH]

All figures are single runs on this machine: every timing is the best of
``REPEATS`` calls after a warm-up call (so Numba compile time is excluded).
The Numba kernels run on one thread, and so does BLAS unless OPENBLAS_NUM_THREADS
/ OMP_NUM_THREADS / MKL_NUM_THREADS are set (one core against one core).
Prints a markdown report and writes it to ``benchmarks/results_scatter.md``.
"""
from __future__ import annotations

import argparse
import os

for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):  # before NumPy loads BLAS
    os.environ.setdefault(_v, "1")
import platform
import time
from pathlib import Path

import numba
import numpy as np

from mstsim import dense
from mstsim.ir import Conv2d
from batched_kernels import conv, conv_geometry, fire, linear

SEED = 20240601
DENSITIES = (0.005, 0.01, 0.02, 0.05, 0.10, 0.20, 0.30)
N = 4096  # linear layer: N inputs -> N outputs
BATCH = 16


def best_time(fn, repeats, setup=None):
    """Best wall time of ``fn()`` over ``repeats`` calls, after one warm-up call."""
    if setup:
        setup()
    fn()
    best = float("inf")
    for _ in range(repeats):
        if setup:
            setup()
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def machine_info():
    model = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"CPU: {model}, {os.cpu_count()} logical cores; {platform.system()} {platform.machine()}; "
            f"Python {platform.python_version()}, NumPy {np.__version__}, Numba {numba.__version__}")


def bandwidth(mbytes, repeats):
    """Read bytes/s of a large float32 ``np.copyto`` (which writes as many) and of
    a read-only ``max``; also returns the copy as a cache-flushing function."""
    src = np.ones(mbytes * 2**20 // 4, dtype=np.float32)
    dst = np.empty_like(src)
    copy = lambda: np.copyto(dst, src)  # noqa: E731
    return src.nbytes / best_time(copy, repeats), src.nbytes / best_time(src.max, repeats), src.nbytes, copy


def events(rng, batch, n_in, k):
    """CSR events: k distinct inputs per sample, ascending (as an IF emits them)."""
    ptr = np.arange(batch + 1, dtype=np.int64) * k
    idx = np.concatenate([np.sort(rng.choice(n_in, size=k, replace=False)) for _ in range(batch)]).astype(np.int64)
    return ptr, idx, np.ones(batch * k, dtype=np.float32)


def to_dense(ptr, idx, val, n_in):
    x = np.zeros((ptr.shape[0] - 1, n_in), dtype=np.float32)
    for b in range(ptr.shape[0] - 1):
        x[b, idx[ptr[b]:ptr[b + 1]]] = val[ptr[b]:ptr[b + 1]]
    return x


def dyadic(rng, shape):
    """Weights k/16, |k| <= 16: every partial sum here is exact in float32."""
    return (rng.integers(-16, 17, size=shape) / 16).astype(np.float32)


def bench_linear(rng, repeats, flush):
    w = dyadic(rng, (N, N))               # (out, in), as in the IR
    w_t = np.ascontiguousarray(w.T)       # (in, out), as the engine passes it
    out = np.zeros((BATCH, N), dtype=np.float32)
    rows = []
    for d in DENSITIES:
        k = max(1, round(d * N))
        ptr, idx, val = events(rng, BATCH, N, k)
        x = to_dense(ptr, idx, val, N)
        out[:] = 0
        w_flat = w_t.reshape(-1)
        linear(ptr, idx, val, w_flat, N, N, out)
        assert np.array_equal(out, x @ w.T), f"scatter_linear != dense at density {d}"
        run = lambda: linear(ptr, idx, val, w_flat, N, N, out)  # noqa: E731
        t_warm = best_time(run, repeats, setup=lambda: out.fill(0))
        t_cold = best_time(run, max(3, repeats // 2), setup=lambda: (out.fill(0), flush()))
        t_dense = best_time(lambda: x @ w.T, repeats)
        rows.append((d, k, BATCH * k * N, t_warm, t_cold, t_dense))
    return rows


def bench_conv(rng, repeats, density=0.05):
    cin = cout = 64
    h = wd = 32
    b = 8
    node = Conv2d(name="conv", inputs=("x",), weight=dyadic(rng, (cout, cin, 3, 3)), padding=(1, 1, 1, 1))
    w_t = np.ascontiguousarray(node.weight.transpose(1, 2, 3, 0))  # (C_in, kh, kw, C_out), groups=1
    n_in = cin * h * wd
    k = round(density * n_in)
    ptr, idx, val = events(rng, b, n_in, k)
    x = to_dense(ptr, idx, val, n_in).reshape(b, cin, h, wd)
    out = np.zeros((b, h * wd * cout), dtype=np.float32)
    w_flat, geo = w_t.reshape(-1), conv_geometry(h, wd, cin, cout, 3, 1)
    run = lambda: conv(ptr, idx, val, w_flat, geo, out)  # noqa: E731
    run()
    ref = dense.conv2d(node, x)
    assert np.array_equal(out.reshape(b, h, wd, cout).transpose(0, 3, 1, 2), ref), "scatter_conv != dense conv2d"
    # ACs: each event reaches (#valid ky) * (#valid kx) * C_out outputs (padding 1, 3x3, stride 1)
    r = idx % (h * wd)
    y, xx = r // wd, r % wd
    taps = (3 - (y == 0) - (y == h - 1)) * (3 - (xx == 0) - (xx == wd - 1))
    acs = int(taps.sum()) * cout
    t = best_time(run, repeats, setup=lambda: out.fill(0))
    t_dense = best_time(lambda: dense.conv2d(node, x), repeats)
    macs = b * cout * h * wd * cin * 9
    return dict(b=b, density=density, events=b * k, acs=acs, t=t, t_dense=t_dense, macs=macs)


def bench_fire(rng, repeats, n=65536, rate=0.05):
    v0 = rng.uniform(0.0, 1.0 / (1.0 - rate), size=(BATCH, n)).astype(np.float32)  # ~rate of v >= 1
    v = v0.copy()
    out_idx, out_val = np.zeros(n, np.int64), np.zeros(n, np.float32)
    t = best_time(lambda: fire(v, np.float32(1.0), out_idx, out_val), repeats, setup=lambda: np.copyto(v, v0))
    return dict(neurons=BATCH * n, t=t, spikes=int((v0 >= 1.0).sum()))


def report(quick):
    repeats = 3 if quick else 9
    rng = np.random.default_rng(SEED)
    load = os.getloadavg()[0]
    bw, bw_read, nbytes, flush = bandwidth(256 if quick else 512, repeats)  # flush: 2x nbytes > L3
    ac_bound = bw / 4  # one float32 weight (4 bytes) read per AC
    lin = bench_linear(rng, repeats, flush)
    conv = bench_conv(rng, repeats)
    fi = bench_fire(rng, repeats)

    g = 1e9
    L = [f"Machine: {machine_info()}; BLAS threads: {os.environ['OPENBLAS_NUM_THREADS']}; "
         f"1-min load average at start: {load:.2f}.", "",
         f"Memory bandwidth (`np.copyto` of a {nbytes >> 20} MiB float32 array, best of {repeats}): "
         f"read {bw / g:.1f} GB/s (= bytes copied / time; read+write {2 * bw / g:.1f} GB/s). "
         f"Read-only (`a.max()`, same array): {bw_read / g:.1f} GB/s.",
         f"Bandwidth-bound AC rate = copy read bandwidth / 4 bytes per weight = **{ac_bound / g:.2f} GAC/s** "
         f"(read-only figure / 4: {bw_read / 4 / g:.2f} GAC/s).", "",
         f"Linear `scatter_linear`, {N}x{N} float32 (weights {N * N * 4 >> 20} MiB), batch {BATCH}, "
         f"ACs = events x {N}. *warm*: weights stay in cache between calls; *cold*: a "
         f"{2 * nbytes >> 20} MiB copy (the bandwidth test) evicts them before each call. Dense = `x @ W.T` for the same batch "
         f"({BATCH * N * N / 1e6:.0f} M MACs); equivalent MAC/s = dense MACs / scatter time (warm).", "",
         "| density | events/sample | scatter warm ms | GAC/s warm | % of BW bound | scatter cold ms | "
         "GAC/s cold | % of BW bound | dense ms | dense GMAC/s | dense/scatter time | equiv GMAC/s |",
         "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for d, k, acs, tw, tc, td in lin:
        L.append(f"| {d:.1%} | {k} | {tw * 1e3:.3f} | {acs / tw / g:.2f} | {100 * acs / tw / ac_bound:.0f}% | "
                 f"{tc * 1e3:.3f} | {acs / tc / g:.2f} | {100 * acs / tc / ac_bound:.0f}% | {td * 1e3:.3f} | "
                 f"{BATCH * N * N / td / g:.1f} | {td / tw:.1f}x | {BATCH * N * N / tw / g:.1f} |")
    c = conv
    L += ["", f"Conv `scatter_conv` 64->64 ch, 3x3, pad 1, 32x32 map, float32, batch {c['b']}, "
          f"{c['density']:.0%} input events ({c['events']} events, {c['acs'] / 1e6:.1f} M ACs) vs "
          f"`mstsim.dense.conv2d` ({c['macs'] / 1e6:.0f} M MACs):", "",
          "| scatter ms | GAC/s | dense ms | dense GMAC/s | dense/scatter time |", "|---:|---:|---:|---:|---:|",
          f"| {c['t'] * 1e3:.3f} | {c['acs'] / c['t'] / g:.2f} | {c['t_dense'] * 1e3:.3f} | "
          f"{c['macs'] / c['t_dense'] / g:.1f} | {c['t_dense'] / c['t']:.1f}x |", "",
          f"IF `integrate_fire`, batch {BATCH} x {fi['neurons'] // BATCH} neurons, "
          f"{fi['spikes'] / fi['neurons']:.1%} spiking: {fi['t'] * 1e3:.3f} ms = "
          f"**{fi['neurons'] / fi['t'] / g:.2f} G neurons/s**.", "",
          "Correctness: scatter results equal the dense results bit for bit (dyadic weights) - checked."]
    two = next(r for r in lin if r[0] == 0.02)
    L.append(f"Goal (2% linear >= 50% of the bandwidth-bound AC rate): warm "
             f"{100 * two[2] / two[3] / ac_bound:.0f}%, cold {100 * two[2] / two[4] / ac_bound:.0f}% "
             f"(cold vs the read-only bound: {100 * two[2] / two[4] / (bw_read / 4):.0f}%).")
    return "\n".join(L) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats and a smaller bandwidth array")
    ap.add_argument("--out", default=str(Path(__file__).with_name("results_scatter.md")))
    a = ap.parse_args()
    text = report(a.quick)
    print(text)
    Path(a.out).write_text(f"# Scatter benchmark results\n\nCommand: `python benchmarks/bench_scatter.py"
                           f"{' --quick' if a.quick else ''}`\n\n{text}")


if __name__ == "__main__":
    main()
