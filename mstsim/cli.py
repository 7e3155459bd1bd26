"""Command line: ``mstsim run`` and ``mstsim inspect`` (also ``python -m mstsim``)."""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from .ann import run_ann
from .api import simulate
from .ir.errors import MstsimError, UnsupportedInput
from .rsm import configure_rsm
from .ledger import E_AC_PJ, E_MAC_PJ


def _checkpoints(T: int) -> list[int]:
    points = [t for t in (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024) if t < T]
    return points + [T]


def report(graph, x, *, T: int, batch: int, dtype, title: str, seed: int = 0, out=None) -> None:
    """Simulate and print agreement with the ANN at several T, the ledger and the energy."""
    out = sys.stdout if out is None else out
    print(f"== {title}: {x.shape[0]} samples, T = {T}, {np.dtype(dtype).name}", file=out)
    ann = run_ann(graph, x, dtype=np.float64, seed=seed)
    ann_pred = ann.reshape(ann.shape[0], -1).argmax(1)
    start = time.perf_counter()
    res = simulate(graph, x, T=T, batch_size=batch, dtype=dtype, seed=seed)
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


def load_inputs(args, shape):
    """Inputs (and labels, when known) for ``mstsim run``: a dataset or seeded random images."""
    if args.data is None:
        x = np.random.default_rng(args.seed).uniform(0, 1, (args.samples,) + shape).astype(np.float32)
        return x, None, "seeded random inputs"
    from .datasets import open_dataset
    ds = open_dataset(args.data, split="test")
    n = min(args.samples, len(ds))
    pairs = [ds[i] for i in range(n)]
    x = np.stack([p[0] for p in pairs]).astype(np.float32)
    if x.shape[1:] != shape:
        raise UnsupportedInput(f"dataset {args.data!r} gives samples of shape {x.shape[1:]}, the model expects {shape}")
    return x, np.array([p[1] for p in pairs]), f"{args.data}, test split"


def cmd_run(args) -> int:
    dtype = np.float64 if args.dtype == "float64" else np.float32
    if args.model is None:
        from .builtin import builtin_inputs, builtin_network
        graph = builtin_network(seed=args.seed)
        x = builtin_inputs(args.samples, seed=args.seed + 1)
        title = "built-in QCFS CNN (seeded random weights and images)"
    else:
        from .importers.onnx import from_onnx  # the importer is optional at this layer
        graph = from_onnx(args.model).graph
        x, _, what = load_inputs(args, graph.input_node().shape)
        title = f"{args.model} on {what}"
    if args.mask_ratio is not None:
        graph = configure_rsm(graph, args.mask_ratio, args.mask_sites)
        title += f", RSM ratio {args.mask_ratio} on {args.mask_sites!r} sites"
    report(graph, x, T=args.T, batch=args.batch, dtype=dtype, seed=args.seed, title=title)
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
    run.add_argument("--data", help="dataset spec: digits, cifar10:DIR, npz:FILE, ... (default: random inputs)")
    run.add_argument("--mask-ratio", type=float, default=None,
                     help="Random Spike Masking ratio p (default: the model's own masks)")
    run.add_argument("--mask-sites", default="attention",
                     help="attention (q, k, scores), mlp, all, exported, or an fnmatch pattern of node names")
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
