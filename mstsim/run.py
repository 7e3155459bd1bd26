"""``mstsim run``: simulate a model on a dataset at one or more masking ratios, record, save."""
from __future__ import annotations

import dataclasses
import datetime
import hashlib
import pathlib
import sys
import time

import numpy as np

from . import __version__
from .ann import run_ann
from .engine import Events, Simulator
from .inputs import Preprocess, load_samples, model_settings
from .ir import Input
from .ir.errors import UnsupportedInput
from .ledger import Ledger
from .results import Results, RunResult
from .rsm import configure_rsm

BUNDLED = pathlib.Path(__file__).resolve().parents[1] / "models"
DEFAULT_MODEL = BUNDLED / "mst_digits.onnx"
MASKED_MODEL = BUNDLED / "mst_digits_rsm75.onnx"


def sha256(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class Progress:
    """A one-line progress report on stderr, only when it is a terminal."""

    def __init__(self, label: str, total: int, enabled: bool | None = None) -> None:
        self.label, self.total = label, total
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.start = time.perf_counter()

    def __call__(self, done: int) -> None:
        if self.enabled:
            rate = done / max(time.perf_counter() - self.start, 1e-9)
            print(f"\r{self.label}: {done}/{self.total} samples ({rate:.1f}/s)", end="", file=sys.stderr)
            if done >= self.total:
                print(file=sys.stderr)


def with_event_input(graph):
    """The graph with its input fed as per-step event counts (event-stream mode)."""
    from .ir import Graph
    return Graph(dataclasses.replace(n, kind="event") if isinstance(n, Input) else n for n in graph)


def simulate_run(name, graph, x, labels, *, ratio, sites, T, batch, seed, dtype, record, progress,
                 on_batch=None) -> RunResult:
    """Simulate every sample in batches; ANN predictions with the same masks (step 0).

    ``on_batch(partial)`` receives the RunResult of the samples done so far after each batch.
    """
    n = x.shape[0]
    sim = Simulator(graph, dtype=dtype, seed=seed)
    names = [op.node.name for op in sim.ops]
    ledger = Ledger.empty(names, [graph.kinds[k] for k in names], sim.ann_macs(), T, detail=True)
    preds = np.zeros((T, n), dtype=np.int64)
    ann_pred = np.zeros(n, dtype=np.int64)
    final = None
    spikes = {k: [] for k in names if graph.kinds[k] == "event"} if record else {}
    stream = graph.kinds[graph.input_node().name] == "event"
    for start in range(0, n, batch):
        stop = min(start + batch, n)
        ids = np.arange(start, stop)
        on_step = _recorder(spikes, ids) if record else None
        res = sim.run(x[start:stop], T, detail=True, sample_ids=ids, on_step=on_step)
        ledger.merge(res.ledger)
        preds[:, start:stop] = res.predictions
        out = res.cum_logits[-1].reshape(stop - start, -1).astype(np.float64)
        final = np.zeros((n, out.shape[1])) if final is None else final
        final[start:stop] = out
        ann_in = x[start:stop].sum(axis=1) / T if stream else x[start:stop]  # a stream's ANN input: its mean rate
        ann_pred[start:stop] = run_ann(graph, ann_in, dtype=np.float32, seed=seed, sample_ids=ids) \
            .reshape(stop - start, -1).argmax(1)
        progress(stop)
        if on_batch is not None or stop == n:
            neurons = np.array([int(np.prod(graph.shapes[k])) for k in names], dtype=np.int64)
            recorded = {k: tuple(np.concatenate(parts) for parts in zip(*v)) for k, v in spikes.items() if v}
            run = RunResult(name=name, mask_ratio=ratio, mask_sites=sites, T=T, labels=labels[:stop],
                            sample_ids=np.arange(stop), predictions=preds[:, :stop], ann_predictions=ann_pred[:stop],
                            final_logits=final[:stop], ledger=ledger, neurons=neurons, spikes=recorded)
            if on_batch is not None:
                on_batch(run)
    return run


def _recorder(spikes: dict, ids: np.ndarray):
    def on_step(t, values):
        for name, v in values.items():
            if name in spikes and isinstance(v, Events) and v.count:
                rows = np.repeat(np.arange(v.batch), np.diff(v.ptr))
                spikes[name].append((ids[rows].astype(np.int32), np.full(v.count, t, np.int32), v.idx.copy()))
    return on_step


def plan(args) -> list[tuple[pathlib.Path, float | None]]:
    """(model, masking ratio) pairs to simulate.

    Without a model: the bundled unmasked MST at ratios 0 and 0.75, and the
    MST trained with 75% masking at its ratio, the comparison the paper makes
    (or the bundled MST at each ``--mask-ratio``). With a model: each ``--mask-ratio``,
    or its own exported masks.
    """
    if args.model:
        model = pathlib.Path(args.model)
        return [(model, r) for r in (args.mask_ratio if args.mask_ratio is not None else [None])]
    if args.mask_ratio is not None:
        return [(DEFAULT_MODEL, r) for r in args.mask_ratio]
    return [(DEFAULT_MODEL, 0.0), (DEFAULT_MODEL, 0.75), (MASKED_MODEL, 0.75)]


def execute(args) -> Results:
    """Run what the parsed ``mstsim run`` arguments ask for; save to ``--out`` at checkpoints."""
    from .importers.onnx import from_onnx
    jobs = plan(args)
    for model, _ in jobs:
        if not model.is_file():
            raise UnsupportedInput(f"model file {model} not found" + ("" if args.model else
                                   " (a bundled model is missing from this checkout; give a MODEL.onnx)"))
    if args.out and pathlib.Path(args.out).exists() and not args.overwrite:
        raise UnsupportedInput(f"{args.out} exists; pass --overwrite to replace it (nothing was run)")
    models = list(dict.fromkeys(m for m, _ in jobs))
    nets = {m: from_onnx(m) for m in models}
    first = nets[models[0]]
    pre = Preprocess.from_metadata(first.metadata)
    meta = model_settings(first.metadata)
    override_preprocess(pre, args)
    T = args.T or int(meta.get("T", 64))
    data = args.data or meta.get("dataset")
    if data is None:
        raise UnsupportedInput("no --data given and the model does not name its dataset")
    x, labels = load_samples(data, pre, first.input_shape, limit=args.samples, steps=T)
    sites = args.mask_sites or meta.get("mask_sites") or "attention"
    dtype = np.float64 if args.dtype == "float64" else np.float32
    config = {"model": str(models[0]), "models": [str(m) for m in models],
              "model_sha256": sha256(models[0]), "models_sha256": [sha256(m) for m in models],
              "mstsim_version": __version__, "data": data, "T": T, "samples": int(x.shape[0]),
              "batch": args.batch, "seed": args.seed, "dtype": args.dtype, "mask_ratios": [r for _, r in jobs],
              "mask_sites": sites, "record": args.record or "", "preprocess": dataclasses.asdict(pre),
              "created": datetime.datetime.now().isoformat(timespec="seconds")}
    results = Results(config=config, runs=[])
    saver = Checkpoint(args.out, results)
    for model, ratio in jobs:
        net = nets[model]
        if net.input_shape != first.input_shape:
            raise UnsupportedInput(f"{model} expects inputs {net.input_shape}, {models[0]} {first.input_shape}")
        stream = pre.events == "stream" and x.ndim == len(net.input_shape) + 2
        base = with_event_input(net.graph) if stream else net.graph
        graph = base if ratio is None else configure_rsm(base, ratio, sites)
        name = "exported_masks" if ratio is None else f"mask_{ratio:g}"
        if len(models) > 1:
            name += f"_{model.stem}"
        label = ("as exported" if ratio is None else f"mask ratio {ratio:g}") + f" ({model.stem})"
        run = simulate_run(name, graph, x, labels, ratio=ratio, sites=None if ratio is None else sites, T=T,
                           batch=args.batch, seed=args.seed, dtype=dtype, record=args.record == "spikes",
                           progress=Progress(label, x.shape[0]), on_batch=saver.partial if args.out else None)
        run.model = model.stem
        results.runs.append(run)
        saver.save()
    return results


class Checkpoint:
    """Saves the completed runs plus the samples done of the current one, at most every few seconds.

    Every save replaces the file atomically, so an interruption at any moment
    leaves the last complete checkpoint (or no file before the first one).
    """

    def __init__(self, path, results: Results, every: float = 5.0) -> None:
        self.path, self.results, self.every = path, results, every
        self.last = time.perf_counter()

    def partial(self, run: RunResult) -> None:
        if time.perf_counter() - self.last >= self.every:
            Results(self.results.config, self.results.runs + [run]).save(self.path)
            self.last = time.perf_counter()

    def save(self) -> None:
        if self.path:
            self.results.save(self.path)
            self.last = time.perf_counter()


def override_preprocess(pre: Preprocess, args) -> None:
    """Command-line options win over the model's metadata."""
    if (args.mean is None) != (args.std is None):
        raise UnsupportedInput("--mean and --std go together")
    for key in ("events", "bins", "resize_mode", "mean", "std"):
        if getattr(args, key) is not None:
            setattr(pre, key, getattr(args, key))
    if args.resize is not None:
        pre.resize = tuple(args.resize)
