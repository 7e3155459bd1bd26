"""Results of ``mstsim run``: in memory, and as HDF5 files (layout in docs/results-format.md).

A file is written whole to a temporary name beside the target and then
renamed over it (``os.replace`` is atomic), so an interrupted run leaves
either the last complete file or none, never a half-written one.
"""
from __future__ import annotations

import io
import json
import os
import time
from dataclasses import dataclass, field

import h5py
import numpy as np

from .ir.errors import MstsimError
from .ledger import COLUMNS, Ledger
from .module_map import NodeModules

FORMAT = "mstsim-results"
FORMAT_VERSION = 1


class ResultsError(MstsimError):
    """A results file is missing, not an mstsim results file, or unreadable."""


class ResultsWriteError(MstsimError):
    """A results file could not be written (disk full, I/O error, permissions)."""

    def __init__(self, path, exc: OSError, kept: str = ""):
        self.path, self.errno, self.strerror = path, exc.errno, exc.strerror or str(exc)
        self.kept = kept
        code = f"errno {exc.errno}, " if exc.errno else ""
        super().__init__(f"cannot write {path}: {self.strerror} ({code}{type(exc).__name__})"
                         + (f"; {kept}" if kept else ""))

    def keeping(self, kept: str) -> "ResultsWriteError":
        """The same error, saying what was kept."""
        return ResultsWriteError(self.path, OSError(self.errno, self.strerror), kept)


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass


@dataclass
class RunResult:
    """One simulated configuration (one masking ratio) over the samples done so far."""

    name: str
    mask_ratio: float | None
    mask_sites: str | None
    T: int
    labels: np.ndarray            # (N,) int64, -1 when unknown
    sample_ids: np.ndarray        # (N,) int64
    predictions: np.ndarray       # (T, N) SNN prediction after each step
    ann_predictions: np.ndarray   # (N,)
    final_logits: np.ndarray      # (N, C) cumulative logits at T
    ledger: Ledger
    neurons: np.ndarray           # (nodes,) elements per sample of each node
    spikes: dict = field(default_factory=dict)  # node -> (sample, step, index) int arrays
    model: str = ""               # which model (file stem), when a file holds several
    modules: NodeModules = field(default_factory=NodeModules)  # module of each node (empty: unknown)

    def accuracy(self) -> np.ndarray:
        """SNN accuracy after each step, shape (T,): vs labels, or vs the ANN if labels are unknown."""
        truth = self.labels if np.all(self.labels >= 0) else self.ann_predictions
        return (self.predictions == truth[None, :]).mean(axis=1) if truth.size else np.zeros(self.T)

    def ann_accuracy(self) -> float:
        return float(np.mean(self.ann_predictions == self.labels)) if np.all(self.labels >= 0) else float("nan")

    def firing_rates(self) -> np.ndarray:
        """Events out per element, sample and step, per node (0 for nodes that emit none)."""
        denom = np.maximum(self.neurons * self.T * max(self.ledger.samples, 1), 1)
        return self.ledger.column("events_out") / denom


