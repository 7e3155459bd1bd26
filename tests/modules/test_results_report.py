"""Module paths in the results file, and the per-module tables of `mstsim run` and `mstsim report`."""
import h5py
import numpy as np
import pytest

from mstsim.cli import main
from mstsim.modules import module_table
from mstsim.results import Results, ResultsError
from tests.modules.helpers import FIXTURES


@pytest.fixture(scope="module")
def run_file(tmp_path_factory):
    """`mstsim run` of the MST fixture at masking 0 and 0.75, its text output and its file."""
    folder = tmp_path_factory.mktemp("run")
    rng = np.random.default_rng(0)
    data = folder / "data.npz"
    np.savez(data, x=rng.integers(0, 256, (4, 3, 16, 16)).astype(np.uint8), y=rng.integers(0, 10, 4))
    out = folder / "r.h5"
    import contextlib
    import io
    text, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(text), contextlib.redirect_stderr(err):
        code = main(["run", str(FIXTURES / "mst_dynamo.onnx"), "--data", f"npz:{data}", "--T", "4",
                     "--mask-ratio", "0", "0.75", "--out", str(out)])
    assert code == 0, err.getvalue()
    return out, text.getvalue()


def test_run_prints_the_module_table_and_the_savings(run_file):
    _, text = run_file
    assert "Per module (p = 0; level auto)" in text
    assert "Masking savings per module, p = 0.75 vs p = 0" in text
    for row in ("stages.0.1.attn:qkT", "stages.0.1.attn:scores", "stages.0.1.mlp", "stages.0.2", "head"):
        assert f"\n{row} " in text


def test_module_paths_round_trip_through_the_file(run_file):
    out, _ = run_file
    res = Results.load(str(out))
    for run in res.runs:
        mods = run.modules
        assert set(mods.paths) == set(run.ledger.nodes)
        assert mods.paths[next(n for n in run.ledger.nodes if mods.ops[n] == "Softmax")].endswith("attn.softmax")
        assert set(mods.parts.values()) == {"qkv", "qkT", "scores", "Pv", "proj"}
    again = out.parent / "again.h5"
    res.save(str(again))
    back = Results.load(str(again))
    for a, b in zip(res.runs, back.runs):
        assert a.modules == b.modules
        ta, tb = module_table(a.ledger, a.modules), module_table(b.ledger, b.modules)
        assert ta.rows == tb.rows and np.array_equal(ta.counts, tb.counts)


def test_report_prints_what_run_printed_and_takes_a_level(run_file, capsys):
    out, text = run_file
    assert main(["report", str(out)]) == 0
    again = capsys.readouterr().out.strip()
    assert "Per module" in again and text.strip().startswith(again)  # run may print more after the report
    assert main(["report", str(out), "--by-module", "block"]) == 0
    block = capsys.readouterr().out
    assert "level block" in block and "\nstages.0.1 " in block and "stages.0.1.attn:qkT" not in block
    assert main(["report", str(out), "--by-module"]) == 0 and "level auto" in capsys.readouterr().out
    assert main(["report", str(out), "--by-module", "off"]) == 0
    assert "Per module" not in capsys.readouterr().out
    assert main(["report", str(out), "--by-module", "stage"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["mstsim: error: module level must be one of auto, block, module or an integer >= 1, got 'stage'"]


def _copy_without(src, dst, drop=(), reshape=None):
    import shutil
    shutil.copy(src, dst)
    with h5py.File(dst, "r+") as f:
        for name in f["runs"]:
            led = f["runs"][name]["ledger"]
            for key in drop:
                del led[key]
            if reshape:
                data = led[reshape][()]
                del led[reshape]
                led.create_dataset(reshape, data=data[:-1])


def test_a_file_without_module_paths_still_loads_and_says_so(run_file, tmp_path, capsys):
    out, _ = run_file
    old = tmp_path / "old.h5"
    _copy_without(out, old, drop=("module_paths", "module_known", "module_parts", "ops"))
    res = Results.load(str(old))
    assert all(not r.modules for r in res.runs)
    assert main(["report", str(old)]) == 0
    text = capsys.readouterr().out
    assert "No per-module table: the results hold no module paths" in text and "Top 8 nodes by ACs" in text


@pytest.mark.parametrize("drop, reshape, message", [
    (("ops",), None, "has no dataset 'ops'"),
    ((), "module_paths", "module_paths has shape"),
])
def test_a_damaged_module_dataset_is_named(run_file, tmp_path, drop, reshape, message):
    out, _ = run_file
    bad = tmp_path / "bad.h5"
    _copy_without(out, bad, drop=drop, reshape=reshape)
    with pytest.raises(ResultsError, match=message):
        Results.load(str(bad))
