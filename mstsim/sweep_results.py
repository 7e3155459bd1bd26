"""Reading a sweep file back (layout in docs/sweeps.md): each run's finished samples as a RunResult."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass

import h5py
import numpy as np

from .ledger import Ledger
from .results import RunResult
from .sweep_store import DONE, FAILED, FORMAT, FORMAT_VERSION, SweepFileError


@dataclass
class SweepRun:
    """One grid point read back: its coordinates and the RunResult of its finished samples."""

    name: str
    model: str
    mask_ratio: float | None
    mask_sites: str | None
    seed: int
    result: RunResult


@dataclass
class SweepResults:
    """A sweep file read back: config, runs (finished samples only) and the chunk index."""

    path: str
    config: dict
    runs: list[SweepRun]
    state: np.ndarray      # (runs, chunks) TODO / DONE / FAILED
    session: np.ndarray    # (runs, chunks) which invocation committed each chunk
    seconds: np.ndarray    # (runs, chunks) worker seconds
    errors: dict           # (run name, chunk) -> message
    bounds: np.ndarray

    @property
    def complete(self) -> bool:
        return bool(np.all(self.state == DONE))


def load(path: str) -> SweepResults:
    """Read a sweep file (complete or not); each run holds only its committed chunks' samples."""
    if not os.path.isfile(path):
        raise SweepFileError(f"{path}: no such sweep file")
    try:
        with h5py.File(path, "r", locking=False) as f:
            if f.attrs.get("format") != FORMAT:
                raise SweepFileError(f"{path}: not an mstsim sweep file (no format attribute {FORMAT!r})")
            if int(f.attrs["format_version"]) > FORMAT_VERSION:
                raise SweepFileError(f"{path}: sweep format version {f.attrs['format_version']} is newer than "
                                     f"this mstsim reads ({FORMAT_VERSION})")
            names = json.loads(f.attrs["run_order"])
            sw = f["sweep"]
            bounds, state = sw["chunk_bounds"][()], sw["state"][()]
            if np.any(state[:, -1]):  # a kill after a commit point: the ledger copy is the scratch sum
                per_step = {n: sw[f"scratch/{n}"][()] for i, n in enumerate(names) if state[i, -1]}
            else:
                per_step = {}
            errors = {(names[r], int(k)): sw["error"][r, k].decode("utf-8", "replace")
                      for r, k in zip(*np.nonzero(state[:, :-1] == FAILED))}
            runs = [_read_run(n, f[f"runs/{n}"], bounds, state[i, :-1] == DONE, per_step.get(n))
                    for i, n in enumerate(names)]
            return SweepResults(path=path, config=json.loads(f.attrs["config"]), runs=runs,
                                state=state[:, :-1], session=sw["session"][()], seconds=sw["seconds"][()],
                                errors=errors, bounds=bounds)
    except OSError as exc:
        raise SweepFileError(f"{path}: cannot be read as HDF5 ({exc})") from None


def _read_run(name, g, bounds, done, per_step) -> SweepRun:
    keep = np.zeros(int(g.attrs["samples"]), dtype=bool)
    for k in np.flatnonzero(done):
        keep[bounds[k]:bounds[k + 1]] = True
    led = g["ledger"]
    per_step = led["per_step"][()] if per_step is None else per_step
    strs = [[s.decode() if isinstance(s, bytes) else s for s in led[key][()]] for key in ("nodes", "kinds")]
    ledger = Ledger(nodes=strs[0], kinds=strs[1], totals=per_step.sum(axis=0), ann_macs=led["ann_macs"][()],
                    samples=int(keep.sum()), steps=int(g.attrs["T"]), per_step=per_step)
    ratio = float(g.attrs["mask_ratio"])
    ratio = None if np.isnan(ratio) else ratio
    sites = g.attrs["mask_sites"] or None
    result = RunResult(name=name, mask_ratio=ratio, mask_sites=sites, T=int(g.attrs["T"]),
                       labels=g["labels"][()][keep], sample_ids=g["sample_ids"][()][keep],
                       predictions=g["predictions"][()][:, keep], ann_predictions=g["ann_predictions"][()][keep],
                       final_logits=g["final_logits"][()][keep], ledger=ledger, neurons=g["neurons"][()],
                       model=str(g.attrs["model"]))
    return SweepRun(name=name, model=result.model, mask_ratio=ratio, mask_sites=sites, seed=int(g.attrs["seed"]),
                    result=result)
