"""The sweep results file: every dataset allocated up front, chunks committed in place (docs/sweeps.md).

The file's structure (groups, datasets, attributes) is written once, to a
temporary name that is fsynced and renamed into place. After that a commit
only overwrites raw bytes inside contiguous, early-allocated datasets, so no
HDF5 metadata ever changes and a killed owner cannot leave a broken file.

A chunk of a run counts as done once its byte in ``/sweep/state`` is 1. A
commit writes, in this order, each step fsynced before the next:

1. the chunk's per-sample rows (predictions, ANN predictions, logits) and the
   run's new ledger sum into ``/sweep/scratch/<run>``;
2. the run's state row: the chunk marked done and "ledger copy pending"
   (one write of one contiguous row: the commit point);
3. the copy of the scratch sum into ``ledger/per_step`` and ``ledger/totals``,
   then "pending" cleared. Opening the file redoes a pending copy.
"""
from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass

import h5py
import numpy as np

from .ir.errors import MstsimError
from .ledger import COLUMNS

FORMAT = "mstsim-sweep"
FORMAT_VERSION = 1
TODO, DONE, FAILED = 0, 1, 2
ERROR_BYTES = 512


class SweepFileError(MstsimError):
    """A sweep file is missing, unreadable, or holds a different sweep."""


@dataclass
class RunSpec:
    """One grid point: a model at a masking ratio on some sites with a seed, simulated for ``T`` steps."""

    name: str
    model: str            # file stem
    model_index: int      # position in the sweep's model list
    mask_ratio: float | None
    mask_sites: str | None
    seed: int
    T: int                # horizon simulated (the largest T of the grid)
    nodes: list[str]
    kinds: list[str]
    neurons: np.ndarray   # (nodes,) elements per sample
    classes: int


def is_sweep_file(path) -> bool:
    """True when ``path`` is an HDF5 file with the sweep format marker."""
    try:
        with h5py.File(path, "r", locking=False) as f:
            return f.attrs.get("format") == FORMAT
    except (OSError, ValueError):
        return False


def _dset(group, name, shape, dtype, fill=0):
    """A contiguous dataset with its space allocated now, so writes never touch metadata."""
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_alloc_time(h5py.h5d.ALLOC_TIME_EARLY)
    return group.create_dataset(name, shape=shape, dtype=dtype, dcpl=dcpl, fillvalue=fill, track_times=False)


def create(path: str, config: dict, runs: list[RunSpec], labels: np.ndarray, bounds: np.ndarray) -> None:
    """Write the empty file of a sweep (atomically: temporary name, fsync, rename)."""
    n, k = labels.shape[0], len(bounds) - 1
    tmp = f"{path}.partial-{os.getpid()}"
    try:
        with h5py.File(tmp, "w", track_order=True) as f:
            f.attrs["format"] = FORMAT
            f.attrs["format_version"] = FORMAT_VERSION
            f.attrs["config"] = json.dumps(config, sort_keys=True)
            for key in ("mstsim_version", "data", "created"):
                f.attrs[key] = str(config.get(key, ""))
            f.attrs["run_order"] = json.dumps([r.name for r in runs])
            for r in runs:
                _create_run(f.create_group(f"runs/{r.name}"), r, config, labels)
            sw = f.create_group("sweep")
            sw.create_dataset("chunk_bounds", data=bounds.astype(np.int64), track_times=False)
            _dset(sw, "state", (len(runs), k + 1), np.int8)
            _dset(sw, "session", (len(runs), k), np.int32)
            _dset(sw, "seconds", (len(runs), k), np.float64)
            _dset(sw, "worker", (len(runs), k), "S64", fill=b"")
            _dset(sw, "error", (len(runs), k), f"S{ERROR_BYTES}", fill=b"")
            for r in runs:
                _dset(sw, f"scratch/{r.name}", (r.T, len(r.nodes), len(COLUMNS)), np.int64)
        _fsync_path(tmp)
        os.replace(tmp, path)
        _fsync_path(os.path.dirname(os.path.abspath(path)))
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _create_run(g, r: RunSpec, config: dict, labels: np.ndarray) -> None:
    n = labels.shape[0]
    g.attrs["model"] = r.model
    g.attrs["model_sha256"] = config["models_sha256"][r.model_index]
    g.attrs["mask_ratio"] = np.nan if r.mask_ratio is None else r.mask_ratio
    g.attrs["mask_sites"] = r.mask_sites or ""
    g.attrs["seed"] = r.seed
    g.attrs["T"] = r.T
    g.attrs["T_grid"] = np.asarray(config["T"], dtype=np.int64)
    g.attrs["samples"] = n
    g.create_dataset("labels", data=labels.astype(np.int64), track_times=False)
    g.create_dataset("sample_ids", data=np.arange(n, dtype=np.int64), track_times=False)
    g.create_dataset("neurons", data=np.asarray(r.neurons, dtype=np.int64), track_times=False)
    _dset(g, "predictions", (r.T, n), np.int64, fill=-1)
    _dset(g, "ann_predictions", (n,), np.int64, fill=-1)
    _dset(g, "final_logits", (n, r.classes), np.float64, fill=np.nan)
    led = g.create_group("ledger")
    led.attrs["columns"] = json.dumps(list(COLUMNS))
    led.create_dataset("nodes", data=np.array(r.nodes, dtype=h5py.string_dtype()), track_times=False)
    led.create_dataset("kinds", data=np.array(r.kinds, dtype=h5py.string_dtype()), track_times=False)
    _dset(led, "totals", (len(r.nodes), len(COLUMNS)), np.int64)
    _dset(led, "per_step", (r.T, len(r.nodes), len(COLUMNS)), np.int64)
    _dset(led, "ann_macs", (len(r.nodes),), np.int64)


