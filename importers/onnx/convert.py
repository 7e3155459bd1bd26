"""The orchestrator: ONNX model -> IR graph. It never special-cases an op."""
from __future__ import annotations

import onnx

from mstsim.ir import Graph, Input, Output
from mstsim.ir.errors import MstsimError

from . import ops  # noqa: F401  (registers the converters)
from .context import Ctx, Value
from .errors import NoQCFS, OnnxImportError, UnsupportedUse, node_label
from .fold import fold_constants, static_shapes, static_types
from .loader import bind_input_shape, graph_inputs, infer_shapes, load_model
from .patterns import ONNX_PASSES, OnnxView
from .patterns.ir_passes import compose_remaps, fold_batchnorm, fold_bias
from .registry import lookup
from .scopes import fused_modules

NO_QCFS = ("no QCFS activation (lam * clip(floor(x * L / lam + 0.5) / L, 0, 1)) found; this is a plain ANN "
           "and has nothing to convert to spikes. Replace its ReLUs by QCFS and train (or calibrate) before exporting")
#: ops whose integer form (after a Cast to an integer type) rounds differently from the IR's float maths
_INTEGER_INEXACT = {"Div", "Pow", "ReduceMean", "AveragePool", "GlobalAveragePool", "Mod", "Softmax"}
_FLOAT_TYPES = {onnx.TensorProto.FLOAT, onnx.TensorProto.DOUBLE, onnx.TensorProto.FLOAT16,
                onnx.TensorProto.BFLOAT16, None}  # None: type unknown, nothing to object to


def prepare(path_or_model, input_shape=None, *, require_qcfs: bool = False):
    """Load, bind, fold and shape-infer; return (model, consts, shapes, batch, source)."""
    model, source = load_model(path_or_model, needs_op="Floor" if require_qcfs else None, needs_message=NO_QCFS)
    if isinstance(path_or_model, onnx.ModelProto):  # never touch the caller's model (a file's is our own)
        model, given = onnx.ModelProto(), model
        model.CopyFrom(given)  # (not through bytes: serialising 100 MB of weights takes a good part of a second)
    full_in = bind_input_shape(model, input_shape, source)
    consts: dict = {}
    for _ in range(4):  # Shape folding exposes more constants and shapes
        model = infer_shapes(model, source)
        model, consts = fold_constants(model, source)
        if not any(n.op_type in ("Shape", "Size") for n in model.graph.node):
            break
    model = infer_shapes(model, source)
    return model, consts, static_shapes(model), full_in, source


def _convert_node(node: onnx.NodeProto, ctx: Ctx, types: dict) -> list:
    """The values of ``node``'s outputs; every failure becomes an importer error naming file, node and op."""
    where = f"{ctx.source}: {node_label(node)}"
    for o in node.output:
        if o in ctx.shapes and 0 in ctx.shapes[o]:
            raise UnsupportedUse(f"{where}: output {o!r} has the zero-size shape {ctx.shapes[o]}")
        if node.op_type in _INTEGER_INEXACT and types.get(o) not in _FLOAT_TYPES:
            raise UnsupportedUse(f"{where}: computes on {onnx.TensorProto.DataType.Name(types.get(o, 0))} "
                                 "values, whose rounding the simulator's float maths does not reproduce")
    convert_fn = lookup(node, ctx.opsets, ctx.source)
    try:
        result = convert_fn(node, ctx)
    except OnnxImportError:
        raise
    except MstsimError as exc:  # the IR refused the node built from it
        raise UnsupportedUse(f"{where}: {exc}") from None
    except Exception as exc:  # noqa: BLE001 (a converter bug must still name the node, never a traceback)
        raise OnnxImportError(f"{where}: internal error of the importer ({type(exc).__name__}: {exc}); "
                              "please report it with the model") from None
    return result if isinstance(result, list) else [result]


