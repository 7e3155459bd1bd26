"""The ``mstsim sweep`` command line (registered by mstsim/cli.py)."""
from __future__ import annotations

import sys
import time


def add_sweep_parser(sub) -> None:
    """Add the ``sweep`` subcommand to the ``mstsim`` parser."""
    p = sub.add_parser("sweep", help="a grid of models x masking ratios x mask sites x T x seeds over a "
                                     "dataset, in chunks, on local processes or Dask; resumable")
    p.add_argument("models", nargs="*", help="ONNX files (default: the bundled models)")
    p.add_argument("--data", help="dataset, as for mstsim run (default: the models' own)")
    p.add_argument("--samples", type=int, help="at most this many test samples (default: all)")
    p.add_argument("--T", type=int, nargs="+", help="time steps to report (one simulation to the largest; "
                                                  "default: the first model's T)")
    p.add_argument("--mask-ratio", type=float, nargs="+", help="masking ratios (default: 0 0.25 0.5 0.75)")
    p.add_argument("--mask-sites", nargs="+", help="mask sites: attention, mlp, all, exported or a pattern "
                                                   "(default: each model's own)")
    p.add_argument("--seed", type=int, nargs="+", help="mask seeds (default: 0)")
    p.add_argument("--chunk", type=int, help="samples per chunk: the unit of work and of commits (default 64)")
    p.add_argument("--batch", type=int, help="samples per engine batch within a chunk (default: the chunk)")
    p.add_argument("--dtype", choices=["float32", "float64"])
    p.add_argument("--events", choices=["frames", "stream"], help="event data as frames or a per-step stream")
    p.add_argument("--bins", type=int, help="time bins of event frames")
    p.add_argument("--resize", type=int, nargs=2, metavar=("H", "W"), help="resize inputs to H x W")
    p.add_argument("--resize-mode", choices=["nearest", "bilinear"])
    p.add_argument("--mean", type=float, nargs="+", help="per-channel normalisation mean (with --std)")
    p.add_argument("--std", type=float, nargs="+", help="per-channel normalisation std (with --mean)")
    # None when not given, so that --resume takes the file's convention
    p.add_argument("--pool-rule", choices=["events", "through", "dense"],
                   help="how a pool of spikes and the layer after it are counted (docs/accounting.md): "
                        "events (default), through (every spike routed through the pool), dense")
    p.add_argument("--count-padding", action="store_true", default=None,
                   help="count padding taps in ANN MACs and dense MACs, as most papers' FLOP counts do")
    p.add_argument("--out", required=True, help="the sweep's HDF5 results file")
    p.add_argument("--resume", action="store_true", help="continue the sweep in --out (finished chunks are kept)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, help="local worker processes (default: CPU count; 0: this process)")
    where.add_argument("--scheduler", metavar="ADDRESS", help="run on an existing Dask cluster (tcp://host:8786)")
    where.add_argument("--dask", metavar="local", choices=["local"], help="run on a Dask LocalCluster")
    p.add_argument("--dask-workers", type=int, default=2, help="workers of --dask local (default 2)")
    p.set_defaults(fn=cmd_sweep)


def cmd_sweep(args) -> int:
    from .sweep_plan import SweepInterrupted, sweep
    from .sweep_report import summary
    from .ir.errors import UnsupportedInput
    if (args.mean is None) != (args.std is None):
        raise UnsupportedInput("--mean and --std go together")
    pre = {k: getattr(args, k) for k in ("events", "bins", "resize", "resize_mode", "mean", "std")
           if getattr(args, k) is not None}
    start = time.perf_counter()
    try:
        res = sweep(args.models or None, out=args.out, data=args.data, samples=args.samples, T=args.T,
                    mask_ratios=args.mask_ratio, mask_sites=args.mask_sites, seeds=args.seed, chunk=args.chunk,
                    batch=args.batch, dtype=args.dtype, preprocess=pre or None, pool_rule=args.pool_rule,
                    count_padding=args.count_padding, workers=args.workers,
                    scheduler=args.scheduler, dask_local=args.dask_workers if args.dask else None,
                    resume=args.resume, overwrite=args.overwrite)
    except SweepInterrupted as exc:
        print(f"\nmstsim sweep: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:  # before the first chunk was submitted: the file, if any, is resumable
        import os
        saved = f"{args.out} can be resumed with --resume" if os.path.exists(args.out) else "nothing was written"
        print(f"\nmstsim sweep: interrupted; {saved}", file=sys.stderr)
        return 130
    print(summary(res))
    print(f"\n({time.perf_counter() - start:.1f} s; results in {args.out}; tables: mstsim report {args.out})")
    return 0 if res.complete else 1
