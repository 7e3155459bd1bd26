"""The torch module each ONNX node came from, as a dotted path (``stages.0.1.attn.q_act``).

The legacy (TorchScript) exporter writes it into node names,
``/stages/stages.0/stages.0.1/attn/q_act/Div`` or ``/layer2/downsample/downsample.0/Conv``:
one segment per called module, its attribute name followed by the indices
of list children. The dynamo exporter
writes node metadata: ``pkg.torch.onnx.name_scopes`` (``['', 'layers.0', 'linear_1']``:
the root's empty name, the modules, then the op) or ``namespace``
(``": MST/stages: Sequential/stages.0: Sequential/.../div_2: aten.div.Tensor"``,
a ``name: class`` pair per module, then the op).

A path of ``""`` means the node belongs to the model's own ``forward``;
``None`` means the file does not say.
"""
from __future__ import annotations

import ast
from collections import Counter

import onnx


def _join(segments) -> str:
    """Dotted path of scope segments.

    A segment is a module's attribute name followed by the indices of list
    children (``attn``, ``stages.0.0``, ``downsample.0``): it continues the
    path where its leading names repeat the path's last ones, else extends it.
    """
    path: list[str] = []
    for seg in segments:
        parts = [p for p in seg.split(".") if p]
        if not parts:
            continue
        k = next((k for k in range(min(len(path), len(parts) - 1), 0, -1) if path[-k:] == parts[:k]), 0)
        path = path[:len(path) - k] + parts
    return ".".join(path)


def _from_name_scopes(value: str) -> str | None:
    try:
        scopes = ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return None
    if not isinstance(scopes, (list, tuple)) or not scopes or not all(isinstance(s, str) for s in scopes):
        return None
    return _join(scopes[:-1])  # the last name is the op's own


def _from_namespace(value: str) -> str | None:
    parts = value.split("/")
    if len(parts) < 2 or not all(":" in p for p in parts):
        return None
    return _join(p.split(":", 1)[0].strip() for p in parts[:-1])  # the last pair is the op itself


def node_module(node: onnx.NodeProto) -> str | None:
    """The module path of one node (None: the file does not say)."""
    meta = {p.key: p.value for p in node.metadata_props}
    if "pkg.torch.onnx.name_scopes" in meta:
        found = _from_name_scopes(meta["pkg.torch.onnx.name_scopes"])
        if found is not None:
            return found
    if "namespace" in meta:
        found = _from_namespace(meta["namespace"])
        if found is not None:
            return found
    if node.name.startswith("/"):  # legacy scoped name: module segments, then the op's own name
        return _join(node.name.strip("/").split("/")[:-1])
    return None


_SYNAPTIC = ("Conv", "ConvTranspose", "Gemm", "MatMul")


def _weight_owner(node: onnx.NodeProto, scope: str | None) -> str | None:
    """The module owning a synaptic node's weight, where its scope names a sibling.

    The dynamo exporter's optimiser folds BatchNorm into the Conv before it
    and the Conv keeps the BatchNorm's scope (``features.1``), while its
    weight keeps the parameter's name (``features.0.weight``), which is
    where the legacy exporter's fused Conv sits too.
    """
    if scope is None or node.op_type not in _SYNAPTIC or len(node.input) < 2:
        return scope
    owner = node.input[1].removesuffix(".weight")
    if owner == node.input[1] or not all(p.isidentifier() or p.isdigit() for p in owner.split(".")):
        return scope
    same_parent = owner.rpartition(".")[0] == scope.rpartition(".")[0]
    return owner if same_parent and owner != scope else scope


def producers(nodes) -> dict[str, onnx.NodeProto]:
    return {o: n for n in nodes for o in n.output if o}


def _signature(node: onnx.NodeProto) -> tuple:
    return node.domain, node.op_type, tuple(node.input), tuple(node.output)


def fused_modules(original, final) -> dict[str, str]:
    """Output tensor -> module path of every node of ``final`` (original or fused).

    A fused node (a pattern pass replaced a chain) takes the module most of
    its chain's nodes came from (ties: the chain's last node), so a QCFS
    whose chain reaches one op outside the QCFS module still belongs to it.
    The chain is found from the original graph: the replaced nodes between
    the fused node's inputs and its output. Nodes are matched by op, inputs
    and outputs, never by object identity, so passes may copy nodes.
    """
    kept = {_signature(n) for n in final}
    made = producers(original)
    out: dict[str, str] = {}
    for node in final:
        if not node.output or not node.output[0]:
            continue
        same = made.get(node.output[0])
        chain = [same] if same is not None and _signature(same) == _signature(node) else _chain(node, made, kept)
        found = [m for m in (_weight_owner(n, node_module(n)) for n in chain) if m is not None]
        if found:
            counts = Counter(found)
            best = max(counts.values())
            out[node.output[0]] = next(m for m in found if counts[m] == best)
    return out


def _chain(fused: onnx.NodeProto, made: dict, kept: set) -> list:
    """The replaced original nodes computing ``fused``'s output from its inputs, last first."""
    stop = set(fused.input)
    todo = [t for t in fused.output if t in made]
    seen, chain = set(), []
    while todo:
        t = todo.pop(0)
        n = made.get(t)
        if t in stop or n is None or _signature(n) in kept or t in seen:
            continue
        seen.update(n.output)
        chain.append(n)
        todo.extend(n.input)
    return chain
