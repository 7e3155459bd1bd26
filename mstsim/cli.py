"""Command line: ``mstsim run``, ``mstsim report``, ``mstsim inspect`` (also ``python -m mstsim``)."""
from __future__ import annotations

import argparse
import sys
import time

from .ir.errors import MstsimError


def cmd_run(args) -> int:
    from .report import full_report
    from .run import execute
    start = time.perf_counter()
    try:
        results = execute(args)
    except KeyboardInterrupt:
        print("\nmstsim: interrupted" + (f"; {args.out} holds the samples completed at the last checkpoint"
                                         if args.out else ""), file=sys.stderr)
        return 130
    print(full_report(results))
    print(f"\n({time.perf_counter() - start:.1f} s" + (f"; results in {args.out})" if args.out else ")"))
    return 0


def cmd_report(args) -> int:
    from .plots import have_matplotlib, write_plots
    from .report import full_report
    from .results import Results
    results = Results.load(args.results)
    print(full_report(results))
    if args.plots:
        if not have_matplotlib():
            print(f"\nno plots: matplotlib is not installed (pip install 'mstsim[plot]'); tables only",
                  file=sys.stderr)
        else:
            for path in write_plots(results, args.plots):
                print(f"wrote {path}")
    return 0


def cmd_inspect(args) -> int:
    from .importers.onnx import inspect_model
    print(inspect_model(args.model))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mstsim", description="Event-driven simulation of QCFS spiking "
                                     "networks with exact operation counts.")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="simulate a model on a dataset (default: the bundled MST on digits "
                                     "at masking 0 and 0.75)")
    run.add_argument("model", nargs="?", help="an ONNX file of a QCFS network (default: models/mst_digits.onnx)")
    run.add_argument("--data", help="digits, cifar10:DIR, cifar100:DIR, npz:FILE, nmnist:DIR, dvsgesture:DIR, "
                                    "cifar10dvs:DIR, ncaltech101:DIR (default: the model's own)")
    run.add_argument("--T", type=int, help="time steps (default: the model's bundled T, else 64)")
    run.add_argument("--mask-ratio", type=float, nargs="+",
                     help="one or more Random Spike Masking ratios (default: the model's own masks; "
                          "for the bundled model 0 and 0.75)")
    run.add_argument("--mask-sites", help="attention (q, k, scores), mlp, all, exported, or an fnmatch "
                                          "pattern of node names (default: the model's own, else attention)")
    run.add_argument("--samples", type=int, help="at most this many test samples (default: all)")
    run.add_argument("--batch", type=int, default=128)
    run.add_argument("--seed", type=int, default=0, help="seed of the spike masks")
    run.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    run.add_argument("--events", choices=["frames", "stream"],
                     help="event data as MST frames (bins x polarity channels) or as a per-step stream")
    run.add_argument("--bins", type=int, help="time bins of event frames (default: the model's, else 9)")
    run.add_argument("--resize", type=int, nargs=2, metavar=("H", "W"),
                     help="resize inputs to H x W (default: as the model's metadata says)")
    run.add_argument("--resize-mode", choices=["nearest", "bilinear"])
    run.add_argument("--mean", type=float, nargs="+", help="per-channel normalisation mean (with --std)")
    run.add_argument("--std", type=float, nargs="+", help="per-channel normalisation std (with --mean)")
    run.add_argument("--record", choices=["spikes"], help="also store every spike event in --out")
    run.add_argument("--out", help="write the results to this HDF5 file")
    run.add_argument("--overwrite", action="store_true", help="replace an existing --out file")
    run.set_defaults(fn=cmd_run)
    rep = sub.add_parser("report", help="the tables of a results file again, and PNG plots")
    rep.add_argument("results")
    rep.add_argument("--plots", metavar="DIR", help="write PNG plots to DIR (needs matplotlib)")
    rep.set_defaults(fn=cmd_report)
    ins = sub.add_parser("inspect", help="table of an imported ONNX model")
    ins.add_argument("model")
    ins.set_defaults(fn=cmd_inspect)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "T", None) is not None and args.T < 1:
        print(f"mstsim: error: T must be >= 1, got {args.T}", file=sys.stderr)
        return 2
    try:
        return args.fn(args)
    except MstsimError as exc:
        print(f"mstsim: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