def convert(path_or_model, *, input_shape=None, require_qcfs: bool = True):
    """Convert a model; return (graph, info) where info holds provenance, tensors, pattern counts."""
    model, consts, shapes, full_in, source = prepare(path_or_model, input_shape, require_qcfs=require_qcfs)
    opsets = {("" if o.domain == "ai.onnx" else o.domain): o.version for o in model.opset_import}
    outputs = [o.name for o in model.graph.output]
    if len(outputs) != 1:
        raise UnsupportedUse(f"{source}: the model must have exactly one output, it has {outputs}")
    original = list(model.graph.node)
    view = OnnxView(original, consts, set(outputs), source)
    counts = {name: fn(view, shapes) for name, fn in ONNX_PASSES}
    modules = fused_modules(original, view.nodes)  # before conversion: the passes' chains are still known
    counts["batchnorm"] = sum(n.op_type == "BatchNormalization" for n in view.nodes)
    counts["layernorm"] += sum(n.op_type == "LayerNormalization" for n in view.nodes)
    if require_qcfs and counts["qcfs"] == 0:
        raise NoQCFS(f"{source}: {NO_QCFS}")
    used = {i for n in view.nodes for i in n.input} | set(outputs)
    ctx = Ctx(source, opsets, consts, shapes, full_in[0], used)
    types = static_types(model)
    x = graph_inputs(model)[0].name
    # the IR's own node names go through ctx.fresh like every other, so no tensor name in the file clashes
    in_name = ctx.fresh("input")
    ctx.graph.add(Input(name=in_name, shape=full_in[1:]))
    ctx.provenance[in_name] = x
    ctx.values[x] = Value(in_name, full_in, 0, 1)
    tensors = {in_name: x}
    for node in view.nodes:
        ctx.node, ctx.module = node, modules.get(node.output[0]) if node.output else None
        for name, value in zip(node.output, _convert_node(node, ctx, types)):
            if name and value is not None:
                ctx.values[name] = value
                tensors.setdefault(value.node, name)
    out = ctx.value(outputs[0]) if outputs[0] in ctx.values else None
    if out is None:
        raise UnsupportedUse(f"{source}: the output {outputs[0]!r} does not depend on the input")
    ctx.node, ctx.module = None, None
    out_name = ctx.fresh("output")
    ctx.graph.add(Output(name=out_name, inputs=(out.node,)))
    ctx.provenance[out_name] = outputs[0]
    if ctx.modules:  # the file names modules: its input and output are the model's own
        ctx.modules.update({in_name: "", out_name: ""})
    graph, tensors, counts["ir"] = _ir_passes(ctx.graph, tensors, ctx.modules)
    layouts = {v.node: (v.full, v.bax, v.k) for v in ctx.values.values()}
    layouts[out_name] = (out.full, out.bax, out.k)  # the file's output, even when IR passes drop its node
    info = {"layouts": layouts, "provenance": ctx.provenance, "tensors": tensors, "patterns": counts, "source": source,
            "export_batch": full_in[0], "onnx_input": x, "onnx_output": outputs[0],
            "metadata": {p.key: p.value for p in model.metadata_props}}
    return graph, info


def _ir_passes(graph: Graph, tensors: dict, modules: dict):
    nodes, shapes, done = graph.nodes, dict(graph.shapes), {}
    for name, fn in (("bias", fold_bias), ("batchnorm", fold_batchnorm), ("remaps", compose_remaps)):
        before = nodes
        nodes, tensors, done[name] = fn(nodes, tensors, shapes)
        modules = _carry_modules(before, nodes, modules)
        shapes = dict(Graph(nodes).shapes)
    return Graph(nodes, modules=modules), tensors, done


def _carry_modules(before, after, modules: dict) -> dict:
    """Module paths across an IR pass.

    A node keeps its name's path while its type does not change; one that
    absorbed a node of its own type that it read (composed remaps) gets the
    two paths' common ancestor. A node that took the name of the node reading
    it (a Linear renamed to the BatchNorm or bias add folded into it) keeps
    its own path.
    """
    old = {n.name: n for n in before}
    names = {n.name for n in after}
    out = {}
    for n in after:
        prev = old.get(n.name)
        if prev is None:
            continue
        took = next((old[i] for i in prev.inputs if i not in names and type(old[i]) is type(n)), None)
        path = modules.get(prev.name)
        if type(prev) is not type(n):
            path = modules.get(took.name) if took is not None else path
        elif took is not None and path is not None and took.name in modules:
            path = _common(path, modules[took.name])
        if path is not None:
            out[n.name] = path
    return out


def _common(a: str, b: str) -> str:
    """The deepest module containing both dotted paths."""
    pa, pb = a.split(".") if a else [], b.split(".") if b else []
    n = next((i for i, (x, y) in enumerate(zip(pa, pb)) if x != y), min(len(pa), len(pb)))
    return ".".join(pa[:n])
