"""`mstsim run --pool-rule / --count-padding`: stored in the results file, shown by run and report."""
import pathlib

import numpy as np

from mstsim.cli import main
from mstsim.results import Results

MODEL = str(pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "onnx" / "vgg_torchscript.onnx")


def test_counting_flags_reach_the_file_and_the_report(tmp_path, capsys):
    rng = np.random.default_rng(0)
    data = tmp_path / "data.npz"
    np.savez(data, x=rng.integers(0, 256, (3, 3, 16, 16)).astype(np.uint8), y=rng.integers(0, 10, 3))
    outs = {}
    for flags in ([], ["--pool-rule", "dense", "--count-padding"]):
        out = tmp_path / f"r{len(flags)}.h5"
        assert main(["run", MODEL, "--data", f"npz:{data}", "--T", "3", "--out", str(out), *flags]) == 0
        text = capsys.readouterr().out
        outs[len(flags)] = Results.load(out)
        shown = "pool rule 'dense', padding taps counted" if flags else "pool rule 'events', padding taps not"
        assert shown in text
        assert main(["report", str(out)]) == 0 and shown in capsys.readouterr().out
    plain, dense = outs[0], outs[3]
    assert (plain.config["pool_rule"], plain.config["count_padding"]) == ("events", False)
    assert (dense.config["pool_rule"], dense.config["count_padding"]) == ("dense", True)
    assert np.array_equal(plain.runs[0].predictions, dense.runs[0].predictions)
    assert dense.runs[0].ledger.ann_macs.sum() > plain.runs[0].ledger.ann_macs.sum()  # padded convs


def test_run_prints_a_through_fallback_as_one_warning_line(tmp_path, capsys, monkeypatch):
    """The bundled fixtures route every pool, so a fallback is injected where simulate would warn."""
    import warnings

    import mstsim.run as run_module
    from mstsim.engine.encode_shadow import ThroughFallbackWarning, through_fallback_message
    real = run_module.simulate

    def simulate(*args, **kw):
        warnings.warn(through_fallback_message(["pool3"]), ThroughFallbackWarning)
        return real(*args, **kw)

    monkeypatch.setattr(run_module, "simulate", simulate)
    rng = np.random.default_rng(0)
    data = tmp_path / "data.npz"
    np.savez(data, x=rng.integers(0, 256, (2, 3, 16, 16)).astype(np.uint8), y=rng.integers(0, 10, 2))
    assert main(["run", MODEL, "--data", f"npz:{data}", "--T", "2", "--pool-rule", "through"]) == 0
    err = capsys.readouterr().err.splitlines()
    lines = [ln for ln in err if "pool_rule 'through'" in ln]
    assert len(lines) == 1 and lines[0].startswith("mstsim: warning: ") and "'pool3'" in lines[0]
