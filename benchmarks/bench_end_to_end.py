"""mstsim against the dense clock-driven PyTorch SNN of the same network, end to end, interleaved.

    python benchmarks/bench_end_to_end.py [--quick] [--only TEXT] [--reps N] [--out PATH]

For each network and batch size: ``reps`` pairs of runs (mstsim and torch
alternately, the first of each pair alternating too) of the whole T-step
simulation of one batch, after one untimed warm-up run of each. Reports per
case the ratio dense time / mstsim time (median and range over the pairs),
ms per sample-step of each, the 1-minute load average before and after, and
the whole-run AC rate (ledger ACs / mstsim wall time) against the peak AC rate
of the scatter kernel with cache-resident weights and the DRAM-bandwidth
bound, both measured in the same run (``scatter_peak.py``). Torch runs on 2
threads (``torch.set_num_threads(2)``), mstsim on ``MSTSIM_THREADS`` (default:
the available CPUs). Writes the tables to ``benchmarks/results_end_to_end.md``.
"""
from __future__ import annotations

import argparse
import os
import pathlib
import statistics
import sys
import tempfile
import time
import warnings

import e2e_models as em  # first: puts the repository root on sys.path, imports torch
import torch

import mstsim
from bench_scatter import machine_info
from e2e_run import DenseSNN, MstsimRun, interleaved
from scatter_peak import yardsticks

TORCH_THREADS = 2


def mstsim_threads() -> int:
    raw = os.environ.get("MSTSIM_THREADS", "")
    return int(raw) if raw.isdigit() and int(raw) > 0 else len(os.sched_getaffinity(0))


def prepare(case: em.Case, cache: pathlib.Path, log):
    """(torch model, mstsim graph, seconds to import the file) of one case."""
    t0 = time.perf_counter()
    model, path = em.prepared(case, cache)
    t1 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mstsim.NotSpikeEquivalentWarning)
        net = mstsim.from_onnx(path)
    t2 = time.perf_counter()
    log(f"  torch model (built, calibrated, exported, or read from the cache) {t1 - t0:.1f} s; "
        f"mstsim.from_onnx {t2 - t1:.1f} s; {len(net.graph)} IR nodes")
    return model, net.graph, t2 - t1


def run_case(case: em.Case, reps: int, cache: pathlib.Path, log) -> list[dict]:
    rows = []
    model, graph, t_import = prepare(case, cache, log)
    dense = DenseSNN(model, case.ratio, case.seed)
    for batch in case.batches:
        x = em.inputs(case, batch)
        t0 = time.perf_counter()
        sim = MstsimRun(graph)
        t_build = time.perf_counter() - t0
        tm = interleaved(dense, sim, x, case.T, reps, same_weights=case.onnx is None)
        r, rc = tm.ratios(), tm.ratios(cpu=True)
        row = dict(case=case.name, batch=batch, T=case.T, reps=reps, ratio=statistics.median(r),
                   ratio_lo=min(r), ratio_hi=max(r), ratio_cpu=statistics.median(rc),
                   dense_ms=tm.per_sample_step_ms(tm.dense), mstsim_ms=tm.per_sample_step_ms(tm.mstsim),
                   dense_cpu_ms=tm.per_sample_step_ms(tm.dense_cpu),
                   mstsim_cpu_ms=tm.per_sample_step_ms(tm.mstsim_cpu), load=tm.load, acs=tm.acs,
                   ac_rate=tm.ac_rate(), ac_rate_cpu=tm.ac_rate(cpu=True), agree=tm.agree,
                   fire=em.firing(model, x), threads=min(mstsim_threads(), batch), t_import=t_import,
                   t_build=t_build)
        log(f"  batch {batch:>3} T {case.T}: dense {row['dense_ms']:.3f} ms/sample-step, mstsim "
            f"{row['mstsim_ms']:.3f}, dense/mstsim {row['ratio']:.2f} ({row['ratio_lo']:.2f}-"
            f"{row['ratio_hi']:.2f}), by CPU time {row['ratio_cpu']:.2f}; {row['ac_rate'] / 1e9:.3f} GAC/s "
            f"({row['ac_rate_cpu'] / 1e9:.3f} per CPU s); engine build {t_build:.1f} s; "
            f"load {tm.load[0]:.2f}->{tm.load[1]:.2f}")
        rows.append(row)
    return rows


def peaks(by_threads) -> str:
    return ", ".join(f"{n} thread{'s' * (n > 1)} {r / 1e9:.2f}" for n, r in sorted(by_threads.items()))


