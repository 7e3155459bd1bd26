"""``mstsim run``: simulate a model on a dataset at one or more masking ratios, record, save.

The simulation goes through :func:`mstsim.simulate`, the same path as the
Python API; this module adds what a command-line run needs around it:
checked arguments, a memory estimate, checkpoints, spike recording and a
stop between batches on Ctrl-C or SIGTERM.
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime
import hashlib
import pathlib
import sys
import time
import warnings

import numpy as np

from . import __version__, memory, validate
from .ann import run_ann
from .api import simulate
from .engine import Events, Simulator
from .engine.encode_shadow import ThroughFallbackWarning
from .inputs import Preprocess, bounded_settings, input_bytes, load_samples, open_samples
from .ir import Input
from .ir.errors import MstsimError, UnsupportedInput
from .results import Checkpoint, Results, RunResult
from .rsm import configure_rsm, select_sites
from .signals import Guard
from .table3 import DEFAULT_PLAN, DEFAULT_SAMPLES, configured_table, rows_for

BUNDLED = pathlib.Path(__file__).resolve().parents[1] / "models"
DEFAULT_MODEL = BUNDLED / "mst_mnist.onnx"
def sha256(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class Progress:
    """Progress on stderr: one rewritten line on a terminal, or whole lines with ``--progress``."""

    def __init__(self, label: str, total: int, *, lines: bool = False) -> None:
        self.label, self.total, self.lines = label, total, lines
        self.enabled = lines or sys.stderr.isatty()
        self.start = time.perf_counter()

    def __call__(self, done: int, total: int | None = None) -> None:
        if not self.enabled:
            return
        rate = done / max(time.perf_counter() - self.start, 1e-9)
        text = f"{self.label}: {done}/{self.total} samples ({rate:.1f}/s)"
        if self.lines:
            print(text, file=sys.stderr, flush=True)
        else:
            print("\r" + text, end="\n" if done >= self.total else "", file=sys.stderr, flush=True)


def with_event_input(graph):
    """The graph with its input fed as per-step event counts (event-stream mode)."""
    from .ir import Graph
    return Graph((dataclasses.replace(n, kind="event") if isinstance(n, Input) else n for n in graph),
                 modules=graph.modules)


def check_args(args) -> None:
    """Every ``mstsim run`` option in its valid range, and ``--out`` writable, before any work."""
    if args.T is not None:
        validate.steps(args.T, "--T")
    if args.samples is not None:
        validate.integer("--samples", args.samples, lo=1)
    validate.integer("--batch", args.batch, lo=1)
    validate.seed(args.seed, "--seed")
    for r in args.mask_ratio or ():
        validate.ratio(r, "--mask-ratio")
    if args.mask_sites is not None and not args.mask_sites.strip():
        raise validate.ArgumentError("--mask-sites must name a preset or a pattern, got ''")
    if args.mask_sites is not None and args.model and args.mask_ratio is None:
        raise validate.ArgumentError(f"--mask-sites {args.mask_sites!r} needs --mask-ratio: without it the "
                                     f"model runs with its exported masks as they are")
    if args.bins is not None:
        validate.integer("--bins", args.bins, lo=1, hi=validate.MAX_BINS)
    if args.resize is not None:
        validate.size_pair(args.resize, "--resize")
    if (args.mean is None) != (args.std is None):
        raise validate.ArgumentError("--mean and --std go together")
    for v in args.mean or ():
        validate.real("--mean", v)
    for v in args.std or ():
        validate.real("--std", v, positive=True)
    if args.mean is not None and len(args.mean) != len(args.std):
        raise validate.ArgumentError(f"--mean has {len(args.mean)} values and --std {len(args.std)}; "
                                     f"give one of each per channel")
    validate.real("--checkpoint", args.checkpoint, lo=0.0)
    if args.record and not args.out:
        raise validate.ArgumentError("--record spikes stores the spikes in the results file: give --out FILE")
    if args.out:
        validate.output_file(args.out, overwrite=args.overwrite)


def plan(args) -> list[tuple[pathlib.Path, float | None]]:
    """(model, masking ratio) pairs to simulate.

    Without a model: every cell of :data:`mstsim.table3.DEFAULT_PLAN` once (the bundled unmasked
    MST at 0, 0.5 and 0.75, each masked model at the ratio it was trained with),
    or the unmasked MST at each ``--mask-ratio``. With a model: each
    ``--mask-ratio``, or its own exported masks.
    """
    if args.model:
        model = pathlib.Path(args.model)
        return [(model, r) for r in (args.mask_ratio if args.mask_ratio is not None else [None])]
    if args.mask_ratio is not None:
        return [(DEFAULT_MODEL, r) for r in args.mask_ratio]
    cells = dict.fromkeys(cell for _, row in DEFAULT_PLAN for cell in row)
    return [(BUNDLED / f"{model}.onnx", ratio) for model, ratio in cells]


def with_default_samples(args):
    """``args`` with ``--samples DEFAULT_SAMPLES`` when it is the default run and gives none."""
    if args.model or args.data or args.mask_ratio is not None or args.samples is not None:
        return args
    return argparse.Namespace(**{**vars(args), "samples": DEFAULT_SAMPLES})


def end_of_run(results: Results) -> str | None:
    """What ``mstsim run`` prints after the report: the Table-3 layout when the run has recipes."""
    return configured_table(results)


@dataclasses.dataclass
class Job:
    model: pathlib.Path
    ratio: float | None
    graph: object
    name: str
    label: str
    modules: object = None  # NodeModules of graph (attach_modules)


def execute(args, guard: Guard | None = None) -> Results:
    """Run what the parsed ``mstsim run`` arguments ask for; save to ``--out`` at checkpoints."""
    from . import from_onnx
    guard = guard or Guard(notify=False)
    check_args(args)
    args = with_default_samples(args)
    jobs = plan(args)
    for model, _ in jobs:
        if not model.is_file():
            raise UnsupportedInput(f"model file {model} not found" + ("" if args.model else
                                   " (a bundled model is missing from this checkout; give a MODEL.onnx)"))
    models = list(dict.fromkeys(m for m, _ in jobs))
    _check_out_is_not_an_input(args.out, models, args.data)
    early = open_samples(args.data, args.samples) if args.data else None  # a bad --data fails before imports
    say = _say if args.progress else (lambda text: None)
    nets = {}
    for m in models:
        guard.check()
        say(f"importing {m}")
        nets[m] = from_onnx(m)
        for line in validate.weight_warnings(nets[m].graph):
            print(f"mstsim: warning: {m}: {line}", file=sys.stderr)
        if m == models[0]:
            _compile_ahead(nets[m].graph, args)
    first = nets[models[0]]
    pre = Preprocess.from_metadata(first.metadata)
    meta = bounded_settings(first.metadata)
    override_preprocess(pre, args)
    T = args.T or meta.get("T", 64)
    data = args.data or meta.get("dataset")
    if data is None:
        raise UnsupportedInput("no --data given and the model does not name its dataset")
    sites = args.mask_sites or meta.get("mask_sites") or "attention"
    dataset, n = early or open_samples(data, args.samples)
    if args.samples is not None and n < args.samples:
        print(f"mstsim: warning: the test split of {data} holds {n} samples, fewer than --samples "
              f"{args.samples}; running all {n}", file=sys.stderr)
    stream = pre.events == "stream" and dataset.kind == "events"
    planned = [_job(nets[m], m, r, sites, stream, several=len(models) > 1) for m, r in jobs]
    attach_modules(planned, nets)
    _warn_not_spike_equivalent(planned, nets)
    dtype = np.dtype(args.dtype)
    need_in = input_bytes(dataset, n, pre, first.input_shape, T)
    for job in planned:
        if nets[job.model].input_shape != first.input_shape:
            raise UnsupportedInput(f"{job.model} expects inputs {nets[job.model].input_shape}, "
                                   f"{models[0]} {first.input_shape}")
        est = memory.estimate_simulation(job.graph, samples=n, batch=args.batch, T=T, dtype=dtype, detail=True,
                                         record=args.record == "spikes", input_bytes=need_in, ann=True)
        memory.check_fits(est, f"the run of {job.label} ({n} samples, batch {args.batch}, T = {T})",
                          hint="lower --batch, --T or --samples")
        warning = memory.warn_bounds(est)
        if warning:
            print(f"mstsim: {warning}", file=sys.stderr)
    guard.check()
    say(f"reading {n} samples of {data}")
    x, labels = load_samples(data, pre, first.input_shape, dataset=dataset, n=n, steps=T,
                             check=guard.check)
    config = {"model": str(models[0]), "models": [str(m) for m in models],
              "model_sha256": sha256(models[0]), "models_sha256": [sha256(m) for m in models],
              "mstsim_version": __version__, "data": data, "T": T, "samples": int(x.shape[0]),
              "batch": args.batch, "seed": args.seed, "dtype": args.dtype, "mask_ratios": [r for _, r in jobs],
              "mask_sites": sites, "pool_rule": args.pool_rule, "count_padding": bool(args.count_padding),
              "record": args.record or "", "preprocess": dataclasses.asdict(pre),
              "table3": rows_for(not args.model and args.mask_ratio is None, jobs),
              "created": datetime.datetime.now().isoformat(timespec="seconds")}
    results = Results(config=config, runs=[])
    saver = Checkpoint(args.out, results, every=args.checkpoint, guard=guard)
    for job in planned:
        guard.check()
        run = simulate_job(job, x, labels, T=T, sites=sites, args=args, dtype=dtype, saver=saver, guard=guard,
                           spike_budget=_spike_budget(job.graph, n, args, T, dtype, need_in))
        results.runs.append(run)
        saver.save()
    return results


def _check_out_is_not_an_input(out, models, data) -> None:
    """``--out x.onnx --overwrite`` must not replace the model (or an npz dataset) being read."""
    if not out:
        return
    target = pathlib.Path(out).resolve()
    inputs = list(models) + ([pathlib.Path(data.partition(":")[2]).expanduser()] if data else [])
    for path in inputs:
        if path.resolve() == target:
            raise validate.ArgumentError(f"--out {out} is an input of this run ({path}); choose another file")


def _warn_not_spike_equivalent(planned: list, nets: dict) -> None:
    """The Python API's NotSpikeEquivalentWarning, as one ``mstsim: warning`` line on stderr per
    distinct warning (models of one architecture share it)."""
    import warnings

    from .network import warn_not_spike_equivalent
    found: dict[str, list] = {}
    for job in planned:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            warn_not_spike_equivalent(job.graph, nets[job.model].provenance)
        for w in caught:
            models = found.setdefault(str(w.message), [])
            if job.model not in models:
                models.append(job.model)
    for text, models in found.items():
        if len(text) > 240:
            text = text[:240].rsplit(" ", 1)[0] + f" ... (mstsim inspect {models[0]} lists them)"
        several = f"{len(models)} models ({', '.join(m.name for m in models)}): " if len(models) > 1 else ""
        print(f"mstsim: warning: {several}{text}", file=sys.stderr)


def _say(text: str) -> None:
    print(f"mstsim: {text}", file=sys.stderr, flush=True)


def _job(net, model, ratio, sites, stream, *, several) -> Job:
    base = with_event_input(net.graph) if stream else net.graph
    if ratio is None:
        graph = base
    else:
        select_sites(base, sites, allow_empty=ratio == 0.0)  # a site that matches nothing is an error even at 0
        graph = configure_rsm(base, ratio, sites)
    name = ("exported_masks" if ratio is None else f"mask_{ratio:g}") + (f"_{model.stem}" if several else "")
    label = ("as exported" if ratio is None else f"mask ratio {ratio:g}") + f" ({model.stem})"
    return Job(model, ratio, graph, name, label)


def attach_modules(planned: list[Job], nets: dict) -> None:
    """Each job's module map (mstsim.modules), from the imported graph its own graph derives from."""
    from .module_map import node_modules
    for job in planned:
        job.modules = node_modules(job.graph, nets[job.model].graph.modules)


