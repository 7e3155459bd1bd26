"""Issue 9's refusals and acceptances: each names file, node, op and reason, or imports what it should."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from mstsim import NotSpikeEquivalentWarning
from mstsim.importers.onnx import NoQCFS, OnnxImportError, UnsupportedUse, from_onnx
from mstsim.ir.errors import MstsimError

from .onnx_build import model, qcfs_nodes, run_ort

mk = helper.make_node
R = np.random.default_rng(9)


def _save(m, tmp_path, name):
    path = tmp_path / name
    onnx.save(m, str(path))
    return path


@pytest.mark.parametrize("x_name, hidden, out", [("input", "output", "logits"), ("x", "input", "output"),
                                                 ("output", "h", "input"), ("x", "output#2", "output")])
def test_any_tensor_name_imports(x_name, hidden, out):
    nodes, consts = qcfs_nodes(x_name, hidden, lam=1.0, levels=4)
    m = model(nodes + [mk("Mul", [hidden, "two"], [out])], (2, 5), {**consts, "two": np.float32(2)}, x_name=x_name)
    net = from_onnx(m)
    x = R.uniform(-0.5, 1.5, (2, 5)).astype(np.float32)
    np.testing.assert_allclose(net.run_ann(x, dtype=np.float32), run_ort(m, x), rtol=1e-6)
    assert net.onnx_output == out and len({n.name for n in net.graph}) == len(net.graph)


def test_folding_honours_an_old_opset():
    # opset 9: Unsqueeze takes its axes as an attribute and Clip its bounds (the -13/-11 forms read inputs)
    consts = {"b": np.arange(3, dtype=np.float32) / 4, "lam": np.float32(1), "L": np.float32(4),
              "half": np.float32(0.5)}
    nodes = [mk("Unsqueeze", ["b"], ["b2"], axes=[0]), mk("Add", ["x", "b2"], ["s"]),
             mk("Div", ["s", "lam"], ["q1"]), mk("Mul", ["q1", "L"], ["q2"]), mk("Add", ["q2", "half"], ["q3"]),
             mk("Floor", ["q3"], ["q4"]), mk("Div", ["q4", "L"], ["q5"]), mk("Clip", ["q5"], ["q6"], min=0.0, max=1.0),
             mk("Mul", ["q6", "lam"], ["y"])]
    m = model(nodes, (2, 3), consts, opset=9)
    x = R.uniform(-0.5, 1.5, (2, 3)).astype(np.float32)
    net = from_onnx(m)
    assert net.patterns["qcfs"] == 1
    np.testing.assert_allclose(net.run_ann(x, dtype=np.float32), run_ort(m, x), rtol=1e-6)


def test_relu_model_is_refused_before_its_weights_are_read(tmp_path):
    # 64 MB of weights in external data: the refusal must not load, check or fold them
    w = np.zeros((4096, 4096), np.float32)
    m = helper.make_model(helper.make_graph(
        [mk("MatMul", ["x", "w"], ["h"]), mk("Relu", ["h"], ["y"])], "relu",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4096])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 4096])], [numpy_helper.from_array(w, "w")]),
        opset_imports=[helper.make_opsetid("", 18)])
    onnx.save(m, str(tmp_path / "relu.onnx"), save_as_external_data=True, location="relu.onnx.data",
              size_threshold=0)
    script = textwrap.dedent(f"""
        import json, resource, sys, time
        from mstsim.importers.onnx import from_onnx, NoQCFS
        import numpy, onnx
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t = time.perf_counter()
        try:
            from_onnx({str(tmp_path / "relu.onnx")!r})
        except NoQCFS as exc:
            message = str(exc)
        print(json.dumps({{"s": time.perf_counter() - t, "message": message,
                           "kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before}}))
    """)
    out = json.loads(subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                                    check=True, timeout=120).stdout)
    assert "relu.onnx: no QCFS activation" in out["message"] and out["message"].count("\n") <= 1
    assert out["s"] < 2.0 and out["kb"] < 32 * 1024, out  # well under the 64 MB of weights


def test_unused_optional_outputs_are_ignored_and_used_ones_refused():
    nodes, consts = qcfs_nodes("h", "y", lam=1.0, levels=4)
    ln = mk("LayerNormalization", ["x", "g"], ["h", "mean", "inv"], axis=-1)
    m = model([ln] + nodes, (2, 6), {**consts, "g": np.ones(6, np.float32)})
    x = R.normal(size=(2, 6)).astype(np.float32)
    np.testing.assert_allclose(from_onnx(m).run_ann(x, dtype=np.float32), run_ort(m, x), rtol=1e-5, atol=1e-6)
    drop = mk("Dropout", ["x"], ["h", "mask"], name="drop")
    np.testing.assert_allclose(from_onnx(model([drop] + nodes, (2, 6), consts)).run_ann(x, dtype=np.float32),
                               run_ort(model([drop] + nodes, (2, 6), consts), x), rtol=1e-6)
    used = model([drop, mk("Cast", ["mask"], ["mf"], to=TensorProto.FLOAT), mk("Add", ["h", "mf"], ["h2"])]
                 + qcfs_nodes("h2", "y", lam=1.0, levels=4)[0], (2, 6), consts)
    with pytest.raises(UnsupportedUse, match=r"node 'drop' \(Dropout\): the Dropout mask output is used"):
        from_onnx(used)


def test_an_opset_beyond_the_registry_is_refused(tmp_path):
    nodes, consts = qcfs_nodes("x", "y", lam=1.0, levels=4)
    m = model(nodes, (2, 6), consts)
    m.opset_import[0].version = 99
    with pytest.raises(UnsupportedUse, match=r"op99.onnx: the model uses ai.onnx opset 99, newer than"):
        from_onnx(_save(m, tmp_path, "op99.onnx"))


@pytest.mark.parametrize("lam", [0.0, -1.0, float("nan"), float("inf")])
def test_qcfs_lam_must_be_positive_and_finite(lam, tmp_path):
    nodes, consts = qcfs_nodes("x", "y", lam=1.0, levels=4, form="clip_then_floor")
    consts["q_lam"] = np.float32(lam)
    nodes[-1].name = "act_out"
    with np.errstate(all="ignore"):
        path = _save(model(nodes, (2, 6), consts), tmp_path, "lam.onnx")
    with pytest.raises(UnsupportedUse, match=r"lam.onnx: node 'act_out' \(Mul\): the QCFS activation .* has lam = "):
        from_onnx(path)


def test_a_1d_input_is_refused_naming_file_input_and_reason(tmp_path):
    nodes, consts = qcfs_nodes("x", "y", lam=1.0, levels=4)
    with pytest.raises(UnsupportedUse, match=r"flat.onnx: input 'x' has shape \(6,\); mstsim needs a batch axis"):
        from_onnx(_save(model(nodes, (6,), consts), tmp_path, "flat.onnx"))


def test_not_spike_equivalent_nodes_are_warned_about_when_simulating():
    nodes, consts = qcfs_nodes("x", "h", lam=1.0, levels=4)
    pool = mk("MaxPool", ["h"], ["y"], kernel_shape=[2, 2], name="the_pool")
    net = from_onnx(model(nodes + [pool], (2, 1, 4, 4), consts))
    assert "not spike-equivalent" in net.inspect()
    x = R.uniform(0, 1, (2, 1, 4, 4))
    with pytest.warns(NotSpikeEquivalentWarning, match=r"MaxPool2d x1: '.*' \(ONNX 'the_pool'\)"):
        net.simulate(x, T=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error", NotSpikeEquivalentWarning)
        net.simulate(x, T=2)


def test_converter_failures_never_escape_as_bare_exceptions(monkeypatch):
    from mstsim.importers.onnx import registry

    def broken(node, ctx):
        raise IndexError("tuple index out of range")

    for key in [k for k in registry._CONVERTERS if k[:2] == ("", "Tanh")]:
        monkeypatch.setitem(registry._CONVERTERS, key, broken)
    nodes, consts = qcfs_nodes("h", "y", lam=1.0, levels=4)
    m = model([mk("Tanh", ["x"], ["h"], name="t")] + nodes, (2, 6), consts)
    with pytest.raises(OnnxImportError, match=r"node 't' \(Tanh\): internal error of the importer \(IndexError"):
        from_onnx(m)
    assert issubclass(OnnxImportError, MstsimError) and issubclass(NoQCFS, MstsimError)
