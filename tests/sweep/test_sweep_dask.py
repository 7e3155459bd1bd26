"""Sweeps on a Dask LocalCluster with 2 worker processes: the same bits as in-process, even when a worker dies."""
import os
import signal
import threading

import pytest

from mstsim.cli import main
from mstsim.sweep_plan import sweep

from .helpers import CNN, GRID, GRID_ARGS, assert_same_results, done_chunks, wait_for

distributed = pytest.importorskip("distributed", reason="the dist extra (Dask) is not installed")


@pytest.fixture(scope="module")
def cluster():
    import logging
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                  silence_logs=logging.ERROR) as c:
        yield c


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    out = tmp_path_factory.mktemp("ref") / "ref.h5"
    sweep([CNN], out=out, chunk=4, workers=0, **GRID)
    return out


def test_dask_sweep_from_the_command_line_equals_the_in_process_one(cluster, reference, tmp_path, capsys):
    out = tmp_path / "d.h5"
    code = main(["sweep", CNN, *GRID_ARGS, "--chunk", "4", "--scheduler", cluster.scheduler_address,
                 "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "Dask dashboard http" in captured.err and "8 of 8 chunks done" in captured.out
    assert_same_results(reference, out)
    workers = {w.decode() for w in sweep_store_workers(out)}
    assert len(workers) == 2  # both Dask workers took chunks
    assert main(["report", str(out)]) == 0
    text = capsys.readouterr().out
    assert "T=3" in text and "T=6" in text and "cnn_digits all p=0.5" in text and " ± " in text


def sweep_store_workers(path):
    import h5py
    with h5py.File(path, "r", locking=False) as f:
        return f["sweep/worker"][()].ravel()


def test_a_dask_worker_killed_mid_chunk_changes_nothing(cluster, reference, tmp_path):
    out = tmp_path / "d.h5"
    client = distributed.Client(cluster)
    pids = client.run(os.getpid)
    box = {}

    def run():
        try:
            box["res"] = sweep([CNN], out=out, chunk=4, scheduler=cluster.scheduler_address, **GRID)
        except BaseException as exc:  # shown by the assertion below
            box["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    wait_for(lambda: done_chunks(out) >= 1)

    def busy():  # a worker in the middle of a chunk
        for addr, keys in client.processing().items():
            if keys and client.run(lambda dask_worker: len(dask_worker.state.executing), workers=[addr])[addr]:
                return addr
        return None

    victim = wait_for(busy, every=0.005)
    os.kill(pids[victim], signal.SIGKILL)
    thread.join(300)
    client.close()
    assert "error" not in box, box.get("error")
    res = box["res"]
    assert res.complete and not res.errors
    assert_same_results(reference, out)
    after = {w.decode().split(":")[1] for w in sweep_store_workers(out)}
    assert str(pids[victim]) not in after or len(after) >= 2  # its chunk was finished by a live worker
