"""Damaged results files through `mstsim report`: the tables of a readable file, or one ResultsError."""
import contextlib
import functools
import io
import pathlib
import tempfile

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from mstsim.cli import main
from mstsim.report import full_report
from mstsim.results import Results

from .harness import BYTE_MUTATIONS, fuzz_settings, mutate_bytes, result_or_mstsim_error

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "onnx"
WORK = pathlib.Path(tempfile.mkdtemp(prefix="mstsim-fuzz-results-"))


@functools.lru_cache(maxsize=1)
def original() -> bytes:
    """A results file of two runs with recorded spikes (made once)."""
    rng = np.random.default_rng(0)
    np.savez(WORK / "d.npz", x=rng.integers(0, 256, (4, 3, 16, 16)).astype(np.uint8), y=np.arange(4))
    out = WORK / "r.h5"
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert main(["run", str(FIXTURES / "vgg_torchscript.onnx"), "--data", f"npz:{WORK / 'd.npz'}", "--T", "3",
                     "--mask-ratio", "0", "0.5", "--mask-sites", "all", "--record", "spikes", "--out", str(out)]) == 0
    return out.read_bytes()


@fuzz_settings(40)
@given(kind=st.sampled_from(BYTE_MUTATIONS), where=st.lists(st.integers(0, 2**31 - 1), min_size=1, max_size=4),
       seed=st.integers(0, 2**16))
def test_damaged_results_files(kind, where, seed):
    path = WORK / "case.h5"
    path.write_bytes(mutate_bytes(original(), kind, where, np.random.default_rng(seed)))
    label = f"{kind} at {where} seed {seed}"
    results = result_or_mstsim_error(Results.load, str(path), what=f"Results.load ({label})")
    if results is not None:
        text = result_or_mstsim_error(full_report, results, what=f"report ({label})")
        assert text is None or "SNN" in text
