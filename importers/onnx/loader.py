"""Load, check and shape-annotate an ONNX model.

External data is only read from inside the model's own folder, the model
must pass ``onnx.checker`` with ``full_check``, dynamic dimensions are
bound from ``input_shape`` and shapes are inferred with data propagation.
"""
from __future__ import annotations

import os
from pathlib import Path

import onnx
from onnx import external_data_helper

from .errors import MalformedModel, NoQCFS, UnsafeExternalData, UnsupportedUse
from .fold import infer_shapes_without_weights
from .registry import MAX_OPSET


def _check_external_paths(model: onnx.ModelProto, folder: Path, source: str) -> None:
    root = folder.resolve()
    for tensor in external_data_helper._get_all_tensors(model):
        if not external_data_helper.uses_external_data(tensor):
            continue
        info = {e.key: e.value for e in tensor.external_data}
        target = (root / info.get("location", "")).resolve()
        if os.path.isabs(info.get("location", "")) or root not in target.parents:
            raise UnsafeExternalData(
                f"{source}: tensor {tensor.name!r} stores its data at {info.get('location')!r}, "
                f"outside the model's folder {str(root)!r}; refusing to read it")


def load_model(path_or_model, *, needs_op: str | None = None, needs_message: str = "") -> tuple[onnx.ModelProto, str]:
    """Read and check a model.

    Parameters
    ----------
    path_or_model : str, Path or onnx.ModelProto
    needs_op : str, optional
        Refuse with :class:`NoQCFS` (``needs_message``) a model without any
        node of this op type, before its external data is read and before
        the checker runs (a plain ReLU model is refused in a moment, whatever
        its size).

    Returns
    -------
    (model, source) : the checked model and a name for messages (its path).
    """
    if isinstance(path_or_model, onnx.ModelProto):
        model, source = path_or_model, "<in-memory model>"
    else:
        path = Path(path_or_model)
        source = str(path)
        if not path.is_file():
            raise MalformedModel(f"{source}: no such file")
        try:
            model = onnx.load(str(path), load_external_data=False)
        except Exception as exc:  # protobuf DecodeError and friends
            raise MalformedModel(f"{source}: not a readable ONNX model ({type(exc).__name__}: "
                                 f"{str(exc)[:200] or 'cannot parse'})") from None
        _check_external_paths(model, path.parent, source)
        _check_needs(model, needs_op, needs_message, source)
        try:
            external_data_helper.load_external_data_for_model(model, str(path.parent))
        except Exception as exc:
            raise MalformedModel(f"{source}: cannot read external data ({exc})") from None
    if not model.graph.node:
        raise MalformedModel(f"{source}: the model has no nodes (empty or truncated file?)")
    _check_needs(model, needs_op, needs_message, source)
    check_opsets(model, source)
    try:
        onnx.checker.check_model(model, full_check=True)
    except Exception as exc:
        raise MalformedModel(f"{source}: fails the ONNX checker: {str(exc).strip()[:500]}") from None
    return model, source


def _check_needs(model: onnx.ModelProto, op: str | None, message: str, source: str) -> None:
    if op is None or not model.graph.node:
        return
    nodes = list(model.graph.node) + [n for f in model.functions for n in f.node]
    if not any(n.op_type == op for n in nodes):
        raise NoQCFS(f"{source}: {message}")


def check_opsets(model: onnx.ModelProto, source: str) -> None:
    """Refuse an ai.onnx opset newer than the converters know (:data:`registry.MAX_OPSET`)."""
    for o in model.opset_import:
        if o.domain in ("", "ai.onnx") and o.version > MAX_OPSET:
            raise UnsupportedUse(f"{source}: the model uses ai.onnx opset {o.version}, newer than the newest this "
                                 f"importer knows ({MAX_OPSET}); export with opset_version={MAX_OPSET} or lower")


