"""One-node models of every supported op: ANN mode matches onnxruntime within 1e-5 relative."""
import numpy as np
import pytest
from onnx import helper

from mstsim.importers.onnx import from_onnx

from .onnx_build import model, run_ort
from .ort_check import rel_err

mk = helper.make_node
R = np.random.default_rng(0)  # fixed seed: every test model is reproducible


def f32(*shape):
    return R.standard_normal(shape).astype(np.float32)


C = {"w": f32(4, 3, 3, 3), "b": f32(4), "W": f32(5, 6), "W2": f32(6, 5), "c6": f32(6), "s": np.float32(0.7),
     "ax": np.array([1], np.int64), "ax2": np.array([-1], np.int64),
     "shape": np.array([2, 4, 3], np.int64), "sh0": np.array([0, -1], np.int64),
     "st": np.array([0], np.int64), "en": np.array([5], np.int64), "ax3": np.array([2], np.int64),
     "idx": np.array([2, 0, 1], np.int64), "pads": np.array([0, 0, 1, 2, 0, 0, 0, 1], np.int64),
     "expand": np.array([2, 3, 4, 4], np.int64), "split": np.array([2, 4], np.int64),
     "gamma": f32(3) + 2, "beta": f32(3), "mean": f32(3), "var": np.abs(f32(3)) + 0.5,
     "lnw": f32(6), "lnb": f32(6), "lo": np.float32(-0.3), "hi": np.float32(0.4), "cm": f32(4, 4),
     "cond": (R.random((4, 6)) > 0.5), "b5": f32(5)}
X4, X3 = (2, 3, 4, 4), (2, 4, 6)