@dataclass
class Results:
    config: dict
    runs: list[RunResult]

    def save(self, path: str) -> None:
        """Write atomically: the HDF5 image is built in memory, written to a temporary
        file beside ``path``, flushed to disk, then renamed over ``path``.

        Building the image in memory keeps HDF5 away from a failing disk: a
        write error (disk full, I/O error) is a plain ``OSError`` of one
        ``write``, turned into :class:`ResultsWriteError`, and the temporary
        file is removed, so ``path`` keeps its previous content.
        """
        image = io.BytesIO()
        with h5py.File(image, "w") as f:
            f.attrs["format"] = FORMAT
            f.attrs["format_version"] = FORMAT_VERSION
            config = dict(self.config, run_order=json.dumps([r.name for r in self.runs]))
            f.attrs["config"] = json.dumps(config, sort_keys=True)
            for key in ("mstsim_version", "model", "model_sha256", "data", "created"):
                f.attrs[key] = str(self.config.get(key, ""))
            for run in self.runs:
                _write_run(f.create_group(f"runs/{run.name}"), run)
        tmp = f"{path}.partial-{os.getpid()}"
        try:
            with open(tmp, "wb") as out:
                out.write(image.getbuffer())
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        except OSError as exc:
            _remove(tmp)
            raise ResultsWriteError(path, exc) from None
        except BaseException:
            _remove(tmp)
            raise

    @classmethod
    def load(cls, path: str) -> "Results":
        """Read a results file, checking its format version and every group and dataset it needs.

        Raises
        ------
        ResultsError
            Naming the file and what is missing or inconsistent.
        """
        if not os.path.isfile(path):
            raise ResultsError(f"{path}: no such results file")
        try:
            f = h5py.File(path, "r")
        except OSError as exc:
            raise ResultsError(f"{path}: cannot be read as HDF5 ({exc})") from None
        try:
            with f:
                config = _read_header(path, f)
                if "runs" not in f or not isinstance(f["runs"], h5py.Group):
                    raise ResultsError(f"{path}: the group 'runs' is missing (the file is incomplete)")
                runs = [_read_run(path, name, f["runs"][name]) for name in f["runs"]]
        except ResultsError:
            raise
        except (OSError, KeyError, ValueError, TypeError, RuntimeError) as exc:
            raise ResultsError(f"{path}: damaged, cannot be read as an mstsim results file "
                               f"({type(exc).__name__}: {exc})") from None
        if not runs:
            raise ResultsError(f"{path}: holds no runs")
        order = config.get("run_order", "[]")
        order = json.loads(order) if isinstance(order, str) else []
        runs.sort(key=lambda r: order.index(r.name) if r.name in order else len(order))
        return cls(config=config, runs=runs)


class Checkpoint:
    """Saves the completed runs plus the samples done of the current one, at most every ``every`` seconds.

    Every save replaces the file atomically, so an interruption at any moment
    leaves the last complete checkpoint (or no file before the first one).
    ``saved`` says what the file holds, for the message of an interrupted or
    failed run; a ``guard`` (:class:`mstsim.signals.Guard`) is told the same.
    """

    def __init__(self, path, results: Results, every: float = 5.0, guard=None) -> None:
        self.path, self.results, self.every, self.guard = path, results, every, guard
        self.last = time.perf_counter()
        self.saved = "no results were saved" + ("" if path else " (no --out given)")
        self._tell()
        if path:
            remove_stale_partials(path)

    def due(self) -> bool:
        return bool(self.path) and time.perf_counter() - self.last >= self.every

    def partial(self, run: RunResult, total: int) -> None:
        """Save the completed runs and ``run``, which holds some of ``total`` samples."""
        self._write(Results(self.results.config, self.results.runs + [run]),
                    f" and {run.ledger.samples} of {total} samples of {run.name}")

    def save(self) -> None:
        if self.path:
            self._write(self.results, "")

    def _write(self, results: Results, extra: str) -> None:
        try:
            if self.guard is not None:
                with self.guard.writing():
                    results.save(self.path)
            else:
                results.save(self.path)
        except ResultsWriteError as exc:
            kept = self.saved if self.saved.startswith("no results") else f"the last checkpoint is intact: {self.saved}"
            raise exc.keeping(kept) from None
        self.last = time.perf_counter()
        runs = self.results.runs
        whole = f"{len(runs)} complete run{'s' if len(runs) != 1 else ''} ({', '.join(r.name for r in runs)})"
        self.saved = f"{self.path} holds " + (whole + extra if runs else extra.removeprefix(" and "))
        self._tell()

    def _tell(self) -> None:
        if self.guard is not None:
            self.guard.saved = self.saved


def remove_stale_partials(path) -> list[str]:
    """Delete ``path.partial-<pid>`` files left by runs killed while writing (SIGKILL, power loss)
    whose process no longer exists; return their names."""
    import glob
    removed = []
    for tmp in glob.glob(glob.escape(str(path)) + ".partial-*"):
        pid = tmp.rsplit("-", 1)[-1]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            _remove(tmp)
            removed.append(tmp)
        except (PermissionError, OverflowError, OSError):
            pass  # alive under another user, or not a pid: leave it
    return removed


