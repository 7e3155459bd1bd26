"""``mstsim sweep``: models x masking ratios x mask sites x T x seeds over a dataset, in chunks of samples.

The owner process plans the grid, loads the data, writes the one results
file and commits chunks as workers return them (mstsim/sweep_store.py);
workers only simulate (mstsim/sweep_worker.py) on any executor
(mstsim/sweep_exec.py). docs/sweeps.md describes the whole.
"""
from __future__ import annotations

import dataclasses
import datetime
import json
import os
import pathlib
from dataclasses import dataclass

import numpy as np

from . import sweep_results, sweep_store
from .engine.encode_shadow import check_count_padding, check_pool_rule
from .ir.errors import MstsimError, UnsupportedInput
from .sweep_store import RunSpec
from .sweep_worker import ChunkTask, ModelRef, WorkerSetup

BUNDLED = pathlib.Path(__file__).resolve().parents[1] / "models"
DEFAULT_RATIOS = (0.0, 0.25, 0.5, 0.75)
#: config entries that define the work: a resumed sweep must agree on all of them
WORK_KEYS = ("mstsim_version", "models_sha256", "data", "samples", "T", "mask_ratios", "mask_sites", "seeds",
             "chunk", "batch", "dtype", "preprocess", "pool_rule", "count_padding")
PLAN_KEYS = ("data", "samples", "T", "mask_ratios", "mask_sites", "seeds", "chunk", "batch", "dtype", "pool_rule",
             "count_padding")
#: counting conventions (docs/accounting.md rules 17-18); a file written before they existed used these
COUNTING_DEFAULTS = {"pool_rule": "events", "count_padding": False}


class SweepInterrupted(MstsimError):
    """Ctrl-C or SIGTERM: the file holds every chunk committed so far and can be resumed."""

    def __init__(self, message: str, exit_code: int = 130) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def bundled_models() -> list[pathlib.Path]:
    return sorted(BUNDLED.glob("*.onnx"))


@dataclass
class Plan:
    config: dict
    runs: list[RunSpec]
    refs: list[ModelRef]          # with the ONNX bytes
    inputs: list[np.ndarray]      # per model: (N, *input_shape) or (N, steps, *input_shape)
    labels: np.ndarray
    bounds: np.ndarray            # chunk k holds samples bounds[k]:bounds[k+1]

    def setup(self) -> WorkerSetup:
        warm = tuple(dict.fromkeys((self.refs[r.model_index].sha256, r.mask_ratio, r.mask_sites)
                                   for r in self.runs))
        return WorkerSetup(models=tuple(self.refs), warm=warm, dtype=self.config["dtype"],
                           version=self.config["mstsim_version"], pool_rule=self.config["pool_rule"],
                           count_padding=self.config["count_padding"])

    def tasks(self, done: np.ndarray) -> list[ChunkTask]:
        """The chunks not yet committed, run by run."""
        out = []
        for i, r in enumerate(self.runs):
            for k in np.flatnonzero(~done[i]):
                lo, hi = int(self.bounds[k]), int(self.bounds[k + 1])
                out.append(ChunkTask(run=i, chunk=int(k), model=self.refs[r.model_index].without_data(),
                                     mask_ratio=r.mask_ratio, mask_sites=r.mask_sites, seed=r.seed, T=r.T,
                                     dtype=self.config["dtype"], batch=self.config["batch"],
                                     x=self.inputs[r.model_index][lo:hi], sample_ids=np.arange(lo, hi),
                                     pool_rule=self.config["pool_rule"],
                                     count_padding=self.config["count_padding"]))
        return out


def _listed(value, cast) -> list | None:
    if value is None:
        return None
    return [cast(v) for v in (value if isinstance(value, (list, tuple)) else [value])]


def check_counting(pool_rule, count_padding) -> None:
    """Refuse a pool rule or count_padding the engine would refuse, before any work (None: not given)."""
    if pool_rule is not None:
        check_pool_rule(pool_rule)
    if count_padding is not None:
        check_count_padding(count_padding)


