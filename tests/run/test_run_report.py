"""`mstsim run --out` writes HDF5 that `mstsim report` turns into the same tables and into plots."""
import pathlib

import h5py
import numpy as np
import pytest

from mstsim.cli import main
from mstsim.ledger import COL
from mstsim.results import Results

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "onnx"
MODEL = str(FIXTURES / "mst_torchscript.onnx")


@pytest.fixture()
def npz_data(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "data.npz"
    np.savez(path, x=rng.integers(0, 256, (7, 3, 16, 16)).astype(np.uint8), y=rng.integers(0, 10, 7))
    return f"npz:{path}"


def run_cli(capsys, *args):
    code = main(["run", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_run_writes_results_that_report_reproduces(tmp_path, npz_data, capsys):
    out = tmp_path / "r.h5"
    code, text, err = run_cli(capsys, MODEL, "--data", npz_data, "--T", "6", "--mask-ratio", "0", "0.75",
                              "--batch", "3", "--out", str(out), "--record", "spikes")
    assert code == 0 and out.is_file()
    warned = [ln for ln in err.splitlines() if "not spike-equivalent" in ln]  # softmax, LayerNorm, q k^T
    assert len(warned) <= 1 and all(ln.startswith("mstsim: warning: ") for ln in warned)
    assert main(["report", str(out)]) == 0
    again = capsys.readouterr().out
    body = text.rsplit("\n(", 1)[0]  # drop the timing line
    assert again.strip() == body.strip()
    assert "p = 0.75" in again and "ACs -" in again and "Top 8 nodes by ACs" in again

    res = Results.load(str(out))
    assert [r.mask_ratio for r in res.runs] == [0.0, 0.75]
    with h5py.File(out) as f:
        assert f.attrs["format"] == "mstsim-results"
        assert len(f.attrs["model_sha256"]) == 64
    for r in res.runs:
        assert r.predictions.shape == (6, 7) and r.ledger.samples == 7
        assert r.ledger.totals.dtype == np.int64
        assert np.array_equal(r.ledger.per_step.sum(0), r.ledger.totals)
        for node, (sample, step, index) in r.spikes.items():
            i = r.ledger.nodes.index(node)
            assert sample.shape[0] == r.ledger.totals[i, COL["events_out"]]
            assert step.max() < 6 and sample.max() < 7
    assert res.runs[1].ledger.total("events_dropped") > 0


def test_report_writes_pngs_or_says_why_not(tmp_path, npz_data, capsys, monkeypatch):
    out = tmp_path / "r.h5"
    assert run_cli(capsys, MODEL, "--data", npz_data, "--T", "4", "--mask-ratio", "0", "0.5", "--out", str(out))[0] == 0
    plots = tmp_path / "plots"
    assert main(["report", str(out), "--plots", str(plots)]) == 0
    import matplotlib.image
    names = sorted(p.name for p in plots.glob("*.png"))
    assert names == ["accuracy_vs_T.png", "energy_vs_masking.png", "firing_rate_per_layer.png", "ops_per_layer.png"]
    for png in plots.glob("*.png"):
        img = matplotlib.image.imread(png)
        assert img.ndim == 3 and img.shape[0] > 100 and img.shape[1] > 100 and img.std() > 0
    capsys.readouterr()
    monkeypatch.setattr("mstsim.plots.have_matplotlib", lambda: False)
    assert main(["report", str(out), "--plots", str(tmp_path / "none")]) == 0
    captured = capsys.readouterr()
    assert "matplotlib is not installed" in captured.err and "SNN accuracy" in captured.out
    assert not (tmp_path / "none").exists()


def _without_warnings(err: str) -> list[str]:
    return [ln for ln in err.strip().splitlines() if not ln.startswith("mstsim: warning: ")]


def test_a_signal_during_a_batch_stops_after_it_with_the_checkpoint_kept(tmp_path, npz_data, capsys, monkeypatch):
    """A signal arriving inside an engine call only sets the flag: the batch finishes, its
    checkpoint is written, and the run stops before the next engine call."""
    import signal

    from mstsim import api
    from mstsim.signals import Guard, guard

    real_run = api.Simulator.run
    calls = {"n": 0, "at": 3}

    def signalled(self, *a, **k):
        calls["n"] += 1
        if calls["n"] == calls["at"]:
            signal.raise_signal(signal.SIGINT)  # delivered while "the kernel" runs
        return real_run(self, *a, **k)

    monkeypatch.setattr(api.Simulator, "run", signalled)
    out = tmp_path / "r.h5"
    code, _, err = run_cli(capsys, MODEL, "--data", npz_data, "--T", "3", "--mask-ratio", "0", "--batch", "2",
                           "--out", str(out), "--checkpoint", "0")
    assert code == 130 and calls["n"] == 3
    assert _without_warnings(err) == [f"mstsim: interrupted by SIGINT; {out} holds "
                                        f"6 of 7 samples of mask_0"]
    res = Results.load(str(out))
    assert res.runs[0].ledger.samples == 6 and res.runs[0].predictions.shape == (3, 6)
    assert not list(tmp_path.glob("*.partial-*"))
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handlers restored

    calls.update(n=0, at=1)  # in the very first batch, before any checkpoint: no file at all
    out2 = tmp_path / "r2.h5"
    code, _, err = run_cli(capsys, MODEL, "--data", npz_data, "--T", "3", "--batch", "2", "--out", str(out2))
    assert code == 130 and not out2.exists()
    assert _without_warnings(err) == ["mstsim: interrupted by SIGINT; no results were saved"]


def test_existing_results_are_not_overwritten(tmp_path, npz_data, capsys):
    out = tmp_path / "r.h5"
    out.write_bytes(b"precious")
    code, _, err = run_cli(capsys, MODEL, "--data", npz_data, "--T", "2", "--out", str(out))
    assert code == 2 and "--overwrite" in err and out.read_bytes() == b"precious"


def test_bad_results_files(tmp_path, capsys):
    assert main(["report", str(tmp_path / "missing.h5")]) == 2
    assert "no such results file" in capsys.readouterr().err
    junk = tmp_path / "junk.h5"
    junk.write_bytes(b"not hdf5 at all")
    assert main(["report", str(junk)]) == 2
    assert "cannot be read as HDF5" in capsys.readouterr().err
    with h5py.File(tmp_path / "other.h5", "w") as f:
        f["x"] = 1
    assert main(["report", str(tmp_path / "other.h5")]) == 2
    assert "not an mstsim results file" in capsys.readouterr().err


def test_dataset_shape_mismatch_is_a_clear_error(capsys):
    code, _, err = run_cli(capsys, MODEL, "--data", "digits", "--T", "2")
    assert code == 2 and "the model expects (3, 16, 16)" in err


def test_preprocessing_options(tmp_path, capsys):
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "small.npz", x=rng.integers(0, 256, (3, 3, 8, 8)).astype(np.uint8), y=np.arange(3))
    data = f"npz:{tmp_path / 'small.npz'}"
    code, _, err = run_cli(capsys, MODEL, "--data", data, "--T", "2")
    assert code == 2 and "(3, 8, 8)" in err
    args = [MODEL, "--data", data, "--T", "2", "--resize", "16", "16", "--mean", "0.5", "0.5", "0.5",
            "--std", "0.25", "0.25", "0.25", "--out", str(tmp_path / "r.h5")]
    assert run_cli(capsys, *args)[0] == 0
    pre = Results.load(str(tmp_path / "r.h5")).config["preprocess"]
    assert pre["resize"] == [16, 16] and pre["mean"] == [0.5] * 3
    code, _, err = run_cli(capsys, MODEL, "--data", data, "--resize", "16", "16", "--mean", "0.5", "--std", "1")
    assert code == 2 and "one per channel" in err
    assert run_cli(capsys, MODEL, "--data", data, "--mean", "0.5")[0] == 2