def _compile_ahead(graph, args) -> None:
    """On a cold kernel cache, start compiling the first model's kernels in a helper process while the
    other models import (mstsim.engine.compiling); a graph the engine refuses is reported by its run."""
    try:
        Simulator(graph, dtype=np.dtype(args.dtype), seed=args.seed, pool_rule=args.pool_rule,
                  count_padding=args.count_padding).compile_ahead()
    except MstsimError:
        pass


def _spike_budget(graph, n, args, T, dtype, need_in) -> int | None:
    """Bytes recorded spikes may take: what the run leaves of the available memory (None: unknown)."""
    free = memory.available_bytes()
    if args.record != "spikes" or free is None:
        return None
    est = memory.estimate_simulation(graph, samples=n, batch=args.batch, T=T, dtype=dtype, detail=True,
                                     input_bytes=need_in, ann=True)
    return max(int(memory.HEADROOM * free) - est.total, 0)


def simulate_job(job: Job, x, labels, *, T, sites, args, dtype, saver: Checkpoint, guard: Guard,
                 spike_budget: int | None = None) -> RunResult:
    """One run through :func:`mstsim.simulate`; ANN predictions with the same masks; checkpoints."""
    graph, n = job.graph, x.shape[0]
    stream = graph.kinds[graph.input_node().name] == "event"
    record = args.record == "spikes"
    preds = np.zeros((T, n), dtype=np.int64)
    ann_pred = np.zeros(n, dtype=np.int64)
    final = None
    spikes = {k.name: [] for k in graph if graph.kinds[k.name] == "event"} if record else {}
    recorded = {"bytes": 0}
    done = 0

    def partial(ledger) -> RunResult:
        neurons = np.array([int(np.prod(graph.shapes[k])) for k in ledger.nodes], dtype=np.int64)
        recorded = {k: tuple(np.concatenate(parts) for parts in zip(*v)) for k, v in spikes.items() if v}
        return RunResult(name=job.name, mask_ratio=job.ratio, mask_sites=None if job.ratio is None else sites,
                         T=T, labels=labels[:done], sample_ids=np.arange(done), predictions=preds[:, :done],
                         ann_predictions=ann_pred[:done], final_logits=final[:done], ledger=ledger,
                         neurons=neurons, spikes=recorded, model=job.model.stem, modules=job.modules)

    def on_batch(ids, res, ledger) -> None:
        nonlocal final, done
        start, stop = int(ids[0]), int(ids[-1]) + 1
        preds[:, start:stop] = res.predictions
        out = res.cum_logits[-1].reshape(stop - start, -1).astype(np.float64)
        final = np.zeros((n, out.shape[1])) if final is None else final
        final[start:stop] = out
        ann_in = x[start:stop].sum(axis=1) / T if stream else x[start:stop]  # a stream's ANN input: its mean rate
        ann_pred[start:stop] = run_ann(graph, ann_in, dtype=np.float32, seed=args.seed, sample_ids=ids) \
            .reshape(stop - start, -1).argmax(1)
        done = stop
        if spike_budget is not None and 2 * recorded["bytes"] > spike_budget:  # x2: a checkpoint concatenates
            raise memory.InsufficientMemory(
                f"the recorded spikes reached {memory.format_bytes(recorded['bytes'])}, more than the "
                f"{memory.format_bytes(spike_budget)} of memory left for them; {saver.saved}; "
                f"record fewer --samples or a smaller --T")
        if stop < n and saver.due():
            saver.partial(partial(ledger), n)

    progress = Progress(job.label, n, lines=args.progress)
    progress(0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ThroughFallbackWarning)
        res = simulate(graph, x, T=T, batch_size=args.batch, dtype=dtype, seed=args.seed, detail=True,
                       progress=progress, on_step=_recorder(spikes, recorded) if record else None,
                       on_batch=on_batch, between_batches=guard.check, pool_rule=args.pool_rule,
                       count_padding=args.count_padding)
    for w in caught:
        if issubclass(w.category, ThroughFallbackWarning):
            print(f"mstsim: warning: {job.label}: {w.message}", file=sys.stderr)
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return partial(res.ledger)


def _recorder(spikes: dict, recorded: dict):
    def on_step(t, values, ids):
        for name, v in values.items():
            if name in spikes and isinstance(v, Events) and v.count:
                rows = np.repeat(np.arange(v.batch), np.diff(v.ptr))
                spikes[name].append((ids[rows].astype(np.int32), np.full(v.count, t, np.int32), v.idx.copy()))
                recorded["bytes"] += sum(a.nbytes for a in spikes[name][-1])
    return on_step


def override_preprocess(pre: Preprocess, args) -> None:
    """Command-line options win over the model's metadata."""
    for key in ("events", "bins", "resize_mode", "mean", "std"):
        if getattr(args, key) is not None:
            setattr(pre, key, getattr(args, key))
    if args.resize is not None:
        pre.resize = tuple(args.resize)


__all__ = ["execute", "check_args", "plan", "MstsimError"]