def bind_input_shape(model: onnx.ModelProto, input_shape, source: str) -> tuple[int, ...]:
    """Fix the graph input's dimensions; return its full shape (batch first).

    ``input_shape`` may be the full shape or the per-sample shape (then a
    dynamic batch is bound to 2 and a fixed one is kept). A dynamic batch
    axis is bound to 2 without ``input_shape`` too; other dynamic axes need it.
    """
    inputs = graph_inputs(model)
    if len(inputs) != 1:
        raise UnsupportedUse(f"{source}: the model must have exactly one input, it has "
                             f"{[i.name for i in inputs]}")
    _check_input_type(inputs[0], source)
    dims = inputs[0].type.tensor_type.shape.dim
    if input_shape is not None:
        want = [int(n) for n in input_shape]
        if len(want) == len(dims) - 1:
            batch = dims[0].dim_value if dims[0].HasField("dim_value") else 2
            want = [batch] + want
        if len(want) != len(dims):
            raise UnsupportedUse(f"{source}: input_shape {tuple(input_shape)} does not fit input "
                                 f"{inputs[0].name!r} of rank {len(dims)}")
        for d, n in zip(dims, want):
            if d.HasField("dim_value") and d.dim_value != n:
                raise UnsupportedUse(f"{source}: input_shape {tuple(want)} conflicts with the fixed "
                                     f"input shape {[x.dim_value or x.dim_param for x in dims]}")
            d.Clear()
            d.dim_value = n
    # a dynamic batch alone needs no help: batching is mstsim's own, the graph is per sample
    if dims and not dims[0].HasField("dim_value") and all(d.HasField("dim_value") for d in dims[1:]):
        dims[0].Clear()
        dims[0].dim_value = 2
    unknown = [d.dim_param or "?" for d in dims if not d.HasField("dim_value")]
    if unknown:
        raise UnsupportedUse(f"{source}: input {inputs[0].name!r} has dynamic dimensions {unknown}; "
                             "pass input_shape= to bind them")
    full = tuple(d.dim_value for d in dims)
    if len(full) < 2 or 0 in full:
        raise UnsupportedUse(f"{source}: input {inputs[0].name!r} has shape {full}; mstsim needs a batch axis "
                             "first and a non-empty per-sample shape, e.g. (B, C, H, W) or (B, features)")
    return full


def _check_input_type(vi, source: str) -> None:
    """The input must be a tensor of numbers (not a sequence, map or optional; not strings)."""
    kind = vi.type.WhichOneof("value")
    if kind != "tensor_type":
        raise UnsupportedUse(f"{source}: input {vi.name!r} is of kind {kind.replace('_type', '')!r}, not a tensor; "
                             "mstsim feeds one tensor of samples")
    elem = vi.type.tensor_type.elem_type
    if elem in (onnx.TensorProto.STRING, onnx.TensorProto.UNDEFINED) or not vi.type.tensor_type.HasField("shape"):
        raise UnsupportedUse(f"{source}: input {vi.name!r} has element type "
                             f"{onnx.TensorProto.DataType.Name(elem)} or no shape; mstsim feeds numbers "
                             "of a known rank")


def graph_inputs(model: onnx.ModelProto) -> list:
    inits = {t.name for t in model.graph.initializer}
    return [i for i in model.graph.input if i.name not in inits]


def infer_shapes(model: onnx.ModelProto, source: str) -> onnx.ModelProto:
    """Shape inference with data propagation (strict: errors are reported).

    Earlier annotations are dropped first: the exporter's (and a previous
    pass's) hold symbolic sizes that inference would keep instead of the
    sizes that binding the input and folding constants now determine.
    """
    del model.graph.value_info[:]
    for out in model.graph.output:
        for d in out.type.tensor_type.shape.dim:
            if not d.HasField("dim_value"):
                d.Clear()
    try:
        return infer_shapes_without_weights(model, check_type=True, strict_mode=True, data_prop=True)
    except Exception as exc:
        raise MalformedModel(f"{source}: shape inference failed: {str(exc).strip()[:500]}") from None
