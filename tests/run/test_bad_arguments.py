"""Every hostile argument or file from issue 10 gets one clear line (status 2) before any work."""
import json
import os

import h5py
import numpy as np
import onnx
import pytest

from mstsim.cli import main
from mstsim.results import Results

from .cli_process import MODEL, write_npz


@pytest.fixture()
def data(tmp_path):
    return write_npz(tmp_path / "d.npz", n=4)


def error_line(capsys, argv):
    code = main(argv)
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("mstsim: error: ") and "Traceback" not in err, err
    return lines[0]


@pytest.mark.parametrize("args, expected", [
    (["--samples", "0"], "--samples must be an integer >= 1, got 0"),
    (["--samples", "-1"], "--samples must be an integer >= 1, got -1"),
    (["--batch", "0"], "--batch must be an integer >= 1, got 0"),
    (["--batch", "-1"], "--batch must be an integer >= 1, got -1"),
    (["--seed", "-1"], "--seed must be an integer in [0, 9223372036854775807], got -1"),
    (["--resize", "0", "0"], "--resize H must be an integer in [1, 8192], got 0"),
    (["--resize", "16", "100000"], "--resize W must be an integer in [1, 8192], got 100000"),
    (["--T", "1000000000"], "--T must be an integer in [1, 1000000], got 1000000000"),
    (["--T", "0"], "--T must be an integer in [1, 1000000], got 0"),
    (["--mask-ratio", "1.5"], "--mask-ratio must be a finite number in [0.0, 1.0], got 1.5"),
    (["--mask-ratio", "nan"], "--mask-ratio must be a finite number in [0.0, 1.0], got nan"),
    (["--bins", "0"], "--bins must be an integer in [1, 4096], got 0"),
    (["--mean", "0.5", "--std", "0"], "--std must be a finite number > 0, got 0.0"),
    (["--mean", "inf", "--std", "1"], "--mean must be a finite number, got inf"),
    (["--mean", "0.5"], "--mean and --std go together"),
    (["--checkpoint", "-1"], "--checkpoint must be a finite number >= 0.0, got -1.0"),
    (["--record", "spikes"], "--record spikes stores the spikes in the results file: give --out FILE"),
    (["--mask-sites", "nosuchsite"], "--mask-sites 'nosuchsite' needs --mask-ratio"),
    (["--mask-sites", "nosuchsite", "--mask-ratio", "0.5"], "mask sites 'nosuchsite' match no IF node"),
    (["--mask-sites", "nosuchsite", "--mask-ratio", "0"], "mask sites 'nosuchsite' match no IF node"),
])
def test_bad_run_arguments(capsys, data, args, expected):
    assert expected in error_line(capsys, ["run", MODEL, "--data", data, *args])


def test_misspelled_site_with_the_bundled_models(capsys):
    assert "mask sites 'nosuchsite' match no IF node" in error_line(capsys, ["run", "--mask-sites", "nosuchsite"])


def test_out_is_checked_before_simulating(capsys, data, tmp_path, monkeypatch):
    import mstsim.api
    monkeypatch.setattr(mstsim.api, "Simulator", None)  # any simulation would fail loudly
    base = ["run", MODEL, "--data", data, "--T", "2"]
    line = error_line(capsys, base + ["--out", str(tmp_path / "missing" / "r.h5")])
    assert "missing does not exist (nothing was run)" in line
    (tmp_path / "dir.h5").mkdir()
    line = error_line(capsys, base + ["--out", str(tmp_path / "dir.h5"), "--overwrite"])
    assert "is a directory" in line
    if os.geteuid() != 0:  # root writes anywhere
        ro = tmp_path / "ro"
        ro.mkdir(mode=0o500)
        assert "is not writable (nothing was run)" in error_line(capsys, base + ["--out", str(ro / "r.h5")])


def test_empty_datasets(capsys, tmp_path):
    np.savez(tmp_path / "empty.npz", x=np.zeros((0, 3, 16, 16), np.uint8), y=np.zeros(0, np.int64))
    line = error_line(capsys, ["run", MODEL, "--data", f"npz:{tmp_path / 'empty.npz'}"])
    assert "empty.npz: the test split of this npz dataset holds no samples" in line
    for c in ("a", "b"):
        (tmp_path / "cal" / c).mkdir(parents=True)
        (tmp_path / "cal" / c / "image_0001.bin").write_bytes(bytes([1, 2, 0, 0, 9]))
    line = error_line(capsys, ["run", MODEL, "--data", f"ncaltech101:{tmp_path / 'cal'}"])
    assert "test split" in line and "holds no samples" in line and "at least 2" in line


