"""What a sweep worker runs: import the networks once per process, warm them, simulate chunks.

Workers get plain data: ONNX bytes (or a path on a shared file system) with
their sha256, the masking and counting settings, and the chunk's inputs with their global
sample ids. Nothing of the simulator's internals is pickled, so any worker
with the same mstsim version reproduces the owner's numbers.
"""
from __future__ import annotations

import hashlib
import os
import threading
import time
import traceback
from dataclasses import dataclass

import numpy as np

from .ir.errors import MstsimError

_NETWORKS: dict = {}     # sha256 -> imported Network, per worker process (read-only once imported)
_IMPORT_LOCK = threading.Lock()
_THREAD = threading.local()  # .simulators: (sha256, ratio, sites, stream, dtype, seed, counting) -> Simulator
_MAX_SIMULATORS = 16          # per thread: a Simulator holds run state, so threads never share one


@dataclass(frozen=True)
class ModelRef:
    """An ONNX model for workers: its path, its sha256 and (optionally) its bytes."""

    path: str
    sha256: str
    data: bytes | None = None

    def without_data(self) -> "ModelRef":
        return ModelRef(self.path, self.sha256)


@dataclass(frozen=True)
class WorkerSetup:
    """Sent once to each worker: the models, and the configurations to warm the Numba cache with."""

    models: tuple[ModelRef, ...]
    warm: tuple[tuple[str, float | None, str | None], ...]   # (sha256, ratio, sites)
    dtype: str
    version: str = ""   # the owner's mstsim version: a worker with another one refuses to start
    threads: int | None = None  # engine threads per worker (MSTSIM_THREADS, unless the environment sets it)
    pool_rule: str = "events"   # the counting conventions of the sweep's chunks (docs/accounting.md 17-18)
    count_padding: bool = False

    def install(self) -> None:
        from . import __version__
        if self.threads and "MSTSIM_THREADS" not in os.environ:
            os.environ["MSTSIM_THREADS"] = str(self.threads)  # N workers share the cores instead of each taking all
        if self.version and self.version != __version__:
            raise MstsimError(f"this worker has mstsim {__version__}, the sweep was started with {self.version}; "
                              "install the same version on every worker")
        for ref in self.models:
            network(ref)
        for sha, ratio, sites in self.warm:
            net = _NETWORKS[sha]
            x = np.zeros((1,) + net.input_shape, dtype=np.float32)
            simulator(sha, ratio, sites, False, self.dtype, 0, self.pool_rule, self.count_padding).run(x, 1)


@dataclass
class ChunkTask:
    """One chunk of one run: the samples ``sample_ids`` (global indices) with inputs ``x``."""

    run: int
    chunk: int
    model: ModelRef
    mask_ratio: float | None
    mask_sites: str | None
    seed: int
    T: int
    dtype: str
    batch: int
    x: np.ndarray
    sample_ids: np.ndarray
    pool_rule: str = "events"   # how the chunk's ledger is counted (docs/accounting.md rules 17-18)
    count_padding: bool = False


@dataclass
class ChunkOutput:
    """A chunk's results, or its error (``error`` set, arrays None)."""

    run: int
    chunk: int
    worker: str
    seconds: float
    error: str | None = None
    predictions: np.ndarray | None = None     # (T, n) int64
    ann_predictions: np.ndarray | None = None  # (n,) int64
    final_logits: np.ndarray | None = None    # (n, C) float64
    per_step: np.ndarray | None = None        # (T, nodes, columns) int64
    ann_macs: np.ndarray | None = None        # (nodes,) int64
    nodes: list | None = None                 # the ledger's node names, in order


def install(setup: WorkerSetup) -> None:
    """Process-pool initializer: load and warm the networks before the first chunk."""
    setup.install()


def network(ref: ModelRef):
    """The imported network of ``ref`` (imported once per process; the bytes are checked by sha256)."""
    with _IMPORT_LOCK:
        return _NETWORKS.get(ref.sha256) or _import_ref(ref)


