"""Results of ``mstsim run``: in memory, and as HDF5 files (layout in docs/results-format.md).

A file is written whole to a temporary name beside the target and then
renamed over it (``os.replace`` is atomic), so an interrupted run leaves
either the last complete file or none, never a half-written one.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

import h5py
import numpy as np

from .ir.errors import MstsimError
from .ledger import COLUMNS, Ledger

FORMAT = "mstsim-results"
FORMAT_VERSION = 1


class ResultsError(MstsimError):
    """A results file is missing, not an mstsim results file, or unreadable."""


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
        """Write atomically: a temporary file beside ``path``, then a rename."""
        tmp = f"{path}.partial-{os.getpid()}"
        try:
            with h5py.File(tmp, "w") as f:
                f.attrs["format"] = FORMAT
                f.attrs["format_version"] = FORMAT_VERSION
                config = dict(self.config, run_order=json.dumps([r.name for r in self.runs]))
                f.attrs["config"] = json.dumps(config, sort_keys=True)
                for key in ("mstsim_version", "model", "model_sha256", "data", "created"):
                    f.attrs[key] = str(self.config.get(key, ""))
                for run in self.runs:
                    _write_run(f.create_group(f"runs/{run.name}"), run)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.remove(tmp)
            raise

    @classmethod
    def load(cls, path: str) -> "Results":
        if not os.path.isfile(path):
            raise ResultsError(f"{path}: no such results file")
        try:
            with h5py.File(path, "r") as f:
                if f.attrs.get("format") != FORMAT:
                    raise ResultsError(f"{path}: not an mstsim results file (no format attribute {FORMAT!r})")
                if int(f.attrs["format_version"]) > FORMAT_VERSION:
                    raise ResultsError(f"{path}: format version {f.attrs['format_version']} is newer than "
                                       f"this mstsim reads ({FORMAT_VERSION})")
                config = json.loads(f.attrs["config"])
                runs = [_read_run(name, f[f"runs/{name}"]) for name in f["runs"]] if "runs" in f else []
        except OSError as exc:
            raise ResultsError(f"{path}: cannot be read as HDF5 ({exc})") from None
        order = json.loads(config["run_order"]) if "run_order" in config else []
        runs.sort(key=lambda r: order.index(r.name) if r.name in order else len(order))
        return cls(config=config, runs=runs)


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
    if run.spikes:
        sp = g.create_group("spikes")
        for i, (node, (sample, step, index)) in enumerate(run.spikes.items()):
            ds = sp.create_group(f"{i:04d}")
            ds.attrs["node"] = node
            for key, arr in (("sample", sample), ("step", step), ("index", index)):
                ds.create_dataset(key, data=arr, compression="gzip", shuffle=True)


def _read_run(name: str, g: h5py.Group) -> RunResult:
    led = g["ledger"]
    columns = json.loads(led.attrs["columns"])
    if columns != list(COLUMNS):
        raise ResultsError(f"run {name!r}: ledger columns {columns} differ from this mstsim's {list(COLUMNS)}")
    ledger = Ledger(nodes=[s.decode() if isinstance(s, bytes) else s for s in led["nodes"][()]],
                    kinds=[s.decode() if isinstance(s, bytes) else s for s in led["kinds"][()]],
                    totals=led["totals"][()], ann_macs=led["ann_macs"][()], samples=int(g.attrs["samples"]),
                    steps=int(g.attrs["T"]), per_step=led["per_step"][()] if "per_step" in led else None)
    spikes = {}
    for key in sorted(g.get("spikes", {})):
        ds = g["spikes"][key]
        spikes[ds.attrs["node"]] = (ds["sample"][()], ds["step"][()], ds["index"][()])
    ratio = float(g.attrs["mask_ratio"])
    return RunResult(name=name, mask_ratio=None if np.isnan(ratio) else ratio,
                     mask_sites=g.attrs["mask_sites"] or None, T=int(g.attrs["T"]), labels=g["labels"][()],
                     sample_ids=g["sample_ids"][()], predictions=g["predictions"][()],
                     ann_predictions=g["ann_predictions"][()], final_logits=g["final_logits"][()],
                     ledger=ledger, neurons=g["neurons"][()], spikes=spikes, model=str(g.attrs.get("model", "")))