def tables(rows, sticks) -> str:
    peak, peak_cpu, dram = sticks["peak"], sticks["peak_cpu"], sticks["dram"]
    out = ["| case | batch | T | dense PyTorch ms/sample-step | mstsim ms/sample-step | dense/mstsim wall time "
           "(median, range) | CPU ms/sample-step dense, mstsim | dense/mstsim CPU time | load avg before -> after "
           "| QCFS non-zero (ANN) | predictions agree |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        agree = "n/a (other weights)" if r["agree"] is None else f"{r['agree']:.0%}"
        out.append(f"| {r['case']} | {r['batch']} | {r['T']} | {r['dense_ms']:.3f} | {r['mstsim_ms']:.3f} | "
                   f"**{r['ratio']:.2f}x** ({r['ratio_lo']:.2f}-{r['ratio_hi']:.2f}) | {r['dense_cpu_ms']:.3f}, "
                   f"{r['mstsim_cpu_ms']:.3f} | {r['ratio_cpu']:.2f}x | {r['load'][0]:.2f} -> {r['load'][1]:.2f} | "
                   f"{r['fire'][0]:.0%}-{r['fire'][1]:.0%} | {agree} |")
    top = max(peak)
    out += ["", "Whole-run AC rate = ledger ACs of one run / its median wall (or CPU) time. Peak = `scatter_linear` (batched) "
            "with cache-resident weights on as many threads as the run uses (min(threads, batch)), best of the "
            f"calls in this run: {peaks(peak)} GAC/s wall, {peaks(peak_cpu)} per CPU second. DRAM bound = copy "
            f"bandwidth / 4 bytes = {dram / 1e9:.2f} GAC/s (one core).", "",
            "| case | batch | ACs per run | threads | whole-run GAC/s (wall) | % of scatter peak | % of DRAM bound "
            "| GAC per CPU second | % of peak per CPU second |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        n = r["threads"] if r["threads"] in peak else top
        out.append(f"| {r['case']} | {r['batch']} | {r['acs']:,} | {r['threads']} | {r['ac_rate'] / 1e9:.3f} | "
                   f"{100 * r['ac_rate'] / peak[n]:.1f}% | {100 * r['ac_rate'] / dram:.1f}% | "
                   f"{r['ac_rate_cpu'] / 1e9:.3f} | {100 * r['ac_rate_cpu'] / peak_cpu[n]:.1f}% |")
    return "\n".join(out) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smoke run: batches 1 and 2, T = 4, one pair, small "
                    "networks only (the CIFAR CNNs and the Swin-T size only with --only)")
    ap.add_argument("--only", help="only the cases whose name contains this text (case-insensitive)")
    ap.add_argument("--reps", type=int, help="interleaved pairs per case (default 3; --quick: 1)")
    ap.add_argument("--heavy-reps", type=int, default=2, help="pairs for the CIFAR CNNs and the Swin-T size")
    ap.add_argument("--torch-threads", type=int, default=TORCH_THREADS,
                    help=f"torch.set_num_threads (default {TORCH_THREADS}, as the issue asks)")
    ap.add_argument("--cache", help="keep the calibrated torch models and their ONNX exports here and reuse "
                    "them (default: a temporary directory)")
    ap.add_argument("--out", help="markdown file for the tables (default: benchmarks/results_end_to_end.md; "
                    "--quick writes none)")
    a = ap.parse_args(argv)
    reps = a.reps or (1 if a.quick else 3)
    torch.set_num_threads(a.torch_threads)

    def log(s):
        print(s, file=sys.stderr, flush=True)

    head = (f"Machine: {machine_info()}, torch {torch.__version__} on {torch.get_num_threads()} threads, mstsim on "
            f"{mstsim_threads()} threads; 1-min load average at start {os.getloadavg()[0]:.2f}.")
    log(head)
    sticks0 = yardsticks(mstsim_threads(), 3 if a.quick else 9, 128 if a.quick else 512)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        cache = pathlib.Path(a.cache or tmp)
        cache.mkdir(parents=True, exist_ok=True)
        for case in em.cases(a.quick):
            if (a.only and a.only.lower() not in case.name.lower()) or (a.quick and case.heavy and not a.only):
                continue
            log(case.name)
            rows += run_case(case, min(reps, a.heavy_reps) if case.heavy else reps, cache, log)
    sticks1 = yardsticks(mstsim_threads(), 3 if a.quick else 9, 128 if a.quick else 512)
    sticks = {k: {n: max(sticks0[k][n], sticks1[k][n]) for n in sticks0[k]} for k in ("peak", "peak_cpu")}
    sticks["dram"] = max(sticks0["dram"], sticks1["dram"])
    env = f"MSTSIM_THREADS={os.environ['MSTSIM_THREADS']} " if os.environ.get("MSTSIM_THREADS") else ""
    text = (f"{head}\n\nCommand: `{env}python benchmarks/bench_end_to_end.py {' '.join(sys.argv[1:])}`; "
            f"1-min load average at the end {os.getloadavg()[0]:.2f}. Scatter peak and DRAM bound measured "
            f"at the start and at the end of the run; the larger of each is used.\n\n" + tables(rows, sticks))
    print(text)
    out = a.out or (None if a.quick else pathlib.Path(__file__).with_name("results_end_to_end.md"))
    if out:
        pathlib.Path(out).write_text("# End-to-end benchmark results\n\n" + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