def make_plan(models=None, *, data=None, samples=None, T=None, mask_ratios=None, mask_sites=None, seeds=None,
              chunk=64, batch=None, dtype="float32", preprocess=None, pool_rule="events",
              count_padding=False) -> Plan:
    """Import the models, load the data and lay out the grid (no simulation)."""
    check_counting(pool_rule, count_padding)
    pool_rule = pool_rule or COUNTING_DEFAULTS["pool_rule"]  # None: not given
    from . import __version__, from_onnx
    from .inputs import Preprocess, load_samples, model_settings
    from .run import sha256, with_event_input
    paths = [pathlib.Path(m) for m in (_listed(models, str) or bundled_models())]
    for p in paths:
        if not p.is_file():
            raise UnsupportedInput(f"model file {p} not found")
    nets = [from_onnx(str(p)) for p in paths]
    metas = [model_settings(n.metadata) for n in nets]
    Ts = _listed(T, int) or [int(metas[0].get("T", 64))]
    if min(Ts) < 1:
        raise UnsupportedInput(f"--T values must be >= 1, got {Ts}")
    ratios = _listed(mask_ratios, float) or list(DEFAULT_RATIOS)
    if any(not 0.0 <= p <= 1.0 for p in ratios):
        raise UnsupportedInput(f"--mask-ratio values must be in [0, 1], got {ratios}")
    seeds = _listed(seeds, int) or [0]
    if dtype not in ("float32", "float64"):
        raise UnsupportedInput(f"dtype must be float32 or float64, got {dtype!r}")
    if any(s < 0 for s in seeds):
        raise UnsupportedInput(f"--seed values must be >= 0, got {seeds}")
    chunk = int(chunk)
    if chunk < 1:
        raise UnsupportedInput(f"--chunk must be >= 1, got {chunk}")
    batch = chunk if batch is None else int(batch)
    if batch < 1:
        raise UnsupportedInput(f"--batch must be >= 1, got {batch}")
    if data is None:
        named = {m.get("dataset") for m in metas}
        if len(named) != 1 or None in named:
            own = ", ".join(f"{p.name}: {m.get('dataset')}" for p, m in zip(paths, metas))
            raise UnsupportedInput(f"no --data given and the models do not name one common dataset ({own})")
        data = named.pop()
    horizon = max(Ts)
    inputs, labels, pres, runs = [], None, [], []
    for i, (path, net, meta) in enumerate(zip(paths, nets, metas)):
        pre = Preprocess.from_metadata(net.metadata)
        for key, value in (preprocess or {}).items():
            setattr(pre, key, tuple(value) if isinstance(value, list) else value)
        x, y = load_samples(data, pre, net.input_shape, limit=samples, steps=horizon)
        stream = pre.events == "stream" and x.ndim == len(net.input_shape) + 2
        if stream and len(Ts) > 1:
            raise UnsupportedInput("an event-stream sweep bins its events over T, so it takes one --T value")
        if labels is not None and not np.array_equal(labels, y):
            raise UnsupportedInput(f"{path} sees different samples of {data!r} than {paths[0]}")
        labels = y
        inputs.append(x)
        pres.append(dataclasses.asdict(pre))
        base = with_event_input(net.graph) if stream else net.graph
        for sites in (_listed(mask_sites, str) or [meta.get("mask_sites") or "attention"]):
            for ratio in ratios:
                for seed in seeds:
                    runs.append(_run_spec(len(runs), path.stem, i, base, ratio, sites, seed, horizon))
    if labels.shape[0] == 0:
        raise UnsupportedInput(f"dataset {data!r} has no samples")
    bounds = np.append(np.arange(0, labels.shape[0], chunk), labels.shape[0]).astype(np.int64)
    raw = [p.read_bytes() for p in paths]
    refs = [ModelRef(str(p.resolve()), sha256(p), b) for p, b in zip(paths, raw)]
    config = {"models": [str(p) for p in paths], "models_sha256": [r.sha256 for r in refs], "data": data,
              "samples": int(labels.shape[0]), "T": Ts, "mask_ratios": ratios,
              "mask_sites": _listed(mask_sites, str), "seeds": seeds, "chunk": chunk, "batch": batch,
              "dtype": dtype, "pool_rule": pool_rule, "count_padding": bool(count_padding),
              "preprocess": pres, "preprocess_overrides": preprocess or {},
              "mstsim_version": __version__,
              "created": datetime.datetime.now().isoformat(timespec="seconds")}
    config = json.loads(json.dumps(config))  # as the file will hold it (tuples as lists)
    return Plan(config=config, runs=runs, refs=refs, inputs=inputs, labels=labels, bounds=bounds)


def _run_spec(index, model, model_index, graph, ratio, sites, seed, T) -> RunSpec:
    from .rsm import configure_rsm
    try:
        g = configure_rsm(graph, ratio, sites)
    except MstsimError as exc:
        raise UnsupportedInput(f"{model}: mask sites {sites!r}: {exc}") from None
    names = [n.name for n in g]
    label = sites.replace("/", "_")
    return RunSpec(name=f"{index:03d}_{model}_{label}_p{ratio:g}_seed{seed}", model=model, model_index=model_index,
                   mask_ratio=ratio, mask_sites=sites, seed=seed, T=T, nodes=names,
                   kinds=[g.kinds[n] for n in names],
                   neurons=np.array([int(np.prod(g.shapes[n])) for n in names], dtype=np.int64),
                   classes=int(np.prod(g.shapes[g.output_node().name])))


