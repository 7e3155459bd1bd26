"""Command line: ``mstsim run`` and ``mstsim inspect`` (also ``python -m mstsim``)."""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from .ann import run_ann
from .api import simulate
from .ir.errors import MstsimError
from .ledger import E_AC_PJ, E_MAC_PJ


def _checkpoints(T: int) -> list[int]:
    points = [t for t in (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024) if t < T]
    return points + [T]


def report(graph, x, *, T: int, batch: int, dtype, title: str, out=None) -> None:
    """Simulate and print agreement with the ANN at several T, the ledger and the energy."""
    out = sys.stdout if out is None else out
    print(f"== {title}: {x.shape[0]} samples, T = {T}, {np.dtype(dtype).name}", file=out)
    ann = run_ann(graph, x, dtype=np.float64)
    ann_pred = ann.reshape(ann.shape[0], -1).argmax(1)
    start = time.perf_counter()
    res = simulate(graph, x, T=T, batch_size=batch, dtype=dtype)
    seconds = time.perf_counter() - start
    print(f"simulated in {seconds:.2f} s", file=out)
    print("\nT      agreement with ANN prediction   relative error of mean output", file=out)
    norm = np.linalg.norm(ann)
    for t in _checkpoints(T):
        mean = res.cum_logits[t - 1].astype(np.float64) / t
        agree = np.mean(res.predictions[t - 1] == ann_pred)
        err = np.linalg.norm(mean - ann) / norm if norm else float("nan")
        print(f"{t:<6} {agree:>30.3f}   {err:>29.4f}", file=out)
    led = res.ledger
    print("\nLedger per sample (exact counts / samples):", file=out)
    print(led.table(), file=out)
    snn_e = led.energy_pj() / led.samples
    ann_e = led.ann_energy_pj() / led.samples
    print(f"\nper sample: ACs {led.per_sample('acs'):.6g}, MACs {led.per_sample('macs'):.6g}, "
          f"ANN MACs {float(led.ann_macs.sum()):.6g}", file=out)
    print(f"energy per sample (E_AC = {E_AC_PJ} pJ, E_MAC = {E_MAC_PJ} pJ): SNN {snn_e / 1e6:.4g} uJ, "
          f"ANN {ann_e / 1e6:.4g} uJ, ratio {snn_e / ann_e:.3f}", file=out)


def cmd_run(args) -> int:
    dtype = np.float64 if args.dtype == "float64" else np.float32
    if args.model is None:
        from .builtin import builtin_inputs, builtin_network
        graph = builtin_network(seed=args.seed)
        x = builtin_inputs(args.samples, seed=args.seed + 1)
        report(graph, x, T=args.T, batch=args.batch, dtype=dtype,
               title="built-in QCFS CNN (seeded random weights and images)")
        return 0
    from .importers.onnx import from_onnx  # the importer is optional at this layer
    net = from_onnx(args.model)
    graph = net.graph
    shape = graph.input_node().shape
    x = np.random.default_rng(args.seed).uniform(0, 1, (args.samples,) + shape).astype(np.float32)
    report(graph, x, T=args.T, batch=args.batch, dtype=dtype, title=f"{args.model} (seeded random inputs)")
    return 0


def cmd_inspect(args) -> int:
    from .importers.onnx import inspect_model
    print(inspect_model(args.model))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mstsim", description="Event-driven simulation of QCFS spiking networks "
                                     "with exact operation counts.")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="simulate a model (the built-in network without MODEL)")
    run.add_argument("model", nargs="?", help="an ONNX file of a QCFS network")
    run.add_argument("--T", type=int, default=64, help="time steps (default 64)")
    run.add_argument("--samples", type=int, default=32)
    run.add_argument("--batch", type=int, default=32)
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    run.set_defaults(fn=cmd_run)
    ins = sub.add_parser("inspect", help="table of an imported ONNX model")
    ins.add_argument("model")
    ins.set_defaults(fn=cmd_inspect)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.fn(args)
    except MstsimError as exc:
        print(f"mstsim: error: {exc}", file=sys.stderr)
        return 2
    except (ImportError, ModuleNotFoundError) as exc:
        print(f"mstsim: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
