"""Rows of the module table at each level, for the MST, a ViT and two CNNs."""
import pytest

from mstsim.modules import MODEL_ROW, UNKNOWN_ROW, ModuleError, check_level, group_keys, node_modules
from mstsim.modules import _ordered
from tests.modules.helpers import load

PARTS = ["qkv", "qkT", "scores", "Pv", "proj"]


def rows(model, level="auto"):
    graph = load(model).graph
    return _ordered(group_keys([n.name for n in graph], node_modules(graph), level))


@pytest.mark.parametrize("exporter", ["torchscript", "dynamo"])
def test_mst_auto_level_splits_each_attention_into_its_parts(exporter):
    got = rows(f"mst_{exporter}.onnx")
    assert got[:2] == [MODEL_ROW, "patch_embed"] and got[-2:] == ["norm", "head"]
    for b in ("stages.0.0", "stages.0.1", "stages.1.0", "stages.1.1"):
        assert [r for r in got if r.startswith(b + ".attn")] == [f"{b}.attn:{p}" for p in PARTS]
        assert {f"{b}.norm1", f"{b}.norm2", f"{b}.mlp", f"{b}.shortcut1_act", f"{b}.shortcut2_act", b} <= set(got)
        assert not any(r.startswith(b + ".mlp.") for r in got)  # the MLP is one row
    assert "stages.0.2" in got and not any(r.startswith("stages.0.2.") for r in got)  # patch merging: one row
    assert UNKNOWN_ROW not in got


def test_mst_attention_parts_hold_the_right_nodes():
    graph = load("mst_torchscript.onnx").graph
    mods = node_modules(graph)
    keys = dict(zip([n.name for n in graph], group_keys([n.name for n in graph], mods)))
    where = {}
    for node in graph:
        path = mods.paths[node.name]
        if path.startswith("stages.0.1.attn"):
            where.setdefault(keys[node.name].rpartition(":")[2], set()).add(
                (path.removeprefix("stages.0.1.attn").lstrip("."), type(node).__name__))
    assert {("qkv", "Affine"), ("q_act", "IF"), ("k_act", "IF"), ("v_act", "IF")} <= where["qkv"]
    assert {("q_mask", "Mask"), ("k_mask", "Mask"), ("", "MatMul")} <= where["qkT"]
    assert {("attn_act", "IF"), ("attn_mask", "Mask"), ("softmax", "Softmax")} <= where["scores"]
    assert {("", "MatMul"), ("attn_v_act", "IF")} <= where["Pv"]
    assert where["proj"] == {("proj", "Affine"), ("proj_act", "IF")}


def test_mst_block_module_and_depth_levels():
    assert rows("mst_dynamo.onnx", "block") == [MODEL_ROW, "patch_embed", "embed_act", "stages.0.0", "stages.0.1",
                                               "stages.0.2", "stages.1.0", "stages.1.1", "norm", "head"]
    assert rows("mst_dynamo.onnx", 1) == [MODEL_ROW, "patch_embed", "embed_act", "stages", "norm", "head"]
    assert rows("mst_dynamo.onnx", "2") == [MODEL_ROW, "patch_embed", "embed_act", "stages.0", "stages.1",
                                            "norm", "head"]
    full = rows("mst_dynamo.onnx", "module")
    assert "stages.1.1.attn.q_mask" in full and "stages.1.1.attn" in full and "stages.0.2.reduction" in full


@pytest.mark.parametrize("exporter", ["torchscript", "dynamo"])
def test_cnn_rows_are_layers_and_blocks(exporter):
    assert rows(f"vgg_{exporter}.onnx") == [MODEL_ROW, "features:layer1", "features:layer2", "features:layer3",
                                            "classifier:layer1", "classifier:layer2"]
    assert rows(f"resnet_{exporter}.onnx") == [MODEL_ROW, "stem", "layer1", "layer2", "layer3", "pool", "fc"]


def test_vit_blocks_open_into_attention_parts_and_layers():
    got = rows("vit_dynamo.onnx")
    assert [r for r in got if r.startswith("blocks.1.attn")] == [f"blocks.1.attn:{p}" for p in PARTS]
    assert {"blocks.1.norm1", "blocks.1.fc1", "blocks.1.fc2_act", "patch_embed", "head"} <= set(got)


@pytest.mark.parametrize("bad", ["", "blocks", 0, -1, 1.5, True, "2.5"])
def test_a_bad_level_is_refused_naming_the_choices(bad):
    with pytest.raises(ModuleError, match="auto, block, module or an integer"):
        check_level(bad)