def _read_header(path: str, f: h5py.File) -> dict:
    if f.attrs.get("format") != FORMAT:
        raise ResultsError(f"{path}: not an mstsim results file (no format attribute {FORMAT!r})")
    if "format_version" not in f.attrs:
        raise ResultsError(f"{path}: the attribute 'format_version' is missing")
    try:
        version = int(f.attrs["format_version"])
    except (TypeError, ValueError):
        raise ResultsError(f"{path}: format_version {f.attrs['format_version']!r} is not an integer") from None
    if version > FORMAT_VERSION or version < 1:
        raise ResultsError(f"{path}: format version {version} is not one this mstsim reads "
                           f"(1 .. {FORMAT_VERSION})" + ("; upgrade mstsim" if version > FORMAT_VERSION else ""))
    if "config" not in f.attrs:
        raise ResultsError(f"{path}: the attribute 'config' is missing")
    try:
        config = json.loads(f.attrs["config"])
    except (TypeError, ValueError):
        raise ResultsError(f"{path}: the attribute 'config' is not JSON") from None
    if not isinstance(config, dict):
        raise ResultsError(f"{path}: the attribute 'config' is not a JSON object")
    return config


def _write_run(g: h5py.Group, run: RunResult) -> None:
    g.attrs["mask_ratio"] = np.nan if run.mask_ratio is None else run.mask_ratio
    g.attrs["mask_sites"] = run.mask_sites or ""
    g.attrs["model"] = run.model
    g.attrs["T"] = run.T
    g.attrs["samples"] = run.ledger.samples
    for key in ("labels", "sample_ids", "predictions", "ann_predictions", "final_logits", "neurons"):
        g.create_dataset(key, data=getattr(run, key), compression="gzip")
    led = g.create_group("ledger")
    led.attrs["columns"] = json.dumps(list(COLUMNS))
    led.create_dataset("nodes", data=np.array(run.ledger.nodes, dtype=h5py.string_dtype()))
    led.create_dataset("kinds", data=np.array(run.ledger.kinds, dtype=h5py.string_dtype()))
    led.create_dataset("totals", data=run.ledger.totals)
    led.create_dataset("ann_macs", data=run.ledger.ann_macs)
    if run.ledger.per_step is not None:
        led.create_dataset("per_step", data=run.ledger.per_step, compression="gzip")
    if run.modules:
        _write_modules(led, run.ledger.nodes, run.modules)
    if run.spikes:
        sp = g.create_group("spikes")
        for i, (node, (sample, step, index)) in enumerate(run.spikes.items()):
            ds = sp.create_group(f"{i:04d}")
            ds.attrs["node"] = node
            for key, arr in (("sample", sample), ("step", step), ("index", index)):
                ds.create_dataset(key, data=arr, compression="gzip", shuffle=True)


RUN_DATASETS = ("labels", "sample_ids", "predictions", "ann_predictions", "final_logits", "neurons")
RUN_ATTRS = ("mask_ratio", "mask_sites", "T", "samples")
LEDGER_DATASETS = ("nodes", "kinds", "totals", "ann_macs")


def _need(path, where: str, g: h5py.Group, datasets=(), attrs=(), groups=()) -> None:
    """Name the first required member of ``g`` that is missing."""
    for key in groups:
        if key not in g or not isinstance(g[key], h5py.Group):
            raise ResultsError(f"{path}: {where} has no group {key!r} (the file is incomplete or damaged)")
    for key in datasets:
        if key not in g or not isinstance(g[key], h5py.Dataset):
            raise ResultsError(f"{path}: {where} has no dataset {key!r} (the file is incomplete or damaged)")
    for key in attrs:
        if key not in g.attrs:
            raise ResultsError(f"{path}: {where} has no attribute {key!r} (the file is incomplete or damaged)")


def _text(values) -> list[str]:
    return [s.decode() if isinstance(s, bytes) else str(s) for s in np.asarray(values).reshape(-1)]