def _fsync_path(path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class SweepWriter:
    """The owner's handle on a sweep file: commits chunks durably, one at a time."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = _owner_lock(path)
        try:
            self.f = h5py.File(path, "r+", locking=False)  # readers may look while it runs; _lock keeps one owner
        except OSError as exc:
            os.close(self._lock)
            raise SweepFileError(f"{path}: cannot be opened for writing ({exc})") from None
        if self.f.attrs.get("format") != FORMAT:
            self.close()
            raise SweepFileError(f"{path}: not an mstsim sweep file")
        self.names = json.loads(self.f.attrs["run_order"])
        self.bounds = self.f["sweep/chunk_bounds"][()]
        self.state = self.f["sweep/state"][()]
        self._node_names: dict = {}
        self.session = int(self.f["sweep/session"][()].max()) + 1
        for r in np.flatnonzero(self.state[:, -1]):
            self._copy_ledger(int(r))  # a commit killed after its commit point: finish it

    @property
    def config(self) -> dict:
        return json.loads(self.f.attrs["config"])

    def _sync(self) -> None:
        self.f.flush()
        os.fsync(self.f.id.get_vfd_handle())

    def done(self) -> np.ndarray:
        """(runs, chunks) bool: committed chunks."""
        return self.state[:, :-1] == DONE

    def commit(self, out) -> None:
        """Store a worker's :class:`~mstsim.sweep_worker.ChunkOutput` (a result or an error)."""
        try:
            self._commit(out)
        except OSError as exc:  # disk full, I/O error: the chunks committed before stay valid
            raise SweepFileError(f"{self.path}: committing chunk {out.chunk} of run {self.names[out.run]} failed "
                                 f"({exc}); the chunks committed before are kept: --resume when fixed") from None

    def _commit(self, out) -> None:
        r, k = out.run, out.chunk
        sw = self.f["sweep"]
        sw["session"][r, k] = self.session
        sw["seconds"][r, k] = out.seconds
        sw["worker"][r, k] = out.worker.encode()[:64]
        g = self.f[f"runs/{self.names[r]}"]
        if out.error is None and list(out.nodes) != self._nodes(r):
            out.error = (f"the worker's network has other nodes than the owner's ({len(out.nodes)} vs "
                         f"{len(self._nodes(r))}): is it the same mstsim version?")
        if out.error is not None:
            sw["error"][r, k] = out.error.encode("utf-8", "replace")[:ERROR_BYTES]
            self._write_state(r, k, FAILED, pending=False)
            return
        lo, hi = self.bounds[k], self.bounds[k + 1]
        g["predictions"][:, lo:hi] = out.predictions
        g["ann_predictions"][lo:hi] = out.ann_predictions
        g["final_logits"][lo:hi] = out.final_logits
        g["ledger/ann_macs"][:] = out.ann_macs
        sw["error"][r, k] = b""
        scratch = sw[f"scratch/{self.names[r]}"]
        scratch[...] = g["ledger/per_step"][()] + out.per_step
        self._sync()
        self._write_state(r, k, DONE, pending=True)  # the commit point
        self._copy_ledger(r)

    def _nodes(self, r: int) -> list:
        if r not in self._node_names:
            raw = self.f[f"runs/{self.names[r]}/ledger/nodes"][()]
            self._node_names[r] = [v.decode() if isinstance(v, bytes) else v for v in raw]
        return self._node_names[r]

    def _write_state(self, r: int, k: int, value: int, *, pending: bool) -> None:
        row = self.state[r].copy()
        row[k], row[-1] = value, int(pending)
        self.f["sweep/state"][r] = row
        self._sync()
        self.state[r] = row

    def _copy_ledger(self, r: int) -> None:
        g = self.f[f"runs/{self.names[r]}/ledger"]
        total = self.f[f"sweep/scratch/{self.names[r]}"][()]
        g["per_step"][...] = total
        g["totals"][...] = total.sum(axis=0)
        self._sync()
        row = self.state[r].copy()
        row[-1] = 0
        self.f["sweep/state"][r] = row
        self._sync()
        self.state[r] = row

    def close(self) -> None:
        if self.f.id.valid:
            self.f.close()
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None


def _owner_lock(path: str):
    """An exclusive lock on the file for the owner's lifetime: a second owner is refused, not interleaved."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as exc:
        raise SweepFileError(f"{path}: cannot be opened ({exc.strerror})") from None
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock
        return fd
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise SweepFileError(f"{path}: another mstsim sweep is writing this file") from None
    return fd


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"
