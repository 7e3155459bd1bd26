"""The orchestrator: ONNX model -> IR graph. It never special-cases an op."""
from __future__ import annotations

import onnx

from mstsim.ir import Graph, Input, Output

from . import ops  # noqa: F401  (registers the converters)
from .context import Ctx, Value
from .errors import NoQCFS, UnsupportedUse
from .fold import fold_constants, static_shapes
from .loader import bind_input_shape, graph_inputs, infer_shapes, load_model
from .patterns import ONNX_PASSES, OnnxView
from .patterns.ir_passes import compose_remaps, fold_batchnorm, fold_bias
from .registry import lookup


def prepare(path_or_model, input_shape=None):
    """Load, bind, fold and shape-infer; return (model, consts, shapes, batch, source)."""
    model, source = load_model(path_or_model)
    model = onnx.ModelProto.FromString(model.SerializeToString())  # never touch the caller's model
    full_in = bind_input_shape(model, input_shape, source)
    consts: dict = {}
    for _ in range(4):  # Shape folding exposes more constants and shapes
        model = infer_shapes(model, source)
        model, consts = fold_constants(model, source)
        if not any(n.op_type in ("Shape", "Size") for n in model.graph.node):
            break
    model = infer_shapes(model, source)
    return model, consts, static_shapes(model), full_in, source


def convert(path_or_model, *, input_shape=None, require_qcfs: bool = True):
    """Convert a model; return (graph, info) where info holds provenance, tensors, pattern counts."""
    model, consts, shapes, full_in, source = prepare(path_or_model, input_shape)
    opsets = {("" if o.domain == "ai.onnx" else o.domain): o.version for o in model.opset_import}
    outputs = [o.name for o in model.graph.output]
    if len(outputs) != 1:
        raise UnsupportedUse(f"{source}: the model must have exactly one output, it has {outputs}")
    view = OnnxView(list(model.graph.node), consts, set(outputs))
    counts = {name: fn(view, shapes) for name, fn in ONNX_PASSES}
    counts["batchnorm"] = sum(n.op_type == "BatchNormalization" for n in view.nodes)
    counts["layernorm"] += sum(n.op_type == "LayerNormalization" for n in view.nodes)
    if require_qcfs and counts["qcfs"] == 0:
        raise NoQCFS(f"{source}: no QCFS activation (lam * clip(floor(x * L / lam + 0.5) / L, 0, 1)) found; "
                     "this is a plain ANN and has nothing to convert to spikes. Replace its ReLUs by "
                     "QCFS and train (or calibrate) before exporting")
    batch = full_in[0]
    ctx = Ctx(source, opsets, consts, shapes, batch)
    x = graph_inputs(model)[0].name
    ctx.graph.add(Input(name="input", shape=full_in[1:]))
    ctx.provenance["input"] = x
    ctx.values[x] = Value("input", full_in, 0, 1)
    tensors = {"input": x}
    for node in view.nodes:
        ctx.node = node
        result = lookup(node, opsets)(node, ctx)
        results = result if isinstance(result, list) else [result]
        for name, value in zip(node.output, results):
            if name and value is not None:
                ctx.values[name] = value
                tensors.setdefault(value.node, name)
    out = ctx.value(outputs[0]) if outputs[0] in ctx.values else None
    if out is None:
        raise UnsupportedUse(f"{source}: the output {outputs[0]!r} does not depend on the input")
    ctx.node = None
    ctx.graph.add(Output(name="output", inputs=(out.node,)))
    ctx.provenance["output"] = outputs[0]
    graph, tensors, counts["ir"] = _ir_passes(ctx.graph, tensors)
    layouts = {v.node: (v.full, v.bax, v.k) for v in ctx.values.values()}
    info = {"layouts": layouts, "provenance": ctx.provenance, "tensors": tensors, "patterns": counts, "source": source,
            "export_batch": batch, "onnx_input": x, "onnx_output": outputs[0],
            "metadata": {p.key: p.value for p in model.metadata_props}}
    return graph, info


def _ir_passes(graph: Graph, tensors: dict):
    nodes, shapes, done = graph.nodes, dict(graph.shapes), {}
    for name, fn in (("bias", fold_bias), ("batchnorm", fold_batchnorm), ("remaps", compose_remaps)):
        nodes, tensors, done[name] = fn(nodes, tensors, shapes)
        shapes = dict(Graph(nodes).shapes)
    return Graph(nodes), tensors, done