CASES = {
    "Conv": ([mk("Conv", ["x", "w", "b"], ["y"], pads=[1, 0, 1, 2], strides=[1, 2])], X4),
    "Gemm": ([mk("Gemm", ["x", "W", "b5"], ["y"], transB=1, alpha=0.5, beta=2.0)], (2, 6)),
    "MatMul_const_right": ([mk("MatMul", ["x", "W2"], ["y"])], X3),
    "MatMul_const_left": ([mk("MatMul", ["cm", "x"], ["y"])], X3),
    "MatMul_dynamic": ([mk("Transpose", ["x"], ["t"], perm=[0, 2, 1]), mk("MatMul", ["x", "t"], ["y"])], X3),
    "Add": ([mk("Add", ["x", "c6"], ["y"])], X3), "Add_dyn": ([mk("Add", ["x", "x"], ["y"])], X3),
    "Sub": ([mk("Sub", ["c6", "x"], ["y"])], X3), "Mul": ([mk("Mul", ["x", "s"], ["y"])], X3),
    "Div": ([mk("Div", ["x", "s"], ["y"])], X3), "Mul_dyn": ([mk("Mul", ["x", "x"], ["y"])], X3),
    "BatchNormalization": ([mk("BatchNormalization", ["x", "gamma", "beta", "mean", "var"], ["y"])], X4),
    "Relu": ([mk("Relu", ["x"], ["y"])], X3), "Clip": ([mk("Clip", ["x", "lo", "hi"], ["y"])], X3),
    "Floor": ([mk("Floor", ["x"], ["y"])], X3), "Round": ([mk("Round", ["x"], ["y"])], X3),
    "Reshape": ([mk("Reshape", ["x", "sh0"], ["y"])], X3),
    "Flatten": ([mk("Flatten", ["x"], ["y"], axis=1)], X4),
    "Transpose": ([mk("Transpose", ["x"], ["y"], perm=[0, 2, 3, 1])], X4),
    "Slice": ([mk("Slice", ["x", "st", "en", "ax3"], ["y"])], X3),
    "Concat": ([mk("Concat", ["x", "x"], ["y"], axis=-1)], X3),
    "Split": ([mk("Split", ["x", "split"], ["a", "y"], axis=2)], X3),
    "Gather": ([mk("Gather", ["x", "idx"], ["y"], axis=2)], X3),
    "Squeeze": ([mk("Unsqueeze", ["x", "ax"], ["u"]), mk("Squeeze", ["u", "ax"], ["y"])], X3),
    "Unsqueeze": ([mk("Unsqueeze", ["x", "ax"], ["y"])], X3),
    "Expand": ([mk("Expand", ["x", "expand"], ["y"])], (2, 1, 4, 4)),
    "Pad": ([mk("Pad", ["x", "pads"], ["y"])], X4),
    "Identity": ([mk("Identity", ["x"], ["i"]), mk("Relu", ["i"], ["y"])], X3),
    "Dropout": ([mk("Dropout", ["x"], ["i"]), mk("Relu", ["i"], ["y"])], X3),
    "Cast": ([mk("Cast", ["x"], ["i"], to=11), mk("Cast", ["i"], ["y"], to=1)], X3),
    "Softmax": ([mk("Softmax", ["x"], ["y"], axis=-1)], X3),
    "LayerNormalization": ([mk("LayerNormalization", ["x", "lnw", "lnb"], ["y"], axis=-1, epsilon=1e-3)], X3),
    "ReduceMean": ([mk("ReduceMean", ["x", "ax2"], ["y"], keepdims=0)], X3),
    "GlobalAveragePool": ([mk("GlobalAveragePool", ["x"], ["y"])], X4),
    "AveragePool": ([mk("AveragePool", ["x"], ["y"], kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[2, 2])], X4),
    "MaxPool": ([mk("MaxPool", ["x"], ["y"], kernel_shape=[2, 2], strides=[2, 2])], X4),
    "Erf": ([mk("Erf", ["x"], ["y"])], X3),
    "Where": ([mk("Greater", ["x", "s"], ["g"]), mk("Where", ["g", "x", "c6"], ["y"])], X3),
    "Where_const_cond": ([mk("Where", ["cond", "x", "s"], ["y"])], X3),
    "Equal": ([mk("Round", ["x"], ["r"]), mk("Equal", ["r", "s"], ["e"]), mk("Cast", ["e"], ["y"], to=1)], X3),
    "Greater": ([mk("Greater", ["x", "c6"], ["g"]), mk("Cast", ["g"], ["y"], to=1)], X3),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_one_node(name):
    nodes, shape = CASES[name]
    used = {i for n in nodes for i in n.input}
    m = model(nodes, shape, {k: v for k, v in C.items() if k in used})
    x = f32(*shape)
    net = from_onnx(m, require_qcfs=False)
    got = net.run_ann(x, dtype=np.float32)
    want = run_ort(m, x)
    want = net.per_sample(net.graph.output_node().name, want)
    assert rel_err(got, want) <= 1e-5


def _as_strided_pool(batch: int, idx: np.ndarray):
    """Dynamo's AdaptiveAvgPool1d: mean -> flat (B*C,) -> Gather(b*C + c) -> Squeeze."""
    nodes = [mk("ReduceMean", ["x", "ax2"], ["m"], keepdims=1), mk("Reshape", ["m", "flat"], ["f"]),
             mk("Gather", ["f", "idx"], ["g"], axis=0, name="node_as_strided"), mk("Squeeze", ["g", "ax2"], ["y"])]
    return model(nodes, (batch, 4, 5), {"ax2": C["ax2"], "flat": np.array([-1], np.int64), "idx": idx})


@pytest.mark.parametrize("batch", [1, 3])
def test_batch_axis_gather_that_stays_per_sample(batch):
    m = _as_strided_pool(batch, np.arange(batch * 4, dtype=np.int64).reshape(batch, 4, 1))
    x = f32(batch, 4, 5)
    net = from_onnx(m, require_qcfs=False)
    assert net.graph.shapes[net.graph.output_node().name] == (4,)
    assert rel_err(net.run_ann(x, dtype=np.float32), run_ort(m, x)) <= 1e-6


def test_batch_axis_gather_that_mixes_samples_is_refused():
    from mstsim.importers.onnx import BatchError
    swapped = np.arange(12, dtype=np.int64).reshape(3, 4, 1)[::-1].copy()  # sample b reads sample 2 - b
    with pytest.raises(BatchError, match=r"node 'node_as_strided' \(Gather\): gathers along the batch axis 0"
                                         r" of shape \(12,\) with indices that mix samples"):
        from_onnx(_as_strided_pool(3, swapped), require_qcfs=False)


def test_gelu_opset20():
    m = model([mk("Gelu", ["x"], ["y"])], X3, opset=20)
    x = f32(*X3)
    assert rel_err(from_onnx(m, require_qcfs=False).run_ann(x, dtype=np.float32), run_ort(m, x)) <= 1e-5
