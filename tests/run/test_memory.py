"""The memory estimate: what it counts, and runs refused with both numbers before any work."""
import numpy as np
import pytest

import mstsim
from mstsim import memory
from mstsim.cli import main
from mstsim.ledger import COLUMNS

from ..core.test_ann_convergence import qcfs_cnn
from .cli_process import MODEL, write_npz


def test_estimate_counts_state_ledger_detail_logits_and_spikes():
    g = qcfs_cnn(np.random.default_rng(0), levels=4)
    kw = dict(samples=10, batch=4, T=7, dtype=np.float32)
    plain = memory.estimate_simulation(g, **kw)
    detailed = memory.estimate_simulation(g, **kw, detail=True, record=True, input_bytes=1000)
    row = len(g) * len(COLUMNS) * 8
    assert detailed.parts["ledger"] - plain.parts["ledger"] == 2 * 7 * row
    assert detailed.parts["inputs"] == 1000 and plain.parts["inputs"] == 0
    assert detailed.bounds["recorded spikes"] == memory.spiking_elements(g) * 7 * 10 * memory.RECORD_BYTES
    assert plain.parts["network state"] == 4 * memory.engine_bytes_per_sample(g, np.float32)
    doubled = memory.estimate_simulation(g, **dict(kw, dtype=np.float64))
    assert doubled.parts["network state"] > plain.parts["network state"]
    assert memory.estimate_simulation(g, **dict(kw, batch=1000)).parts["network state"] == \
        10 * memory.engine_bytes_per_sample(g, np.float32)  # a batch is at most the samples
    with_ann = memory.estimate_simulation(g, **kw, ann=True)
    assert with_ann.parts["ANN forward"] == sum(int(np.prod(g.shapes[n.name])) for n in g) * 4 * 4
    assert plain.parts["weights"] == sum(a.nbytes for n in g for a in vars(n).values() if isinstance(a, np.ndarray))


def test_available_memory_is_known_here():
    free = memory.available_bytes()
    assert free is None or free > 0


def test_simulate_refuses_before_allocating(monkeypatch):
    g = qcfs_cnn(np.random.default_rng(0), levels=4)
    x = np.zeros((3,) + g.input_node().shape)
    monkeypatch.setattr(memory, "available_bytes", lambda: 64 * 2**20)
    with pytest.raises(memory.InsufficientMemory, match=r"needs about .* but only 64.0 MiB is available"):
        mstsim.simulate(g, x, T=1_000_000, detail=True)
    assert mstsim.simulate(g, x, T=2).ledger.samples == 3


def test_run_refuses_with_the_estimate_and_the_available_memory(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(memory, "available_bytes", lambda: 2**16)
    code = main(["run", MODEL, "--data", write_npz(tmp_path / "d.npz", n=4), "--T", "64"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert "needs about" in err and "network state" in err and "but only 64.0 KiB is available" in err
    assert "lower --batch, --T or --samples" in err


def test_recorded_spikes_bound_only_warns():
    g = qcfs_cnn(np.random.default_rng(0), levels=4)
    est = memory.estimate_simulation(g, samples=100, batch=10, T=100, record=True)
    assert est.worst > 10 * est.total
    assert memory.warn_bounds(est, available=est.worst * 2) is None
    assert "recorded spikes (up to" in memory.warn_bounds(est, available=est.total * 2)
    with pytest.raises(memory.InsufficientMemory):
        memory.check_fits(est, "x", available=est.total)
    memory.check_fits(est, "x", available=2 * est.total)  # the spikes' worst case alone refuses nothing


def test_format_bytes():
    assert memory.format_bytes(512) == "512 B"
    assert memory.format_bytes(1536) == "1.5 KiB"
    assert memory.format_bytes(11.9 * 2**40) == "11.9 TiB"


def test_recording_stops_cleanly_when_the_spikes_outgrow_memory(capsys, tmp_path, monkeypatch):
    import mstsim.run
    monkeypatch.setattr(mstsim.run, "_spike_budget", lambda *a: 1000)
    out = tmp_path / "r.h5"
    code = main(["run", MODEL, "--data", write_npz(tmp_path / "d.npz", n=4), "--T", "4", "--batch", "2",
                 "--record", "spikes", "--out", str(out)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1, err
    assert "the recorded spikes reached" in err and "no results were saved" in err and not out.exists()
