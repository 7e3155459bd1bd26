"""The importer's fast paths import exactly what the plain ones do.

Folding calls the reference ops directly instead of building a one-node
model each; shape inference leaves large weights out; the QCFS matcher finds
each grid point's nearest threshold from its two neighbours; the pattern
view updates its maps in place. Each is checked against the plain way it
replaced, written out here: whole imports of exported fixtures (every IR
node's fields bit for bit, and every record of the network), and
properties of the pieces.
"""
import json
from pathlib import Path

import numpy as np
import onnx
import pytest
from hypothesis import given, strategies as st
from onnx import helper, shape_inference

from mstsim.importers.onnx import MalformedModel, from_onnx
from mstsim.importers.onnx import fold, loader
from mstsim.importers.onnx.patterns import qcfs
from mstsim.importers.onnx.patterns.view import OnnxView

from .graph_digest import network_records
from .onnx_build import model

DIR = Path(__file__).resolve().parents[1] / "fixtures" / "onnx"
FILES = {f["file"]: f for f in json.loads((DIR / "manifest.json").read_text())["files"]}
#: both exporters, every family, a dynamic batch, external data, masks, pooling
CASES = ["mst_torchscript_dynbatch.onnx", "mst_pool_dynamo_dynbatch.onnx", "mst_mask75_dynamo.onnx",
         "vit_torchscript.onnx", "resnet_dynamo.onnx", "vgg_torchscript.onnx"]


def _plain_count(ys):
    return len(np.unique(ys))


def _plain_distance(xs, thresholds):
    return np.min(np.abs(xs[:, None] - thresholds[None, :]), axis=1)


def _plain_replace(self, old, new):
    ids = {id(n) for n in old}
    last = max(i for i, n in enumerate(self.nodes) if id(n) in ids)
    self.nodes[last] = new
    OnnxView.__init__(self, [n for n in self.nodes if id(n) not in ids], self.consts, self.outputs, self.source)


def _plain_infer(m, **options):
    return shape_inference.infer_shapes(m, **options)


def _no_direct_op(*args):
    raise LookupError("the plain way: a one-node model per node")


def _import_plain(path, input_shape, monkeypatch):
    with monkeypatch.context() as m:
        m.setattr(fold, "_run_reference_op", _no_direct_op)
        m.setattr(loader, "infer_shapes_without_weights", _plain_infer)
        m.setattr(qcfs, "_distance_to_nearest", _plain_distance)
        m.setattr(qcfs, "_count_distinct", _plain_count)
        m.setattr(OnnxView, "replace", _plain_replace)
        return from_onnx(path, input_shape=input_shape)


@pytest.mark.parametrize("name", CASES)
def test_fast_import_equals_plain_import(name, monkeypatch):
    entry = FILES[name]
    monkeypatch.setattr(fold, "_WORTH_LEAVING_OUT", 0)  # the fixtures are small: leave their weights out anyway
    direct, as_model = [], []
    real_direct, real_model = fold._run_reference_op, fold._evaluate_as_model
    monkeypatch.setattr(fold, "_run_reference_op", lambda *a: direct.append(a[0].op_type) or real_direct(*a))
    monkeypatch.setattr(fold, "_evaluate_as_model", lambda *a: as_model.append(a[0].op_type) or real_model(*a))
    fast = network_records(from_onnx(DIR / name, input_shape=entry["input_shape"]))
    assert not as_model, f"folds that left the direct way: {sorted(set(as_model))}"
    if "torchscript" in name:  # the legacy exporter leaves Constant nodes and shape arithmetic to fold
        assert "Constant" in direct
    plain = network_records(_import_plain(DIR / name, entry["input_shape"], monkeypatch))
    assert len(fast) == len(plain)
    for a, b in zip(fast, plain):
        assert a == b


@pytest.mark.parametrize("name", ["mst_torchscript_dynbatch.onnx", "vgg_dynamo.onnx"])
def test_shape_inference_without_weights_annotates_alike(name, monkeypatch):
    monkeypatch.setattr(fold, "_WORTH_LEAVING_OUT", 0)
    m, source = loader.load_model(DIR / name)
    loader.bind_input_shape(m, FILES[name]["input_shape"], source)
    options = dict(check_type=True, strict_mode=True, data_prop=True)
    for _ in range(2):  # as given, and after a fold (with Shape nodes turned into constants)
        light = onnx.ModelProto()
        light.CopyFrom(m)
        full = shape_inference.infer_shapes(m, **options)
        light = fold.infer_shapes_without_weights(light, **options)
        assert any(int(np.prod(t.dims)) > fold._VALUES_NOT_NEEDED for t in m.graph.initializer)
        assert light.SerializeToString(deterministic=True) == full.SerializeToString(deterministic=True)
        m, _ = fold.fold_constants(full, source)


