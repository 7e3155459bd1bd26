"""The oracle's analog maths against a third implementation, ONNX's reference evaluator.

Each IR analog node is the ONNX op it is imported from; ``onnx.reference``
(pure NumPy, written by the ONNX project) evaluates that op from the
specification. Agreeing with it shows that the oracle's float64 formulas are
the ops' definitions, not a copy of the engine's. Tolerance 1e-13 relative:
both are float64 and sum in different orders. ONNX's reference Erf (hence
Gelu) is a float32-accurate approximation, so there the bound is 1e-6 (the
exact and tanh Gelu differ by 1e-3) and erf is also checked against SciPy's
to 1e-15.
"""
import numpy as np
import pytest
from onnx import TensorProto, helper
from onnx.reference import ReferenceEvaluator
from scipy.special import erf

from mstsim.ir import Graph, Input
from mstsim.ir.analog import ELEMENTWISE, Gelu, LayerNorm, MaxPool2d, Softmax
from mstsim.reference import analog

RNG = np.random.default_rng(0)


def onnx_run(nodes, feeds, opset=20):
    """Evaluate ONNX ``nodes`` (output ``y``) on ``feeds`` with the reference evaluator."""
    types = {np.dtype(np.int64): TensorProto.INT64, np.dtype(bool): TensorProto.BOOL}
    inputs = [helper.make_tensor_value_info(n, types.get(np.asarray(a).dtype, TensorProto.DOUBLE), np.shape(a))
              for n, a in feeds.items()]
    model = helper.make_model(helper.make_graph(nodes, "g", inputs, [helper.make_tensor_value_info(
        "y", TensorProto.UNDEFINED, None)]), opset_imports=[helper.make_opsetid("", opset)])
    return ReferenceEvaluator(model).run(None, feeds)[0]


def onnx_eval(op, inputs, opset=20, **attrs):
    names = [f"i{k}" for k in range(len(inputs))]
    return onnx_run([helper.make_node(op, names, ["y"], **attrs)], dict(zip(names, inputs)), opset)


def close(a, b, rtol=1e-13):
    return np.allclose(a, b, rtol=rtol, atol=rtol * max(1.0, np.abs(b).max()))


@pytest.mark.parametrize("axis", [-1, -2, 1])
def test_softmax(axis):
    x = RNG.normal(0, 3, (2, 3, 4, 5))
    assert close(analog.softmax(Softmax("s", ("x",), axis=axis), x), onnx_eval("Softmax", [x], axis=axis + (axis > 0)))


@pytest.mark.parametrize("axis", [-1, -2])
def test_layer_norm(axis):
    x = RNG.normal(0, 2, (2, 3, 4, 5))
    inner = x.shape[axis:]
    w, b = RNG.normal(1, 0.3, inner), RNG.normal(0, 0.3, inner)
    got = analog.layer_norm(LayerNorm("ln", ("x",), axis=axis, eps=1e-3, weight=w, bias=b), x)
    # ONNX's reference LayerNormalization computes in float32 only: evaluate the op's
    # definition in float64 instead, as the ONNX nodes the legacy exporter writes for it
    axes = np.arange(axis % x.ndim, x.ndim)
    nodes = [helper.make_node("ReduceMean", ["x", "axes"], ["mu"]), helper.make_node("Sub", ["x", "mu"], ["d"]),
             helper.make_node("Mul", ["d", "d"], ["d2"]), helper.make_node("ReduceMean", ["d2", "axes"], ["var"]),
             helper.make_node("Add", ["var", "eps"], ["ve"]), helper.make_node("Sqrt", ["ve"], ["sd"]),
             helper.make_node("Div", ["d", "sd"], ["n"]), helper.make_node("Mul", ["n", "w"], ["nw"]),
             helper.make_node("Add", ["nw", "b"], ["y"])]
    feeds = {"x": x, "axes": axes, "eps": np.array(1e-3), "w": w, "b": b}
    assert close(got, onnx_run(nodes, feeds))


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu(approximate):
    x = RNG.normal(0, 2, (3, 50))
    assert close(analog.gelu(Gelu("g", ("x",), approximate=approximate), x),
                 onnx_eval("Gelu", [x], approximate=approximate), rtol=1e-6)


def test_erf():
    x = RNG.normal(0, 2, 200)
    assert close(analog.erf(x), erf(x), rtol=1e-15)


@pytest.mark.parametrize("kernel, stride, pads, dilation", [((2, 2), (2, 2), (0, 0, 0, 0), (1, 1)),
                                                           ((3, 2), (1, 2), (1, 0, 1, 1), (1, 1)),
                                                           ((2, 3), (2, 1), (0, 1, 0, 1), (2, 1))])
def test_max_pool(kernel, stride, pads, dilation):
    x = RNG.normal(0, 1, (2, 3, 7, 6))
    g = Graph()
    g.add(Input("x", shape=x.shape[1:]))
    g.add(MaxPool2d("p", ("x",), kernel=kernel, stride=stride, padding=pads, dilation=dilation))
    taps = analog.max_pool_taps(g["p"], x.shape[1:], g.shapes["p"])
    got = analog.max_pool(taps, x.reshape(2, -1)).reshape((2,) + g.shapes["p"])
    want = onnx_eval("MaxPool", [x], opset=18, kernel_shape=kernel, strides=stride, dilations=dilation,
                     pads=(pads[0], pads[1], pads[2], pads[3]))
    assert np.array_equal(got, want)


ONNX_OPS = {"add": "Add", "sub": "Sub", "mul": "Mul", "div": "Div", "pow": "Pow", "max": "Max", "min": "Min",
            "equal": "Equal", "greater": "Greater", "less": "Less", "where": "Where", "clip": "Clip", "relu": "Relu",
            "erf": "Erf", "floor": "Floor", "round": "Round", "sqrt": "Sqrt", "exp": "Exp", "tanh": "Tanh",
            "neg": "Neg", "abs": "Abs", "reciprocal": "Reciprocal"}


@pytest.mark.parametrize("op", sorted(analog.OPS))
def test_elementwise_ops(op):
    arity = ELEMENTWISE[op][1]
    # halves and ties for round/floor/trunc, repeated values for equal/max, positive bases for pow/sqrt
    pool = np.array([-2.5, -1.5, -1.0, -0.5, 0.0, 0.5, 1.5, 2.5, 0.3, -0.7, 3.25])
    args = [RNG.choice(pool, size=(4, 6)) for _ in range(arity)]
    if op in ("pow", "sqrt"):
        args[0] = np.abs(args[0]) + 0.25
    if op in ("div", "reciprocal"):
        args[-1] = np.where(args[-1] == 0, 1.25, args[-1])
    got = analog.OPS[op][0](*args)
    if op == "trunc":
        want = np.where(args[0] < 0, -np.floor(-args[0]), np.floor(args[0]))
    elif op == "ne0":
        want = (args[0] != 0).astype(float)
    elif op == "where":
        want = onnx_eval("Where", [args[0] != 0] + args[1:], opset=18)
    elif op == "clip":  # ONNX Clip takes scalar bounds: compare element by element
        want = np.array([[onnx_eval("Clip", [np.array(x), np.array(lo), np.array(hi)])
                          for x, lo, hi in zip(*(a[r] for a in args))] for r in range(4)])
    else:
        want = onnx_eval(ONNX_OPS[op], args, opset=18).astype(float)
    assert close(got, want, rtol=1e-6 if op == "erf" else 1e-13), op
