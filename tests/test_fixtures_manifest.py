"""Consistency of the committed ONNX fixtures (tests/fixtures/onnx, made by train/export_fixtures.py).

Needs only numpy, json and onnx: torch is not a test dependency.
"""
import collections
import json
from pathlib import Path

import numpy as np
import onnx
import pytest

FIXTURES = Path(__file__).parent / "fixtures" / "onnx"
MANIFEST = json.loads((FIXTURES / "manifest.json").read_text())
FILES = MANIFEST["files"]


def test_manifest_lists_every_model_and_exporter():
    assert FILES, "manifest lists no files"
    exported = {(f["model"], f["exporter"]) for f in FILES}
    failed = {f["file"] for f in MANIFEST["failures"]}
    for model in MANIFEST["models"]:
        for exporter in ("torchscript", "dynamo"):
            name = f"{model}_{exporter}.onnx"
            assert (model, exporter) in exported or name in failed, name


def test_manifest_covers_batch_1_the_pooled_mst_and_common_names():
    # issue 9: dynamo at batch 1 and at a fixed batch for every architecture, the reference MST head
    # (nn.AdaptiveAvgPool1d, dynamo's as_strided Gather) and output_names=["output"]
    have = {(f["model"], f["exporter"], f["batch"]) for f in FILES}
    for model in ("vgg", "resnet", "vit", "mst", "mst_pool"):
        assert (model, "dynamo", 1) in have and (model, "dynamo", MANIFEST["export_batch"]) in have, model
    assert ("mst_pool", "torchscript", MANIFEST["export_batch"]) in have
    assert any(f["output_name"] == "output" and f["exporter"] == "dynamo" for f in FILES)
    # dynamo with a dynamic batch writes its weights to external data (model.onnx.data)
    assert any(f["exporter"] == "dynamo" and f["batch"] == "dynamic" and f["external_data"] for f in FILES)


@pytest.mark.parametrize("entry", FILES, ids=[f["file"] for f in FILES])
def test_onnx_file(entry):
    path = FIXTURES / entry["file"]
    assert path.is_file()
    assert path.stat().st_size < 1_000_000  # fixtures must stay small
    data = path.with_name(path.name + ".data")
    assert data.is_file() == entry["external_data"]
    model = onnx.load(str(path))
    onnx.checker.check_model(model, full_check=True)

    (inp,), (out,) = model.graph.input, model.graph.output
    assert (inp.name, out.name) == ("input", entry["output_name"])
    dims = [d.dim_value if d.HasField("dim_value") else d.dim_param
            for d in inp.type.tensor_type.shape.dim]
    if entry["batch"] == "dynamic":
        assert isinstance(dims[0], str) and dims[0]
    else:
        assert dims[0] == entry["batch"]
    assert dims[1:] == entry["input_shape"]
    assert out.type.tensor_type.shape.dim[-1].dim_value == entry["num_classes"]

    counts = entry["counts"]
    assert len(entry["lam"]) == len(entry["qcfs_forms"]) == counts["qcfs"]
    assert all(lam > 0 for lam in entry["lam"])
    ops = collections.Counter(n.op_type for n in model.graph.node)
    assert dict(ops) == entry["op_types"]
    # One Floor per QCFS and one RandomUniformLike per RSM site, for both exporters.
    assert ops["Floor"] == counts["qcfs"]
    assert ops["RandomUniformLike"] == counts["masks"]
    assert ops["LayerNormalization"] == counts["layernorm"]
    # Every BatchNorm2d follows a Conv and both exporters fold it into the Conv.
    assert ops["BatchNormalization"] == counts["batchnorm"] - counts["batchnorm2d"]


@pytest.mark.parametrize("name", sorted(MANIFEST["models"]))
def test_reference_arrays(name):
    info = MANIFEST["models"][name]
    entries = [f for f in FILES if f["model"] == name]
    assert entries, f"no exported file for {name}"
    e = entries[0]
    with np.load(FIXTURES / f"{name}.npz") as z:
        arrays = {k: z[k] for k in z.files}
    S, T, C = MANIFEST["samples"], MANIFEST["T"], e["num_classes"]
    expected = {
        "inputs": ((S, *e["input_shape"]), np.float32),
        "ann_logits": ((S, C), np.float64),
        "ann_logits_f32": ((S, C), np.float32),
        "snn_cumlogits_f64": ((T, S, C), np.float64),
        "snn_cumlogits_f32": ((T, S, C), np.float32),
        "lam": ((e["counts"]["qcfs"],), np.float32),
    }
    assert set(arrays) == set(expected)
    for key, (shape, dtype) in expected.items():
        assert arrays[key].shape == shape, key
        assert arrays[key].dtype == dtype, key
        assert np.all(np.isfinite(arrays[key])), key
    np.testing.assert_array_equal(arrays["lam"], np.float32(e["lam"]))
    assert all(f["lam"] == e["lam"] for f in entries)  # exporters share the weights
    assert len(info["qcfs_nonzero_fraction"]) == e["counts"]["qcfs"]
    # The float32 and float64 references describe the same computation.
    np.testing.assert_allclose(arrays["ann_logits_f32"], arrays["ann_logits"], atol=1e-4)
    np.testing.assert_allclose(arrays["snn_cumlogits_f32"], arrays["snn_cumlogits_f64"],
                               atol=1e-3 * T)
