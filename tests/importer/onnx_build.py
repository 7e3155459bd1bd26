"""Build small ONNX models with onnx.helper for the importer tests."""
from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper


def model(nodes, x_shape, consts=None, opset=18, output=None, x_name="x"):
    """A float model with input ``x`` and the given nodes; the output is the last node's first output."""
    consts = consts or {}
    out = output or nodes[-1].output[0]
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info(x_name, TensorProto.FLOAT, list(x_shape))],
        [helper.make_tensor_value_info(out, TensorProto.UNDEFINED, None)],
        initializer=[numpy_helper.from_array(np.asarray(v), k) for k, v in consts.items()])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    m = onnx.shape_inference.infer_shapes(m, strict_mode=True)  # fills the output's type
    onnx.checker.check_model(m, full_check=True)
    return m


def qcfs_nodes(x, out, lam, levels, form="floor_then_clip", prefix="q"):
    """Nodes and constants of a QCFS chain in one of the exporters' forms."""
    p = prefix
    c = {f"{p}_lam": np.float32(lam), f"{p}_L": np.float32(levels), f"{p}_half": np.float32(0.5),
         f"{p}_zero": np.float32(0), f"{p}_one": np.float32(1), f"{p}_rlam": np.float32(1 / lam),
         f"{p}_rL": np.float32(1 / levels)}
    mk = helper.make_node
    if form == "floor_then_clip":
        n = [mk("Div", [x, f"{p}_lam"], [f"{p}1"]), mk("Mul", [f"{p}1", f"{p}_L"], [f"{p}2"]),
             mk("Add", [f"{p}2", f"{p}_half"], [f"{p}3"]), mk("Floor", [f"{p}3"], [f"{p}4"]),
             mk("Div", [f"{p}4", f"{p}_L"], [f"{p}5"]), mk("Clip", [f"{p}5", f"{p}_zero", f"{p}_one"], [f"{p}6"]),
             mk("Mul", [f"{p}6", f"{p}_lam"], [out])]
    elif form == "clip_then_floor":
        n = [mk("Div", [x, f"{p}_lam"], [f"{p}1"]), mk("Clip", [f"{p}1", f"{p}_zero", f"{p}_one"], [f"{p}2"]),
             mk("Mul", [f"{p}_L", f"{p}2"], [f"{p}3"]), mk("Add", [f"{p}3", f"{p}_half"], [f"{p}4"]),
             mk("Floor", [f"{p}4"], [f"{p}5"]), mk("Div", [f"{p}5", f"{p}_L"], [f"{p}6"]),
             mk("Mul", [f"{p}6", f"{p}_lam"], [out])]
    elif form == "reciprocal_minmax":
        n = [mk("Mul", [x, f"{p}_rlam"], [f"{p}1"]), mk("Mul", [f"{p}1", f"{p}_L"], [f"{p}2"]),
             mk("Add", [f"{p}2", f"{p}_half"], [f"{p}3"]), mk("Floor", [f"{p}3"], [f"{p}4"]),
             mk("Mul", [f"{p}4", f"{p}_rL"], [f"{p}5"]), mk("Max", [f"{p}5", f"{p}_zero"], [f"{p}6"]),
             mk("Min", [f"{p}6", f"{p}_one"], [f"{p}7"]), mk("Mul", [f"{p}_lam", f"{p}7"], [out])]
    elif form == "relu_min":
        n = [mk("Div", [x, f"{p}_lam"], [f"{p}1"]), mk("Relu", [f"{p}1"], [f"{p}2"]),
             mk("Min", [f"{p}2", f"{p}_one"], [f"{p}3"]), mk("Mul", [f"{p}3", f"{p}_L"], [f"{p}4"]),
             mk("Add", [f"{p}4", f"{p}_half"], [f"{p}5"]), mk("Floor", [f"{p}5"], [f"{p}6"]),
             mk("Div", [f"{p}6", f"{p}_L"], [f"{p}7"]), mk("Mul", [f"{p}7", f"{p}_lam"], [out])]
    else:
        raise ValueError(form)
    return n, c


def run_ort(m, x):
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(m.SerializeToString(), opts, providers=["CPUExecutionProvider"])
    return sess.run(None, {sess.get_inputs()[0].name: x.astype(np.float32)})[0]
