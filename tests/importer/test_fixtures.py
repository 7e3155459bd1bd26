"""Every exported fixture: import, pattern counts, ANN mode vs onnxruntime on every mapped tensor."""
import json
from pathlib import Path

import numpy as np
import onnx
import pytest

from mstsim.importers.onnx import from_onnx, inspect_model
from mstsim.ir import IF

from .ort_check import compare

DIR = Path(__file__).resolve().parents[1] / "fixtures" / "onnx"
MANIFEST = DIR / "manifest.json"
FILES = json.loads(MANIFEST.read_text())["files"]  # committed fixtures: missing ones are an error


@pytest.mark.parametrize("entry", FILES, ids=[f["file"] for f in FILES])
def test_fixture(entry):
    path = DIR / entry["file"]
    net = from_onnx(path, input_shape=entry["input_shape"])
    counts, want = net.patterns, entry["counts"]
    assert counts["qcfs"] == want["qcfs"]
    assert counts["masks"] == want["masks"]
    assert counts["layernorm"] == want["layernorm"]
    # exporters fold BatchNorm2d into Conv themselves; the rest must all be seen
    assert counts["batchnorm"] == entry["op_types"].get("BatchNormalization", 0)
    assert counts["batchnorm"] == want["batchnorm"] - want.get("batchnorm2d", 0)
    thetas = sorted(n.theta for n in net.graph if isinstance(n, IF))
    np.testing.assert_allclose(thetas, sorted(entry["lam"]), rtol=1e-6)
    x = np.load(DIR / entry["npz"])["inputs"][:entry["batch"] if entry["batch"] != "dynamic" else 2]
    errs = compare(net, onnx.load(str(path)), x, entry["input_shape"])
    assert net.onnx_output in errs and len(errs) > 10
    bad = {k: v for k, v in errs.items() if v > 1e-5}
    assert not bad, bad
    assert "IF" in inspect_model(path, input_shape=entry["input_shape"])
