"""RSM sites: structural presets, patterns and user lists; the CLI options."""
import numpy as np
import pytest

from mstsim.cli import main
from mstsim.ir import IF, GraphError
from mstsim.ir.attention import Mask
from mstsim.rsm import configure_rsm, select_sites

from .fixtures import FIXTURES, network


def masks_of(graph):
    return {n.inputs[0]: n.ratio for n in graph if isinstance(n, Mask)}


@pytest.mark.parametrize("file", ["mst_torchscript.onnx", "mst_dynamo.onnx", "vit_torchscript.onnx",
                                  "vit_dynamo.onnx"])
def test_presets_find_the_paper_sites_whatever_the_exporter(file):
    g = network(file).graph
    blocks = 4 if file.startswith("mst") else 2
    new, existing = select_sites(g, "attention")
    assert len(new) + len(existing) == 3 * blocks          # q, k and scores of each block
    new, existing = select_sites(g, "mlp")
    assert len(new) == 2 * blocks and not existing         # fc1 and fc2 IFs
    ifs = [n.name for n in g if isinstance(n, IF)]
    assert len(select_sites(g, "all")[0]) + len(select_sites(g, "all")[1]) == len(ifs)


def test_configure_sets_exported_masks_and_inserts_new_ones():
    g = network("mst_mask75_torchscript.onnx").graph
    assert set(masks_of(g).values()) == {0.75}
    g0 = configure_rsm(g, 0.0, "attention")
    assert len(masks_of(g0)) == 12 and set(masks_of(g0).values()) == {0.0}
    both = configure_rsm(g, 0.5, "mlp")
    ratios = sorted(masks_of(both).values())
    assert ratios == [0.5] * 8 + [0.75] * 12
    fc1 = [n for n in both if isinstance(n, Mask) and "fc1_act" in n.inputs[0]][0]
    assert both.consumers[fc1.inputs[0]] == [fc1.name]  # the IF now feeds only its mask
    assert both.consumers[fc1.name] == g.consumers[fc1.inputs[0]]  # which feeds the IF's old consumers


def test_patterns_lists_and_errors():
    g = network("mst_torchscript.onnx").graph
    new, existing = select_sites(g, "*attn/v_act*")
    assert len(existing) == 0 and len(new) == 4
    with pytest.raises(GraphError, match="match no IF node"):
        select_sites(g, "*no_such_layer*")
    with pytest.raises(GraphError, match="no 'attention' mask sites"):
        select_sites(network("vgg_torchscript.onnx").graph, "attention")
    with pytest.raises(GraphError, match="not an IF node"):
        configure_rsm(g, 0.5, ["/head/Gemm_output_0"])
    with pytest.raises(GraphError, match=r"ratio must be in \[0, 1\]"):
        configure_rsm(g, 1.5, "all")


def test_masking_lowers_acs_on_the_mst_fixture():
    net = network("mst_torchscript.onnx")
    x = np.random.default_rng(0).uniform(0, 1, (4,) + net.input_shape)
    acs = [net.simulate(x, T=8, rsm=p, seed=3).ledger.total("acs") for p in (0.0, 0.5, 0.75)]
    assert acs[0] > acs[1] > acs[2]


def test_cli_mask_options(capsys, tmp_path):
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "d.npz", x=rng.uniform(0, 1, (3, 3, 16, 16)).astype(np.float32), y=np.arange(3))
    data = f"npz:{tmp_path / 'd.npz'}"
    code = main(["run", str(FIXTURES / "mst_torchscript.onnx"), "--data", data, "--T", "4",
                 "--mask-ratio", "0", "0.5", "--mask-sites", "attention", "--dtype", "float64"])
    out = capsys.readouterr().out
    assert code == 0 and "masks on 'attention' sites" in out and "p = 0.5" in out and "energy " in out
    assert main(["run", str(FIXTURES / "vgg_torchscript.onnx"), "--data", data, "--mask-ratio", "0.5",
                 "--T", "2"]) == 2
    assert "no 'attention' mask sites" in capsys.readouterr().err


@pytest.mark.parametrize("file", ["vgg_torchscript.onnx", "resnet_dynamo.onnx", "vit_dynamo.onnx",
                                  "mst_mask75_dynamo.onnx"])
def test_cli_inspect_runs_on_fixtures(file, capsys):
    assert main(["inspect", str(FIXTURES / file)]) == 0
    out = capsys.readouterr().out
    assert "fan-out" in out and "ANN MACs per sample" in out and " IF " in out
