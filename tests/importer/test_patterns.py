"""Pattern passes: QCFS in every form, BN folding, RSM masks, decomposed LayerNorm and Gelu."""
import numpy as np
import pytest
from onnx import helper

from mstsim.importers.onnx import from_onnx
from mstsim.ir import IF, ChannelAffine, Conv2d
from mstsim.ir.analog import Gelu, LayerNorm
from mstsim.ir.attention import Mask

from .onnx_build import model, qcfs_nodes, run_ort
from .ort_check import rel_err

mk = helper.make_node
R = np.random.default_rng(1)


@pytest.mark.parametrize("form", ["floor_then_clip", "clip_then_floor", "reciprocal_minmax", "relu_min"])
def test_qcfs_forms(form):
    nodes, consts = qcfs_nodes("x", "y", lam=1.75, levels=8, form=form)
    m = model(nodes, (2, 5, 7), consts)
    net = from_onnx(m)
    ifs = [n for n in net.graph if isinstance(n, IF)]
    assert len(ifs) == 1 and len(net.graph) == 3
    assert ifs[0].levels == 8 and ifs[0].theta == pytest.approx(1.75, rel=1e-7)
    x = R.uniform(-1, 3, (2, 5, 7)).astype(np.float32)
    assert rel_err(net.run_ann(x, dtype=np.float32), run_ort(m, x)) <= 1e-5


def test_scale_before_qcfs_is_not_absorbed():
    nodes, consts = qcfs_nodes("s", "y", lam=2.0, levels=4)
    m = model([mk("Mul", ["x", "k"], ["s"])] + nodes, (2, 6), {**consts, "k": np.float32(0.3)})
    net = from_onnx(m)
    assert [type(n).__name__ for n in net.graph] == ["Input", "Elementwise", "IF", "Output"]


