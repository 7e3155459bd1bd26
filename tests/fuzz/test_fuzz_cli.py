"""Random argument values through `mstsim run`: every outcome is a finished run (status 0) or one
clear error line (status 2, or argparse's usage error), never a traceback or another exception."""
import contextlib
import io
import pathlib
import tempfile

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from mstsim.cli import main
from mstsim.results import Results

from .harness import fuzz_settings, result_or_mstsim_error

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "onnx"
MODEL = str(FIXTURES / "vgg_torchscript.onnx")
WORK = pathlib.Path(tempfile.mkdtemp(prefix="mstsim-fuzz-cli-"))
_rng = np.random.default_rng(0)
np.savez(WORK / "d.npz", x=_rng.integers(0, 256, (4, 3, 16, 16)).astype(np.uint8), y=np.arange(4))
np.save(WORK / "a.npy", np.zeros(3))
(WORK / "folder").mkdir()

INTS = ["-1", "0", "1", "2", "3", "abc", "1.5", "", "99999999999999999999", "-99999999999999999999"]
SMALL = ["-1", "0", "1", "2", "3", "abc", "", "1000001", "1000000000"]  # T: never a long valid run
FLOATS = ["nan", "inf", "-inf", "-0.5", "0", "0.25", "1", "1.5", "x", "1e400"]
OPTIONS = {
    "--T": st.sampled_from(SMALL),
    "--samples": st.sampled_from(SMALL),
    "--batch": st.sampled_from(INTS),
    "--seed": st.sampled_from(INTS),
    "--bins": st.sampled_from(INTS),
    "--checkpoint": st.sampled_from(FLOATS),
    "--mask-ratio": st.lists(st.sampled_from(FLOATS), min_size=0, max_size=3),
    "--mask-sites": st.sampled_from(["all", "attention", "mlp", "exported", "*", "nosuch", "", "[", " "]),
    "--data": st.sampled_from([f"npz:{WORK / 'd.npz'}", f"npz:{WORK / 'a.npy'}", "npz:/nonexistent.npz",
                               "digits", "digits:x", "cifar10:", "foo:bar", "", f"nmnist:{WORK / 'folder'}"]),
    "--dtype": st.sampled_from(["float32", "float64", "float16", ""]),
    "--events": st.sampled_from(["frames", "stream", "x"]),
    "--resize": st.lists(st.sampled_from(["16", "8", "0", "-3", "x", "9000"]), min_size=0, max_size=3),
    "--resize-mode": st.sampled_from(["nearest", "bilinear", "cubic"]),
    "--mean": st.lists(st.sampled_from(FLOATS), min_size=0, max_size=4),
    "--std": st.lists(st.sampled_from(FLOATS), min_size=0, max_size=4),
    "--record": st.sampled_from(["spikes", "all"]),
    "--out": st.sampled_from([str(WORK / "r.h5"), str(WORK / "folder"), "/nonexistent/dir/r.h5", "",
                              str(WORK / "folder" / "r.h5")]),
    "--overwrite": st.just(None),
}


@st.composite
def argvs(draw):
    argv = ["run", draw(st.sampled_from([MODEL, MODEL, str(WORK / "a.npy"), "/nonexistent.onnx"]))]
    chosen = draw(st.lists(st.sampled_from(sorted(OPTIONS)), unique=True, max_size=6))
    if "--data" not in chosen:
        argv += ["--data", f"npz:{WORK / 'd.npz'}"]
    for opt in chosen:
        value = draw(OPTIONS[opt])
        argv += [opt] + ([] if value is None else value if isinstance(value, list) else [value])
    return argv


def run_main(argv):
    try:
        return main(argv)
    except SystemExit as stop:  # argparse: unknown choice, not a number, missing value
        return stop.code


@fuzz_settings(40)
@given(argv=argvs())
def test_random_run_arguments(argv):
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = result_or_mstsim_error(run_main, argv, what=f"mstsim {' '.join(argv)}")
    text = err.getvalue()
    assert "Traceback" not in text, (argv, text)
    assert code in (0, 2), (argv, code, text)
    if code == 2:
        lines = [ln for ln in text.strip().splitlines() if not ln.startswith("mstsim: warning")]
        assert lines and (lines[-1].startswith("mstsim: error: ") or lines[-1].startswith("mstsim run: error: ")
                          or "usage:" in text), (argv, text)
        if not "usage:" in text:
            assert len(lines) == 1, (argv, text)
    out = argv[argv.index("--out") + 1] if "--out" in argv else None
    if code == 0 and out:
        assert Results.load(out).runs
    assert not list(WORK.rglob("*.partial-*"))