def _read_run(path, name: str, g) -> RunResult:
    where = f"run {name!r}"
    if not isinstance(g, h5py.Group):
        raise ResultsError(f"{path}: {where} is not a group")
    _need(path, where, g, RUN_DATASETS, RUN_ATTRS, ("ledger",))
    led = g["ledger"]
    _need(path, f"{where} ledger", led, LEDGER_DATASETS, ("columns",))
    columns = json.loads(led.attrs["columns"])
    if columns != list(COLUMNS):
        raise ResultsError(f"{path}: {where}: ledger columns {columns} differ from this mstsim's {list(COLUMNS)}")
    T, samples = int(g.attrs["T"]), int(g.attrs["samples"])
    nodes = _text(led["nodes"][()])
    arrays = {k: g[k][()] for k in RUN_DATASETS}
    totals, per_step = led["totals"][()], led["per_step"][()] if "per_step" in led else None
    n = arrays["labels"].shape[0] if arrays["labels"].ndim == 1 else -1
    expected = {"labels": (n,), "sample_ids": (n,), "predictions": (T, n), "ann_predictions": (n,),
                "neurons": (len(nodes),), "totals": (len(nodes), len(COLUMNS))}
    expected["ann_macs"] = (len(nodes),)
    found = dict(arrays, totals=totals, ann_macs=led["ann_macs"][()])
    if per_step is not None:
        expected["per_step"], found["per_step"] = (T, len(nodes), len(COLUMNS)), per_step
    for key, shape in expected.items():
        if n < 0 or found[key].shape != shape:
            raise ResultsError(f"{path}: {where}: {key} has shape {found[key].shape}, expected {shape}")
    if arrays["final_logits"].ndim != 2 or arrays["final_logits"].shape[0] != n or T < 1:
        raise ResultsError(f"{path}: {where}: final_logits has shape {arrays['final_logits'].shape}, "
                           f"expected ({n}, classes)")
    ledger = Ledger(nodes=nodes, kinds=_text(led["kinds"][()]), totals=totals.astype(np.int64),
                    ann_macs=found["ann_macs"].astype(np.int64), samples=samples, steps=T, per_step=per_step)
    modules = _read_modules(path, where, led, nodes)
    spikes = {}
    for key in sorted(g.get("spikes", {})):
        ds = g["spikes"][key]
        _need(path, f"{where} spikes {key}", ds, ("sample", "step", "index"), ("node",))
        spikes[str(ds.attrs["node"])] = (ds["sample"][()], ds["step"][()], ds["index"][()])
    ratio = float(g.attrs["mask_ratio"])
    return RunResult(name=name, mask_ratio=None if np.isnan(ratio) else ratio,
                     mask_sites=str(g.attrs["mask_sites"]) or None, T=T, ledger=ledger,
                     spikes=spikes, model=str(g.attrs.get("model", "")), modules=modules, **arrays)


MODULE_DATASETS = ("module_paths", "module_known", "module_parts", "ops")


def _write_modules(led: h5py.Group, nodes: list[str], mods: NodeModules) -> None:
    text = h5py.string_dtype()
    led.create_dataset("module_paths", data=np.array([mods.paths.get(n, "") for n in nodes], dtype=text))
    led.create_dataset("module_known", data=np.array([n in mods.paths for n in nodes], dtype=np.uint8))
    led.create_dataset("module_parts", data=np.array([mods.parts.get(n, "") for n in nodes], dtype=text))
    led.create_dataset("ops", data=np.array([mods.ops.get(n, "") for n in nodes], dtype=text))


def _read_modules(path, where: str, led: h5py.Group, nodes: list[str]) -> NodeModules:
    """The module datasets of a ledger group (files written before them have none: empty)."""
    if "module_paths" not in led:
        return NodeModules()
    _need(path, f"{where} ledger", led, MODULE_DATASETS)
    found = {k: led[k][()] for k in MODULE_DATASETS}
    for key, arr in found.items():
        if arr.shape != (len(nodes),):
            raise ResultsError(f"{path}: {where}: {key} has shape {arr.shape}, expected ({len(nodes)},)")
    paths, parts, ops = (_text(found[k]) for k in ("module_paths", "module_parts", "ops"))
    known = found["module_known"].astype(bool)
    return NodeModules(paths={n: p for n, p, k in zip(nodes, paths, known) if k},
                       parts={n: p for n, p in zip(nodes, parts) if p}, ops={n: o for n, o in zip(nodes, ops) if o})
