"""Compare an imported network's ANN mode with onnxruntime, layer by layer."""
from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort

from mstsim.importers.onnx.convert import prepare


def disable_masks(model: onnx.ModelProto) -> onnx.ModelProto:
    """Copy of ``model`` whose RSM comparisons ``rand > p`` become ``rand > -1`` (keep all)."""
    m = onnx.ModelProto.FromString(model.SerializeToString())
    producers = {o: n for n in m.graph.node for o in n.output}
    for n in m.graph.node:
        if n.op_type == "Greater":
            src = producers.get(n.input[0])
            while src is not None and src.op_type in ("Cast", "Identity"):
                src = producers.get(src.input[0])
            if src is not None and src.op_type.startswith("RandomUniform"):
                name = n.name + "_keep_all"
                m.graph.initializer.append(onnx.numpy_helper.from_array(np.array(-1.0, np.float32), name))
                n.input[1] = name
    return m


def ort_values(model: onnx.ModelProto, x: np.ndarray, names: list[str], input_shape=None) -> dict:
    """onnxruntime's values of tensors ``names`` (added as outputs, optimisations off)."""
    inferred = prepare(model, input_shape)[0]  # static shapes/types of every tensor
    types = {vi.name: vi for vi in list(inferred.graph.value_info) + list(inferred.graph.output)}
    m = onnx.ModelProto.FromString(model.SerializeToString())
    have = {o.name for o in m.graph.output}
    for name in names:
        if name not in have and name in types:
            m.graph.output.append(types[name])
            have.add(name)
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    opts.log_severity_level = 3  # the masked copies leave unused initializers behind
    sess = ort.InferenceSession(m.SerializeToString(), opts, providers=["CPUExecutionProvider"])
    outs = [o.name for o in sess.get_outputs() if o.name in set(names)]
    feed = {sess.get_inputs()[0].name: x.astype(np.float32)}
    return dict(zip(outs, sess.run(outs, feed)))


def rel_err(got: np.ndarray, want: np.ndarray) -> float:
    """Normwise relative error ``max|got - want| / max(max|want|, 1e-12)``."""
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    return float(np.max(np.abs(got - want)) / max(np.max(np.abs(want)), 1e-12)) if want.size else 0.0


def compare(net, model: onnx.ModelProto, x: np.ndarray, input_shape=None) -> dict[str, float]:
    """Relative error of every IR node that maps to an ONNX tensor, in float32."""
    ir = net.run_ann(x, dtype=np.float32, keep=True, rsm={"ratio": 0.0, "sites": "exported"})
    names = [t for n, t in net.tensors.items() if n in ir]
    want = ort_values(disable_masks(model), x, names, input_shape)
    errs = {}
    for node, tensor in net.tensors.items():
        if tensor in want and node in ir:
            errs[tensor] = rel_err(ir[node], net.per_sample(node, want[tensor]))
    return errs
