"""Small sweeps for the tests, and bit-for-bit comparison of sweep files."""
import pathlib

import h5py
import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[2]
CNN = str(ROOT / "models" / "cnn_digits.onnx")     # the cheapest bundled model (batch-invariant today)
MST = str(ROOT / "models" / "mst_digits.onnx")
#: 4 runs (2 ratios x 2 seeds) of 8 samples of the bundled digits, T = 3 and 6
GRID = dict(data="digits", samples=8, T=[3, 6], mask_ratios=[0.0, 0.5], seeds=[0, 1])
#: the same on the command line
GRID_ARGS = ["--data", "digits", "--samples", "8", "--T", "3", "6", "--mask-ratio", "0", "0.5", "--seed", "0", "1"]
#: what only says how and where a chunk was computed, not what it is
PROVENANCE = ("sweep/session", "sweep/seconds", "sweep/worker")


def datasets(path) -> dict:
    """Every dataset of a sweep file (path -> bytes and dtype), except the provenance of chunks."""
    out = {}
    with h5py.File(path, "r", locking=False) as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset) and name not in PROVENANCE and not name.startswith("sweep/scratch"):
                value = obj[()]
                out[name] = (obj.dtype.str, obj.shape, value.tolist() if value.dtype == object else value.tobytes())
        f.visititems(visit)
    return out


def assert_same_results(a, b, *, runs_only: bool = False) -> None:
    """The two files hold the same numbers, bit for bit (predictions, logits, ledgers, labels, index).

    ``runs_only`` compares the results but not the chunk index (for sweeps in different chunk sizes).
    """
    da, db = datasets(a), datasets(b)
    if runs_only:
        da = {k: v for k, v in da.items() if k.startswith("runs/")}
        db = {k: v for k, v in db.items() if k.startswith("runs/")}
    assert sorted(da) == sorted(db)
    differ = [name for name in da if da[name] != db[name]]
    assert not differ, f"datasets differ between {a} and {b}: {differ}"


def state(path) -> np.ndarray:
    with h5py.File(path, "r", locking=False) as f:
        return f["sweep/state"][()]


def session(path) -> np.ndarray:
    with h5py.File(path, "r", locking=False) as f:
        return f["sweep/session"][()]


def sweep_command(*args) -> list:
    """``python -m mstsim sweep`` with the small grid on the CNN."""
    import sys
    return [sys.executable, "-m", "mstsim", "sweep", CNN, *GRID_ARGS, *args]


def wait_for(predicate, timeout: float = 120.0, every: float = 0.02):
    """Poll until ``predicate()`` is true (its value), or fail after ``timeout`` seconds."""
    import time
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout} s waiting for {predicate}")


def done_chunks(path) -> int:
    """Committed chunks in a sweep file being written (0 before it exists)."""
    import os
    if not os.path.exists(path):
        return 0
    try:
        return int((state(path)[:, :-1] == 1).sum())
    except OSError:  # created but not yet renamed into place, or being replaced
        return 0


def pooled_cnn(path) -> str:
    """A digits-sized CNN with a pool of spikes before its head (so the pool rules count it differently):
    Conv 3x3 pad 1 (1 -> 4) -> QCFS -> AveragePool 2x2 stride 2 -> Flatten -> Gemm (64 -> 10)."""
    import onnx
    from onnx import helper
    from ..importer.onnx_build import model, qcfs_nodes
    rng = np.random.default_rng(0)
    mk = helper.make_node
    q, qc = qcfs_nodes("c", "a", lam=0.5, levels=4)
    wf = rng.normal(0, 1, (10, 64)).astype(np.float32)
    nodes = [mk("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1]), *q,
             mk("AveragePool", ["a"], ["p"], kernel_shape=[2, 2], strides=[2, 2]), mk("Flatten", ["p"], ["f"]),
             mk("Gemm", ["f", "wf", "bf"], ["y"], transB=1)]
    consts = {"w": rng.normal(0, 0.5, (4, 1, 3, 3)).astype(np.float32), "b": np.full(4, 0.1, np.float32),
              "wf": wf - wf.mean(axis=0), "bf": np.zeros(10, np.float32), **qc}  # centred: varied predictions
    onnx.save(model(nodes, (1, 1, 8, 8), consts), path)
    return str(path)


def stop_after_commits(monkeypatch, n: int) -> list:
    """Make the sweep's owner raise KeyboardInterrupt (as on Ctrl-C) at its (n+1)-th commit.

    Returns the list that fills with the (run, chunk) of each commit made; ``monkeypatch.undo()``
    (or the test's end) restores committing.
    """
    from mstsim import sweep_store
    commit = sweep_store.SweepWriter.commit
    calls = []

    def stop(self, chunk_out):
        if len(calls) == n:
            raise KeyboardInterrupt
        calls.append((chunk_out.run, chunk_out.chunk))
        commit(self, chunk_out)

    monkeypatch.setattr(sweep_store.SweepWriter, "commit", stop)
    return calls