def _conv_bn(with_pad_between=False):
    c = {"w": R.standard_normal((4, 3, 3, 3)).astype(np.float32), "b": R.standard_normal(4).astype(np.float32),
         "g": (R.random(4) + 0.5).astype(np.float32), "be": R.standard_normal(4).astype(np.float32),
         "mu": R.standard_normal(4).astype(np.float32), "var": (R.random(4) + 0.5).astype(np.float32),
         "pads": np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64)}
    nodes = [mk("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1])]
    src = "c"
    if with_pad_between:
        nodes.append(mk("Pad", ["c", "pads"], ["p"]))
        src = "p"
    nodes.append(mk("BatchNormalization", [src, "g", "be", "mu", "var"], ["bn"]))
    q, qc = qcfs_nodes("bn", "y", lam=2.0, levels=4)
    return model(nodes + q, (2, 3, 6, 6), {**c, **qc})


def test_batchnorm_folds_into_conv():
    m = _conv_bn()
    net = from_onnx(m)
    assert net.patterns["batchnorm"] == 1 and net.patterns["ir"]["batchnorm"] == 1
    assert not any(isinstance(n, ChannelAffine) for n in net.graph)
    assert sum(isinstance(n, Conv2d) for n in net.graph) == 1
    x = R.standard_normal((2, 3, 6, 6)).astype(np.float32)
    ir = net.run_ann(x, dtype=np.float64, keep=True)
    conv = next(n for n in net.graph if isinstance(n, Conv2d))
    from .ort_check import ort_values
    want = ort_values(m, x, [net.tensors[conv.name]])[net.tensors[conv.name]]
    assert rel_err(ir[conv.name], want) <= 1e-6


def test_batchnorm_after_padding_stays_channel_affine():
    net = from_onnx(_conv_bn(with_pad_between=True))  # zero padding then BN: shift lands on the border
    assert sum(isinstance(n, ChannelAffine) for n in net.graph) == 1


def test_batchnorm_folds_into_linear_through_transposes():
    c = {"W": R.standard_normal((6, 8)).astype(np.float32), "bias": R.standard_normal(8).astype(np.float32),
         "g": (R.random(8) + 0.5).astype(np.float32), "be": R.standard_normal(8).astype(np.float32),
         "mu": R.standard_normal(8).astype(np.float32), "var": (R.random(8) + 0.5).astype(np.float32)}
    nodes = [mk("MatMul", ["x", "W"], ["m"]), mk("Add", ["m", "bias"], ["a"]),
             mk("Transpose", ["a"], ["t"], perm=[0, 2, 1]),
             mk("BatchNormalization", ["t", "g", "be", "mu", "var"], ["bn"]),
             mk("Transpose", ["bn"], ["y0"], perm=[0, 2, 1])]
    q, qc = qcfs_nodes("y0", "y", lam=1.0, levels=4)
    m = model(nodes + q, (2, 5, 6), {**c, **qc})
    net = from_onnx(m)
    assert [type(n).__name__ for n in net.graph] == ["Input", "Affine", "IF", "Output"]
    x = R.standard_normal((2, 5, 6)).astype(np.float32)
    assert rel_err(net.run_ann(x, dtype=np.float32), run_ort(m, x)) <= 1e-5


@pytest.mark.parametrize("p", [0.0, 0.6])
@pytest.mark.parametrize("like", [True, False])
def test_rsm_pattern(p, like):
    q, qc = qcfs_nodes("x", "s", lam=1.0, levels=4)
    rnd = (mk("RandomUniformLike", ["s"], ["r"], seed=3.0) if like
           else mk("RandomUniform", [], ["r"], shape=[2, 5, 6], seed=3.0))
    nodes = q + [rnd, mk("Greater", ["r", "p"], ["g"]), mk("Cast", ["g"], ["gf"], to=1),
                 mk("Mul", ["s", "gf"], ["y"])]
    m = model(nodes, (2, 5, 6), {**qc, "p": np.float32(p)})
    net = from_onnx(m)
    masks = [n for n in net.graph if isinstance(n, Mask)]
    assert len(masks) == 1 and masks[0].ratio == pytest.approx(p) and net.patterns["masks"] == 1
    assert net.graph.kinds[masks[0].name] == "event"
    x = R.uniform(0, 1, (2, 5, 6)).astype(np.float32)
    off = net.run_ann(x, rsm={"ratio": 0.0, "sites": "exported"})
    if p == 0:
        np.testing.assert_array_equal(net.run_ann(x), off)
    else:
        # the default seed is simulate's: 0
        np.testing.assert_array_equal(net.run_ann(x), net.run_ann(x, seed=0))
        y = net.run_ann(x, seed=7)
        np.testing.assert_array_equal(y, net.run_ann(x, seed=7))
        assert np.all((y == 0) | (y == off))
        # the mask of sample 1 does not depend on its position in the batch
        np.testing.assert_array_equal(net.run_ann(x[1:], seed=7, sample_ids=[1]), y[1:])


def test_decomposed_layernorm_and_gelu():
    c = {"ax": np.array([-1], np.int64), "two": np.float32(2), "eps": np.float32(1e-5),
         "w": R.standard_normal(6).astype(np.float32), "b": R.standard_normal(6).astype(np.float32),
         "sq2": np.float32(np.sqrt(2)), "one": np.float32(1), "half": np.float32(0.5)}
    ln = [mk("ReduceMean", ["x", "ax"], ["mu"]), mk("Sub", ["x", "mu"], ["d"]), mk("Pow", ["d", "two"], ["d2"]),
          mk("ReduceMean", ["d2", "ax"], ["var"]), mk("Add", ["var", "eps"], ["ve"]), mk("Sqrt", ["ve"], ["sd"]),
          mk("Div", ["d", "sd"], ["n"]), mk("Mul", ["n", "w"], ["nw"]), mk("Add", ["nw", "b"], ["ln"])]
    gelu = [mk("Div", ["ln", "sq2"], ["g1"]), mk("Erf", ["g1"], ["g2"]), mk("Add", ["g2", "one"], ["g3"]),
            mk("Mul", ["ln", "g3"], ["g4"]), mk("Mul", ["g4", "half"], ["g5"])]
    q, qc = qcfs_nodes("g5", "y", lam=1.0, levels=4)
    m = model(ln + gelu + q, (2, 5, 6), {**c, **qc})
    net = from_onnx(m)
    assert net.patterns["layernorm"] == 1 and net.patterns["gelu"] == 1
    assert sum(isinstance(n, LayerNorm) for n in net.graph) == 1
    assert sum(isinstance(n, Gelu) for n in net.graph) == 1
    x = R.standard_normal((2, 5, 6)).astype(np.float32)
    assert rel_err(net.run_ann(x, dtype=np.float32), run_ort(m, x)) <= 1e-5


def test_inspect_lists_ifs_and_warnings():
    c = {"W": R.standard_normal((6, 4)).astype(np.float32)}
    q, qc = qcfs_nodes("m", "s", lam=1.5, levels=4)
    m = model([mk("MatMul", ["x", "W"], ["m"])] + q + [mk("Softmax", ["s"], ["y"], axis=-1)], (2, 3, 6),
              {**c, **qc})
    text = from_onnx(m).inspect()
    assert "IF" in text and "1.5" in text and "not spike-equivalent" in text and "72" in text