def _import_ref(ref: ModelRef):
    """Import a model from its bytes (or its path), after checking them against the sweep's sha256."""
    from . import from_onnx
    data = ref.data
    if data is None:
        with open(ref.path, "rb") as f:
            data = f.read()
    if hashlib.sha256(data).hexdigest() != ref.sha256:
        raise MstsimError(f"{ref.path}: the model on this worker differs from the sweep's "
                          f"(sha256 {ref.sha256[:12]}...)")
    import onnx
    try:
        net = from_onnx(onnx.load_model_from_string(data))
    except MstsimError as exc:
        raise MstsimError(f"{ref.path}: {exc}") from None
    _NETWORKS[ref.sha256] = net
    return net


def simulator(sha: str, ratio, sites, stream: bool, dtype: str, seed: int, pool_rule: str = "events",
              count_padding: bool = False):
    """A Simulator of the network configured for this masking and counting (cached per thread)."""
    from .engine import Simulator
    from .rsm import configure_rsm
    from .run import with_event_input
    key = (sha, ratio, sites, stream, dtype, seed, pool_rule, count_padding)
    cache = _THREAD.__dict__.setdefault("simulators", {})
    sim = cache.get(key)
    if sim is None:
        graph = _NETWORKS[sha].graph
        graph = with_event_input(graph) if stream else graph
        graph = graph if ratio is None else configure_rsm(graph, ratio, sites)
        if len(cache) >= _MAX_SIMULATORS:
            cache.pop(next(iter(cache)))
        sim = cache[key] = Simulator(graph, dtype=np.dtype(dtype), seed=seed, pool_rule=pool_rule,
                                     count_padding=count_padding)
    return sim


def run_chunk(task: ChunkTask) -> ChunkOutput:
    """Simulate one chunk; a bad-input error comes back as the chunk's error, not an exception."""
    from .sweep_store import worker_name
    start = time.perf_counter()
    try:
        return _simulate(task, start, worker_name())
    except MstsimError as exc:
        return ChunkOutput(task.run, task.chunk, worker_name(), time.perf_counter() - start, error=str(exc))
    except Exception as exc:  # a bug, not bad data: keep the place it happened
        where = traceback.extract_tb(exc.__traceback__)[-1]
        return ChunkOutput(task.run, task.chunk, worker_name(), time.perf_counter() - start,
                           error=f"{type(exc).__name__}: {exc} ({where.filename}:{where.lineno})")


def _simulate(task: ChunkTask, start: float, worker: str) -> ChunkOutput:
    from .ann import run_ann
    from .ledger import Ledger
    net = network(task.model)
    stream = task.x.ndim == len(net.input_shape) + 2
    sim = simulator(task.model.sha256, task.mask_ratio, task.mask_sites, stream, task.dtype, task.seed,
                    task.pool_rule, task.count_padding)
    names = [op.node.name for op in sim.ops]
    ledger = Ledger.empty(names, sim.ledger_kinds(), sim.ann_macs(), task.T, detail=True)
    n = task.x.shape[0]
    preds = np.zeros((task.T, n), dtype=np.int64)
    ann = np.zeros(n, dtype=np.int64)
    logits = None
    for lo in range(0, n, task.batch):
        hi = min(lo + task.batch, n)
        ids = task.sample_ids[lo:hi]
        res = sim.run(task.x[lo:hi], task.T, detail=True, sample_ids=ids)
        ledger.merge(res.ledger)
        preds[:, lo:hi] = res.predictions
        out = res.cum_logits[-1].reshape(hi - lo, -1).astype(np.float64)
        logits = np.zeros((n, out.shape[1])) if logits is None else logits
        logits[lo:hi] = out
        ann_in = task.x[lo:hi].sum(axis=1) / task.T if stream else task.x[lo:hi]  # a stream: its mean rate
        ann[lo:hi] = run_ann(sim.graph, ann_in, dtype=np.float32, seed=task.seed, sample_ids=ids) \
            .reshape(hi - lo, -1).argmax(1)
    return ChunkOutput(task.run, task.chunk, worker, time.perf_counter() - start, predictions=preds,
                       ann_predictions=ann, final_logits=logits, per_step=ledger.per_step,
                       ann_macs=ledger.ann_macs, nodes=names)
