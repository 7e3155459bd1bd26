"""Constant folding: evaluate every node that depends only on constants.

Initializers, ``Constant`` nodes and ``Shape``/``Size`` of tensors whose
shape is known statically are constants; any node all of whose inputs are
constants is evaluated with ONNX's reference evaluator (at the model's
opset) and removed. Random ops are never folded. What remains is the real
computation on the network input.
"""
from __future__ import annotations

import numpy as np
import onnx
from onnx import helper, numpy_helper
from onnx.reference import ReferenceEvaluator

from .errors import MalformedModel, node_label

#: ops whose output is random: folding them would freeze one draw
RANDOM_OPS = {"RandomUniform", "RandomUniformLike", "RandomNormal", "RandomNormalLike",
              "Multinomial", "Bernoulli", "Dropout"}


def static_shapes(model: onnx.ModelProto) -> dict[str, tuple[int, ...]]:
    """Fully known tensor shapes from the model's value_info, inputs and outputs."""
    out = {}
    for vi in list(model.graph.value_info) + list(model.graph.input) + list(model.graph.output):
        t = vi.type.tensor_type
        if t.HasField("shape") and all(d.HasField("dim_value") for d in t.shape.dim):
            out[vi.name] = tuple(d.dim_value for d in t.shape.dim)
    return out


def static_types(model: onnx.ModelProto) -> dict[str, int]:
    """Element type (``TensorProto`` code) of every tensor whose type is known."""
    out = {t.name: t.data_type for t in model.graph.initializer}
    for vi in list(model.graph.value_info) + list(model.graph.input) + list(model.graph.output):
        if vi.type.WhichOneof("value") == "tensor_type":
            out[vi.name] = vi.type.tensor_type.elem_type
    return out


def _shape_value(node: onnx.NodeProto, shape: tuple[int, ...]) -> np.ndarray:
    if node.op_type == "Size":
        return np.array(int(np.prod(shape)), dtype=np.int64)
    attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    start, end = attrs.get("start", 0), attrs.get("end", len(shape))
    return np.array(shape[slice(start, end)], dtype=np.int64)


def _evaluate(node: onnx.NodeProto, args: list, opsets: dict[str, int], source: str) -> list:
    """Run ``node`` alone on constant inputs, as a one-node model carrying the file's opsets.

    (The reference evaluator given a bare node runs it at the newest
    version of its op, so an opset-9 Unsqueeze with its ``axes`` attribute
    would be run as Unsqueeze-13.)
    """
    try:
        feeds = {name: np.asarray(value) for name, value in zip(node.input, args) if name}
        inputs = [helper.make_tensor_value_info(name, helper.np_dtype_to_tensor_dtype(v.dtype), v.shape)
                  for name, v in feeds.items()]
        outputs = [onnx.ValueInfoProto(name=o) for o in node.output if o]
        graph = helper.make_graph([node], "fold", inputs, outputs)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid(d, v) for d, v in opsets.items()])
        got = ReferenceEvaluator(model).run(None, feeds)
        values = iter(got)
        return [next(values) if o else None for o in node.output]
    except Exception as exc:
        raise MalformedModel(f"{source}: cannot fold {node_label(node)} on constant "
                             f"inputs: {type(exc).__name__}: {str(exc)[:200]}") from None


def _initializer(tensor, source: str) -> np.ndarray:
    try:
        return numpy_helper.to_array(tensor)
    except (ValueError, TypeError) as exc:  # dims that do not match the data, an unknown data type
        raise MalformedModel(f"{source}: initializer {tensor.name!r} cannot be read: {exc}") from None


def fold_constants(model: onnx.ModelProto, source: str) -> tuple[onnx.ModelProto, dict[str, np.ndarray]]:
    """Return the model without its constant subgraphs, and the constants by tensor name.

    The returned model keeps as initializers only the constants its
    remaining nodes read.
    """
    opsets = {("" if o.domain == "ai.onnx" else o.domain): o.version for o in model.opset_import}
    consts = {t.name: _initializer(t, source) for t in model.graph.initializer}
    shapes = static_shapes(model)
    kept = []
    for node in model.graph.node:
        if node.op_type == "Constant" and node.domain in ("", "ai.onnx"):
            consts[node.output[0]] = _evaluate(node, [], opsets, source)[0]
        elif node.op_type in ("Shape", "Size") and node.input[0] in shapes:
            consts[node.output[0]] = _shape_value(node, shapes[node.input[0]])
        elif (node.op_type not in RANDOM_OPS and node.domain in ("", "ai.onnx")
              and all(not i or i in consts for i in node.input) and node.input):
            values = _evaluate(node, [consts.get(i) for i in node.input], opsets, source)
            for name, value in zip(node.output, values):
                if name:
                    consts[name] = np.asarray(value)
        else:
            kept.append(node)
    used = {i for n in kept for i in n.input} | {o.name for o in model.graph.output}
    folded = onnx.ModelProto()
    folded.CopyFrom(model)
    del folded.graph.node[:]
    folded.graph.node.extend(kept)
    del folded.graph.initializer[:]
    folded.graph.initializer.extend(numpy_helper.from_array(np.asarray(v), name)
                                    for name, v in consts.items() if name in used)
    inits = {t.name for t in folded.graph.initializer}
    keep_inputs = [i for i in folded.graph.input if i.name not in consts or i.name in inits]
    del folded.graph.input[:]
    folded.graph.input.extend(keep_inputs)
    return folded, consts