def test_npy_given_as_npz(capsys, tmp_path):
    np.save(tmp_path / "x.npy", np.zeros((2, 3, 16, 16), np.uint8))
    line = error_line(capsys, ["run", MODEL, "--data", f"npz:{tmp_path / 'x.npy'}"])
    assert "x.npy: expected an .npz archive" in line and "single .npy array" in line


def with_metadata(tmp_path, **meta):
    m = onnx.load(MODEL)
    onnx.helper.set_model_props(m, {"mstsim.preprocess": json.dumps(meta)})
    path = tmp_path / "meta.onnx"
    onnx.save(m, path)
    return str(path)


@pytest.mark.parametrize("meta, expected", [
    ({"T": 10**12}, "mstsim.preprocess 'T' must be an integer in [1, 1000000], got 1000000000000"),
    ({"resize": [100000, 100000]}, "'resize' H must be an integer in [1, 8192], got 100000"),
    ({"bins": 10**9}, "'bins' must be an integer in [1, 4096]"),
    ({"events": "video"}, "'events' must be one of frames, stream"),
    ({"std": [0, 1, 1], "mean": [0, 0, 0]}, "'std' must be a finite number > 0"),
])
def test_metadata_is_bounded(capsys, tmp_path, data, meta, expected):
    assert expected in error_line(capsys, ["run", with_metadata(tmp_path, **meta), "--data", data])


def test_report_names_what_is_missing(capsys, tmp_path, data):
    out = tmp_path / "r.h5"
    assert main(["run", MODEL, "--data", data, "--T", "2", "--out", str(out)]) == 0
    capsys.readouterr()
    cases = {"config": lambda f: f.attrs.__delitem__("config"),
             "format_version": lambda f: f.attrs.__delitem__("format_version"),
             "ledger": lambda f: f.__delitem__("runs/exported_masks/ledger"),
             "predictions": lambda f: f.__delitem__("runs/exported_masks/predictions"),
             "runs": lambda f: f.__delitem__("runs")}
    for missing, damage in cases.items():
        broken = tmp_path / f"no_{missing}.h5"
        broken.write_bytes(out.read_bytes())
        with h5py.File(broken, "a") as f:
            damage(f)
        line = error_line(capsys, ["report", str(broken)])
        assert str(broken) in line and repr(missing) in line and ("missing" in line or "has no" in line), line
    newer = tmp_path / "newer.h5"
    newer.write_bytes(out.read_bytes())
    with h5py.File(newer, "a") as f:
        f.attrs["format_version"] = 99
    assert "format version 99 is not one this mstsim reads" in error_line(capsys, ["report", str(newer)])
    assert Results.load(str(out)).runs  # the original is untouched


def test_inspect_prints_the_memory_of_the_default_run(capsys):
    assert main(["inspect", MODEL]) == 0
    out = capsys.readouterr().out
    assert "memory of the default run" in out and "available:" in out and "network state" in out


def test_damaged_weights_are_reported(capsys, tmp_path):
    m = onnx.load(MODEL)
    w = next(t for t in m.graph.initializer if len(t.dims) == 4)
    arr = onnx.numpy_helper.to_array(w).copy()
    arr.flat[0] = np.float32(1.7e38)  # what a flipped exponent bit makes of a small weight
    w.CopyFrom(onnx.numpy_helper.from_array(arr, w.name))
    path = tmp_path / "damaged.onnx"
    onnx.save(m, path)
    assert main(["inspect", str(path)]) == 0
    err = capsys.readouterr().err
    assert "weight holds values up to 1." in err and "e+38 in magnitude" in err and "may be damaged" in err


def test_out_never_replaces_an_input(capsys, data, tmp_path):
    model = tmp_path / "m.onnx"
    model.write_bytes(open(MODEL, "rb").read())
    before = model.read_bytes()
    line = error_line(capsys, ["run", str(model), "--data", data, "--out", str(model), "--overwrite"])
    assert "is an input of this run" in line and model.read_bytes() == before
    npz = data.partition(":")[2]
    assert "is an input of this run" in error_line(capsys, ["run", MODEL, "--data", data, "--out", npz,
                                                            "--overwrite"])


def test_plots_on_a_full_disk(capsys, data, tmp_path, monkeypatch):
    import errno
    out = tmp_path / "r.h5"
    assert main(["run", MODEL, "--data", data, "--T", "2", "--out", str(out)]) == 0
    capsys.readouterr()

    def full(results, folder):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("mstsim.plots.write_plots", full)
    line = error_line(capsys, ["report", str(out), "--plots", str(tmp_path / "p")])
    assert "cannot write plots to" in line and "No space left on device (errno 28)" in line


def test_more_samples_than_the_split_holds_is_said(capsys, data):
    assert main(["run", MODEL, "--data", data, "--T", "2", "--samples", "10"]) == 0
    err = capsys.readouterr().err
    assert "holds 4 samples, fewer than --samples 10; running all 4" in err
