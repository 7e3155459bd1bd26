"""Command line: ``mstsim run``, ``mstsim report``, ``mstsim inspect`` (also ``python -m mstsim``).

Every failure the user can cause or meet (bad argument, bad file, not enough
memory, full disk, Ctrl-C) ends with one line on stderr and a status code:
0 done, 2 error, 130 / 143 interrupted by SIGINT / SIGTERM. Never a traceback.
"""
from __future__ import annotations

import argparse
import sys
import time

from .ir.errors import MstsimError

class PlotError(MstsimError):
    """The PNG plots of a report could not be written."""


#: subcommand name -> function(subparsers) that adds its parser and sets ``fn`` (returning the exit
#: status); another module adds a subcommand with ``COMMANDS["name"] = add_parser``
COMMANDS: dict = {}


def command(name: str):
    def register(add_parser):
        COMMANDS[name] = add_parser
        return add_parser
    return register


def cmd_run(args) -> int:
    from .modules import report_level
    from .report import full_report
    from .run import end_of_run, execute
    from .signals import Interrupted, guard
    by_module = report_level(args.by_module or "auto")  # a bad level fails before the run
    start = time.perf_counter()
    with guard() as g:
        try:
            results = execute(args, guard=g)
        except Interrupted as stop:
            print(f"mstsim: {stop}", file=sys.stderr)
            return stop.exit_code
    table = end_of_run(results)  # the Table-3 layout of the default run (mstsim.table3)
    # the default run's Table-3 module breakdown covers every masked run: their own savings tables on request
    savings = bool(args.model) or args.mask_ratio is not None or args.by_module is not None
    print(full_report(results, by_module=by_module, savings=savings))
    if not savings and by_module is not None:
        where = f"mstsim report {args.out}" if args.out else "add --by-module, or --out FILE and mstsim report FILE"
        print(f"\n(Each masked run's savings per module: {where}.)")
    if table:
        print("\n" + table)
    print(f"\n({time.perf_counter() - start:.1f} s" + (f"; results in {args.out})" if args.out else ")"))
    return 0


def cmd_report(args) -> int:
    from .plots import have_matplotlib, write_plots
    from .report import full_report
    from .results import Results
    from .sweep_store import is_sweep_file
    if is_sweep_file(args.results):  # a sweep's file has its own tables and plots
        from .sweep_report import report
        return report(args.results, args.plots)
    from .modules import report_level
    from .run import end_of_run
    by_module = report_level(args.by_module or "auto")
    results = Results.load(args.results)
    print(full_report(results, by_module=by_module))
    table = end_of_run(results)  # as run printed it
    if table:
        print("\n" + table)
    if args.plots:
        if not have_matplotlib():
            print("\nno plots: matplotlib is not installed (pip install 'mstsim[plot]'); tables only",
                  file=sys.stderr)
        else:
            try:
                written = write_plots(results, args.plots)
            except OSError as exc:
                raise PlotError(f"cannot write plots to {args.plots}: {exc.strerror or exc}"
                                + (f" (errno {exc.errno})" if exc.errno else "")) from None
            for path in written:
                print(f"wrote {path}")
    return 0


def cmd_inspect(args) -> int:
    from . import from_onnx
    from .report import default_run_memory
    from .validate import weight_warnings
    net = from_onnx(args.model)
    print(f"{net.source}\n" + net.inspect())
    print(default_run_memory(net))
    for line in weight_warnings(net.graph):
        print(f"mstsim: warning: {line}", file=sys.stderr)
    return 0


