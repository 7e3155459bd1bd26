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
from onnx import helper, numpy_helper, shape_inference
from onnx.reference import ReferenceEvaluator
from onnx.reference.op_run import OpRun
from onnx.reference.ops import load_op

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


#: initializers with more elements than this go to shape inference by type and shape only: no ONNX
#: shape inference reads the values of a tensor that large (shapes, axes, pads and scales are short vectors)
_VALUES_NOT_NEEDED = 1024
#: ... when they hold this many elements in all (below it, copying the nodes costs more than it saves)
_WORTH_LEAVING_OUT = 1 << 20


def infer_shapes_without_weights(model: onnx.ModelProto, **options) -> onnx.ModelProto:
    """``onnx.shape_inference.infer_shapes(model, **options)``, without serialising the weights.

    Inference gets a copy of the model in which every large initializer is
    a graph input of the same type and shape instead; its annotations
    (``value_info`` and the outputs' types) are put on ``model``, which is
    returned. Serialising a model of 100 MB of weights to C++ and back is
    what made inference slow; the annotations are the same.
    """
    sizes = {t.name: int(np.prod(t.dims)) for t in model.graph.initializer}
    big = {name for name, n in sizes.items() if n > _VALUES_NOT_NEEDED}
    if sum(sizes[name] for name in big) < _WORTH_LEAVING_OUT:
        return shape_inference.infer_shapes(model, **options)
    light = _copy_except(model, onnx.ModelProto(), {"graph"})
    _copy_except(model.graph, light.graph, {"initializer"})
    declared = {i.name for i in model.graph.input}  # (an initializer may be an input too: its declaration stays)
    light.graph.input.extend(helper.make_tensor_value_info(t.name, t.data_type, t.dims)
                             for t in model.graph.initializer if t.name in big and t.name not in declared)
    light.graph.initializer.extend(t for t in model.graph.initializer if t.name not in big)
    inferred = shape_inference.infer_shapes(light, **options)
    del model.graph.value_info[:]
    model.graph.value_info.extend(inferred.graph.value_info)
    del model.graph.output[:]
    model.graph.output.extend(inferred.graph.output)
    return model


def _shape_value(node: onnx.NodeProto, shape: tuple[int, ...]) -> np.ndarray:
    if node.op_type == "Size":
        return np.array(int(np.prod(shape)), dtype=np.int64)
    attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    start, end = attrs.get("start", 0), attrs.get("end", len(shape))
    return np.array(shape[slice(start, end)], dtype=np.int64)


def _evaluate(node: onnx.NodeProto, args: list, opsets: dict[str, int], source: str) -> list:
    """Run ``node`` alone on constant inputs with ONNX's reference implementation at the file's opsets.

    The reference op is called directly (what :func:`_evaluate_as_model` does
    inside the evaluator, without building and checking a model per node);
    anything out of the ordinary (a context-dependent op, a subgraph, an
    error) goes the model's way, which gives the same values or the error.
    """
    try:
        return _run_reference_op(node, args, opsets)
    except Exception:  # noqa: BLE001 (rerun as a model: its error is the one reported)
        return _evaluate_as_model(node, args, opsets, source)


#: reference implementations by (op type, opset): loading one costs more than running it
_REFERENCE_OPS: dict[tuple[str, int], type] = {}
_RUN_PARAMS = {"log": lambda pattern, *args: None, "verbose": 0, "new_ops": {}, "existing_functions": {},
               "evaluator_cls": ReferenceEvaluator}


def _run_reference_op(node: onnx.NodeProto, args: list, opsets: dict[str, int]) -> list:
    """What :class:`ReferenceEvaluator` does with a one-node model of ``node``; raises on anything unusual."""
    if node.domain != "" or "" not in opsets:
        raise LookupError("not a plain ai.onnx node")
    feeds = {name: np.asarray(value) for name, value in zip(node.input, args) if name}
    for v in feeds.values():
        helper.np_dtype_to_tensor_dtype(v.dtype)  # the model's input declaration would refuse it
    key = (node.op_type, opsets[""])
    impl = _REFERENCE_OPS.get(key)
    if impl is None:
        impl = load_op("", node.op_type, opsets[""], evaluator_cls=ReferenceEvaluator)
        if not (isinstance(impl, type) and issubclass(impl, OpRun)):
            raise LookupError("implemented as a function")
        _REFERENCE_OPS[key] = impl
    op = impl(node, dict(_RUN_PARAMS, opsets=dict(opsets)))
    if op.need_context() or op.has_linked_attribute:
        raise LookupError("needs the evaluator's context")
    results = {"": None, **feeds}
    results.update(zip(node.output, op.run(*[results[i] for i in node.input])))
    return [results[o] if o else None for o in node.output]


def _evaluate_as_model(node: onnx.NodeProto, args: list, opsets: dict[str, int], source: str) -> list:
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
    remaining nodes read (the file's own tensors as they were, folded
    values as new tensors); the given model is not changed.
    """
    opsets = {("" if o.domain == "ai.onnx" else o.domain): o.version for o in model.opset_import}
    tensors = {t.name: t for t in model.graph.initializer}
    consts = {name: _initializer(t, source) for name, t in tensors.items()}
    decoded = dict(consts)  # a file tensor whose value is still the one read from it is kept as it is
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
    inits = [tensors[name] if decoded.get(name) is v else numpy_helper.from_array(np.asarray(v), name)
             for name, v in consts.items() if name in used]
    folded = _copy_except(model, onnx.ModelProto(), {"graph"})
    _copy_except(model.graph, folded.graph, {"node", "initializer", "input"})
    folded.graph.node.extend(kept)
    folded.graph.initializer.extend(inits)
    names = {t.name for t in inits}
    folded.graph.input.extend(i for i in model.graph.input if i.name not in consts or i.name in names)
    return folded, consts


def _copy_except(src, dst, skip: set[str]):
    """Copy every set field of protobuf message ``src`` into ``dst`` but those named in ``skip``; return ``dst``.

    (A whole-model copy would copy every weight only to delete most of them.)
    """
    for field, value in src.ListFields():
        if field.name in skip:
            continue
        repeated = field.is_repeated if hasattr(field, "is_repeated") else field.label == field.LABEL_REPEATED
        if repeated:
            getattr(dst, field.name).extend(value)
        elif field.type == field.TYPE_MESSAGE:
            getattr(dst, field.name).CopyFrom(value)
        else:
            setattr(dst, field.name, value)
    return dst