def sweep(models=None, *, out, data=None, samples=None, T=None, mask_ratios=None, mask_sites=None, seeds=None,
          chunk=None, batch=None, dtype=None, preprocess=None, pool_rule=None, count_padding=None, workers=None,
          executor=None, scheduler=None, dask_local=None, resume=False, overwrite=False, progress=None):
    """Run (or resume) a sweep and write it to ``out``; returns the file read back.

    Parameters
    ----------
    models : ONNX paths (default: the bundled models)
    out : the HDF5 results file (one per sweep)
    data, samples : dataset spec (default: the models' own) and how many test samples (default: all)
    T, mask_ratios, mask_sites, seeds : grid axes (each a value or a list)
    chunk : samples per chunk, the unit of work and of commits (default 64)
    batch : samples per engine batch within a chunk (default: the chunk)
    dtype : "float32" (default) or "float64"
    preprocess : overrides of the models' preprocessing (Preprocess fields)
    pool_rule : how pools of events and the layer after them are counted: "events" (default),
        "through" or "dense" (docs/accounting.md rule 17); predictions never depend on it
    count_padding : count padding taps in ANN MACs and dense MACs (rule 18; default False)
    workers : local worker processes (default: CPU count; 0 runs in this process)
    executor : any ``concurrent.futures.Executor`` to run chunks on instead
    scheduler, dask_local : a Dask scheduler address, or a number of LocalCluster workers
    resume : continue the sweep in ``out``; finished chunks are never recomputed
    overwrite : replace an existing ``out``
    progress : show a progress bar (default: only on a terminal)

    Returns
    -------
    SweepResults (mstsim.sweep_results), with ``complete`` False if chunks failed.
    """
    out = str(out)
    check_counting(pool_rule, count_padding)
    asked = {"data": data, "samples": samples, "T": _listed(T, int), "mask_ratios": _listed(mask_ratios, float),
             "mask_sites": _listed(mask_sites, str), "seeds": _listed(seeds, int), "chunk": chunk, "batch": batch,
             "dtype": dtype, "pool_rule": pool_rule, "count_padding": count_padding}
    if resume:
        if not os.path.exists(out):
            raise UnsupportedInput(f"--resume: {out} does not exist (nothing to resume)")
        saved = {**COUNTING_DEFAULTS, **sweep_results.load(out).config}
        for key, value in asked.items():
            if value is not None and saved.get(key) != value:
                raise UnsupportedInput(f"{out} holds a sweep with {key} = {saved.get(key)!r}, not {value!r}; "
                                       "resume with the same options, or write a new --out file")
        plan = make_plan(models or saved["models"], preprocess=saved.get("preprocess_overrides"),
                         **{k: saved[k] for k in PLAN_KEYS})
        _same_work(out, saved, plan.config)
    else:
        if os.path.exists(out) and not overwrite:
            raise UnsupportedInput(f"{out} exists; pass --resume to continue it or --overwrite to replace it")
        plan = make_plan(models, data=data, samples=samples, T=T, mask_ratios=mask_ratios, mask_sites=mask_sites,
                         seeds=seeds, chunk=64 if chunk is None else chunk, batch=batch, dtype=dtype or "float32",
                         preprocess=preprocess, pool_rule=pool_rule, count_padding=count_padding)
        sweep_store.create(out, plan.config, plan.runs, plan.labels, plan.bounds)
    return run_plan(plan, out, workers=workers, executor=executor, scheduler=scheduler, dask_local=dask_local,
                    progress=progress)


def run_plan(plan: Plan, out: str, *, workers=None, executor=None, scheduler=None, dask_local=None,
             progress=None):
    """Simulate the chunks of ``plan`` not yet done in the sweep file ``out``; returns the file read back."""
    from .sweep_exec import drive, make_backend
    writer = sweep_store.SweepWriter(out)
    try:
        tasks = plan.tasks(writer.done())
        if tasks:
            backend = make_backend(plan.setup(), workers=workers, executor=executor, scheduler=scheduler,
                                   dask_local=dask_local)
            drive(backend, tasks, writer, plan, progress=progress)
    finally:
        writer.close()
    return sweep_results.load(out)


def _same_work(path: str, saved: dict, now: dict) -> None:
    for key in WORK_KEYS:
        if saved.get(key) != now.get(key):
            raise UnsupportedInput(f"{path}: cannot resume, {key} was {saved.get(key)!r} and is now "
                                   f"{now.get(key)!r} (a model file changed?)")
