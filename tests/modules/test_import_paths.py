"""The importer keeps each IR node's torch module path, alike for both exporters."""
from collections import Counter

import onnx
import pytest
from onnx import helper

from importers.onnx.scopes import _join, node_module
from tests.modules.helpers import FIXTURES, load

MODELS = ("mst", "mst_pool", "vit", "resnet", "vgg")


@pytest.mark.parametrize("segments, path", [
    (["stages", "stages.0", "stages.0.1", "attn", "q_act"], "stages.0.1.attn.q_act"),
    (["layers.0", "blocks.1", "attn", "qkv"], "layers.0.blocks.1.attn.qkv"),
    (["layer2", "downsample", "downsample.0"], "layer2.downsample.0"),
    (["a", "b", "b"], "a.b.b"),  # a child named like its parent
    (["", "stages", "stages.0"], "stages.0"),
    ([], ""),
])
def test_scope_segments_join_to_the_dotted_path(segments, path):
    assert _join(segments) == path


def _node(name="", meta=None):
    node = helper.make_node("Relu", ["a"], ["b"], name=name)
    for key, value in (meta or {}).items():
        node.metadata_props.add(key=key, value=value)
    return node


def test_node_module_from_each_exporter_form():
    legacy = _node("/stages/stages.0/stages.0.1/attn/MatMul")
    namespace = _node(meta={"namespace": ": m.MST/stages: Sequential/stages.0: Sequential/stages.0.1: m.Block/"
                                         "stages.0.1.attn: m.Attn/matmul: aten.matmul.default"})
    # the forms torch 2.13's dynamo exporter writes: modules then the op's own name
    scopes = _node(meta={"pkg.torch.onnx.name_scopes": "['', 'stages', 'stages.0', 'stages.0.1', 'attn', 'matmul']"})
    assert node_module(legacy) == node_module(namespace) == node_module(scopes) == "stages.0.1.attn"
    assert node_module(_node("/Slice")) == ""  # the model's own forward
    assert node_module(_node("Relu_3")) is None and node_module(_node("")) is None
    assert node_module(_node(meta={"namespace": "garbled"})) is None
    assert node_module(_node(meta={"pkg.torch.onnx.name_scopes": "['', 'relu']"})) == ""
    assert node_module(_node(meta={"pkg.torch.onnx.name_scopes": "['', 'layers.0', 'linear_1']"})) == "layers.0"


@pytest.mark.parametrize("model", MODELS)
def test_both_exporters_give_every_node_the_same_module(model):
    found = []
    for exporter in ("torchscript", "dynamo"):
        graph = load(f"{model}_{exporter}.onnx").graph
        assert set(graph.modules) == {n.name for n in graph}, "every node has a path"
        found.append(Counter((graph.modules[n.name], type(n).__name__) for n in graph))
    assert found[0] == found[1]


def test_fused_patterns_take_the_module_of_the_pattern():
    graph = load("mst_dynamo.onnx").graph
    by_path = {}
    for node in graph:
        by_path.setdefault(graph.modules[node.name], []).append(type(node).__name__)
    assert by_path["stages.0.0.attn.q_act"] == ["IF"]  # a QCFS chain -> one IF
    assert by_path["stages.0.0.attn.q_mask"] == ["Mask"]  # the RSM pattern
    assert by_path["norm"] == ["LayerNorm"]
    assert by_path["stages.0.0.attn.qkv"] == ["Affine"]  # MatMul + bias add folded
    assert "ChannelAffine" in by_path["stages.0.0.norm1"]


def test_dynamo_conv_with_its_batchnorm_folded_keeps_the_conv_module():
    # the dynamo optimiser folds BatchNorm into the Conv under the BatchNorm's scope; the weight names the Conv
    for exporter in ("torchscript", "dynamo"):
        graph = load(f"vgg_{exporter}.onnx").graph
        convs = [graph.modules[n.name] for n in graph if type(n).__name__ == "Conv2d"]
        assert convs == ["features.0", "features.3", "features.7"]


def test_a_file_without_module_names_has_no_paths(tmp_path):
    model = onnx.load(str(FIXTURES / "mst_torchscript.onnx"))
    for i, node in enumerate(model.graph.node):
        node.name = f"n{i}"
        del node.metadata_props[:]
    path = tmp_path / "anon.onnx"
    onnx.save(model, str(path))
    assert load(path).graph.modules == {}


def test_a_qcfs_chain_reaching_past_its_module_keeps_the_qcfs_module(tmp_path):
    import numpy as np
    from onnx import TensorProto, numpy_helper

    lam, levels = 2.0, 4.0
    consts = {"W": np.eye(4, dtype=np.float32), "lam": np.float32(lam), "L": np.float32(levels),
              "half": np.float32(0.5), "zero": np.float32(0.0), "one": np.float32(1.0)}
    chain = [("MatMul", "/fc/MatMul", ["x", "W"]), ("Div", "/act/Div", ["lam"]), ("Mul", "/act/Mul", ["L"]),
             ("Add", "/act/Add", ["half"]), ("Floor", "/act/Floor", []), ("Div", "/act/Div_1", ["L"]),
             ("Clip", "/act/Clip", ["zero", "one"]), ("Mul", "/act/Mul_1", ["lam"]),
             ("Relu", "/head/Relu", [])]  # QCFS then ReLU is still QCFS: the matcher takes the ReLU in
    nodes, prev = [], None
    for i, (op, name, extra) in enumerate(chain):
        inputs = extra if prev is None else [prev] + extra
        out = "y" if i == len(chain) - 1 else f"t{i}"
        nodes.append(helper.make_node(op, inputs, [out], name=name))
        prev = out
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 4])],
                              [numpy_helper.from_array(np.asarray(v), k) for k, v in consts.items()])
    path = tmp_path / "qcfs.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    g = load(path).graph
    assert [(type(n).__name__, g.modules[n.name]) for n in g] == [("Input", ""), ("Affine", "fc"), ("IF", "act"),
                                                                 ("Output", "")]