def test_fold_keeps_the_given_model_and_the_file_tensors():
    nodes = [helper.make_node("Constant", [], ["c"], value=helper.make_tensor("v", 1, [2], [1.5, -2.0])),
             helper.make_node("Add", ["c", "w"], ["cw"]), helper.make_node("Mul", ["x", "cw"], ["y"]),
             helper.make_node("Add", ["y", "w"], ["z"])]
    m = model(nodes, [1, 2], {"w": np.array([0.25, 4.0], np.float32)})
    before = m.SerializeToString()
    folded, consts = fold.fold_constants(m, "m.onnx")
    assert m.SerializeToString() == before
    assert [n.op_type for n in folded.graph.node] == ["Mul", "Add"]
    inits = {t.name: t for t in folded.graph.initializer}
    assert sorted(inits) == ["cw", "w"] and inits["w"] == m.graph.initializer[0]
    np.testing.assert_array_equal(consts["cw"], np.array([1.75, 2.0], np.float32))
    assert consts["cw"].dtype == np.float32


def test_a_failing_fold_reports_what_the_one_node_model_reports():
    nodes = [helper.make_node("Reshape", ["w", "s"], ["r"], name="bad_reshape"),
             helper.make_node("Add", ["x", "r"], ["y"])]
    consts = {"w": np.arange(6, dtype=np.float32), "s": np.array([4, 2], np.int64)}
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", 1, [1, 4, 2])],
                          [helper.make_tensor_value_info("y", 1, None)],
                          initializer=[onnx.numpy_helper.from_array(v, k) for k, v in consts.items()])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 18)])
    with pytest.raises(MalformedModel) as got:
        fold.fold_constants(m, "m.onnx")
    with pytest.raises(MalformedModel) as want:
        fold._evaluate_as_model(nodes[0], [consts["w"], consts["s"]], {"": 18}, "m.onnx")
    assert str(got.value) == str(want.value)
    assert "bad_reshape" in str(got.value) and "m.onnx" in str(got.value)


floats = st.floats(-1e6, 1e6, allow_nan=False, width=64)


@given(st.lists(floats, min_size=1, max_size=40), st.lists(floats, min_size=1, max_size=200), st.data())
def test_nearest_threshold_distance_equals_the_full_minimum(thresholds, xs, data):
    t = np.sort(np.array(thresholds))
    # points on, and one ulp either side of, thresholds as well
    picks = data.draw(st.lists(st.sampled_from(list(t)), max_size=10))
    x = np.concatenate([np.array(xs), picks, np.nextafter(picks, np.inf), np.nextafter(picks, -np.inf)])
    got = qcfs._distance_to_nearest(x, t)
    assert got.tobytes() == _plain_distance(x, t).tobytes()


@given(st.floats(1e-3, 1e3), st.integers(1, 64))
def test_nearest_threshold_distance_on_the_qcfs_grid(lam, levels):
    xs = lam * np.linspace(-0.5, 1.5, 40001)
    t = lam * (np.arange(1, levels + 1) - 0.5) / levels
    assert qcfs._distance_to_nearest(xs, t).tobytes() == _plain_distance(xs, t).tobytes()


@given(st.lists(st.floats(allow_nan=True, allow_infinity=True, width=64) | st.sampled_from([0.0, -0.0, 1.0]),
                max_size=60), st.booleans())
def test_distinct_count_equals_numpy_unique(values, ascending):
    ys = np.array(values, dtype=np.float64)
    if ascending:
        ys = np.sort(ys)  # the staircase case (NaNs sort last)
    assert qcfs._count_distinct(ys) == len(np.unique(ys))


@st.composite
def views_and_edits(draw):
    """A random node list (with absent optional names and repeated inputs) and a few replacements."""
    names, nodes = ["x", "c"], []
    for k in range(draw(st.integers(1, 12))):
        ins = draw(st.lists(st.sampled_from(names + [""]), min_size=1, max_size=3))
        outs = [f"t{k}"] + ([""] if draw(st.booleans()) else [])
        nodes.append(helper.make_node("Op", ins, outs, name=f"n{k}"))
        names.append(f"t{k}")
    edits = []
    for e in range(draw(st.integers(1, 4))):
        edits.append((draw(st.lists(st.integers(0, 10 ** 6), min_size=1, max_size=3)),
                      draw(st.lists(st.sampled_from(names + [""]), min_size=1, max_size=3)), e))
    return nodes, edits


@given(views_and_edits())
def test_view_replace_leaves_the_maps_a_rebuild_would_make(case):
    nodes, edits = case
    view = OnnxView(nodes, {"c": np.float32(1)}, {"t0"})
    for picks, ins, e in edits:
        old = list({id(view.nodes[p % len(view.nodes)]): view.nodes[p % len(view.nodes)] for p in picks}.values())
        new = helper.make_node("New", ins, [old[-1].output[0]], name=f"new{e}")
        view.replace(old, new)
        fresh = OnnxView(view.nodes, view.consts, view.outputs)
        assert {k: id(v) for k, v in view.producer.items()} == {k: id(v) for k, v in fresh.producer.items()}
        assert {k: [id(u) for u in v] for k, v in view.consumers.items()} == \
            {k: [id(u) for u in v] for k, v in fresh.consumers.items()}


def test_an_in_memory_model_is_left_as_it_was():
    m = onnx.load(str(DIR / "mst_torchscript_dynbatch.onnx"))
    before = m.SerializeToString()
    net = from_onnx(m, input_shape=FILES["mst_torchscript_dynbatch.onnx"]["input_shape"])
    assert m.SerializeToString() == before
    assert net.patterns["qcfs"] == FILES["mst_torchscript_dynbatch.onnx"]["counts"]["qcfs"]