@command("run")
def _run_parser(sub) -> None:
    run = sub.add_parser("run", help="simulate a model on a dataset (default: the paper's Table 3 on the "
                                     "bundled MNIST MSTs at masking 0, 0.5 and 0.75)")
    run.add_argument("model", nargs="?", help="an ONNX file of a QCFS network (default: models/mst_mnist*.onnx)")
    run.add_argument("--data", help="digits, mnist5k, cifar10:DIR, cifar100:DIR, npz:FILE, nmnist:DIR, dvsgesture:DIR, "
                                    "cifar10dvs:DIR, ncaltech101:DIR (default: the model's own)")
    run.add_argument("--T", type=int, help="time steps, 1 .. 1000000 (default: the model's bundled T, else 64)")
    run.add_argument("--mask-ratio", type=float, nargs="+",
                     help="one or more Random Spike Masking ratios in [0, 1] (default: the model's own masks; "
                          "for the bundled model 0 and 0.75)")
    run.add_argument("--mask-sites", help="attention (q, k, scores), mlp, all, exported, or an fnmatch "
                                          "pattern of node names (default: the model's own, else attention)")
    run.add_argument("--samples", type=int, help="at most this many test samples, >= 1 (default: all)")
    run.add_argument("--batch", type=int, default=128, help="samples per engine call, >= 1 (default 128)")
    run.add_argument("--seed", type=int, default=0, help="seed of the spike masks, >= 0")
    run.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    run.add_argument("--events", choices=["frames", "stream"],
                     help="event data as MST frames (bins x polarity channels) or as a per-step stream")
    run.add_argument("--bins", type=int, help="time bins of event frames (default: the model's, else 9)")
    run.add_argument("--resize", type=int, nargs=2, metavar=("H", "W"),
                     help="resize inputs to H x W (default: as the model's metadata says)")
    run.add_argument("--resize-mode", choices=["nearest", "bilinear"])
    run.add_argument("--mean", type=float, nargs="+", help="per-channel normalisation mean (with --std)")
    run.add_argument("--std", type=float, nargs="+", help="per-channel normalisation std > 0 (with --mean)")
    run.add_argument("--pool-rule", choices=["events", "through", "dense"], default="events",
                     help="how a pool of spikes and the layer after it are counted (docs/accounting.md): "
                          "events (default), through (every spike routed through the pool), dense")
    run.add_argument("--count-padding", action="store_true",
                     help="count padding taps in ANN MACs and dense MACs, as most papers' FLOP counts do")
    _by_module_flag(run)
    run.add_argument("--record", choices=["spikes"], help="also store every spike event in --out")
    run.add_argument("--out", help="write the results to this HDF5 file")
    run.add_argument("--overwrite", action="store_true", help="replace an existing --out file")
    run.add_argument("--checkpoint", type=float, default=5.0, metavar="SECONDS",
                     help="save the samples done to --out at most this often (default 5; 0: every batch)")
    run.add_argument("--progress", action="store_true",
                     help="print progress lines on stderr even when it is not a terminal (for logs)")
    run.set_defaults(fn=cmd_run)


@command("report")
def _report_parser(sub) -> None:
    rep = sub.add_parser("report", help="the tables of a results file again, and PNG plots")
    rep.add_argument("results")
    rep.add_argument("--plots", metavar="DIR", help="write PNG plots to DIR (needs matplotlib)")
    _by_module_flag(rep)
    rep.set_defaults(fn=cmd_report)


def _by_module_flag(parser) -> None:
    parser.add_argument("--by-module", nargs="?", const="auto", default=None, metavar="LEVEL",
                        help="per-module tables at LEVEL: auto (default), block, module, an integer depth, or off "
                             "(given, mstsim run also prints each masked run's savings beside the Table-3 layout)")


@command("inspect")
def _inspect_parser(sub) -> None:
    ins = sub.add_parser("inspect", help="table of an imported ONNX model, and the memory of its default run")
    ins.add_argument("model")
    ins.set_defaults(fn=cmd_inspect)


@command("sweep")
def _sweep_parser(sub) -> None:
    from .sweep_cli import add_sweep_parser  # issue 11: the grid runner's own module
    add_sweep_parser(sub)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mstsim", description="Event-driven simulation of QCFS spiking "
                                     "networks with exact operation counts.")
    sub = parser.add_subparsers(dest="command", required=True)
    for add_parser in COMMANDS.values():
        add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return args.fn(args)
    except MstsimError as exc:
        print(f"mstsim: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C outside a run's guard (while importing, parsing, reporting)
        print("mstsim: interrupted; no results were saved", file=sys.stderr)
        return 130
    except SystemError as exc:  # Ctrl-C inside a compiled function outside a guard: Numba wraps it
        if not isinstance(exc.__context__ or exc.__cause__, KeyboardInterrupt):
            raise
        print("mstsim: interrupted; no results were saved", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader of stdout went away (``| head``): stop quietly
        import os
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except MemoryError:
        print("mstsim: error: out of memory (the estimate before the run was too low; please report it)",
              file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
