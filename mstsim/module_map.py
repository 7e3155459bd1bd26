"""Where each node of a graph came from: its module path, its part of an attention, its op.

The importer records each node's source module in ``Graph.modules``
(``stages.0.1.attn.q_act``). :func:`node_modules` completes that for a
graph derived from the imported one (masks inserted by
:func:`mstsim.rsm.configure_rsm` belong to the module of the spikes they
mask) and splits every attention module into the parts of the MST
attention, found from the data flow around its two spike products:

``qkv``
    the input projection(s), reshapes, and the q, k, v neurons;
``qkT``
    the masks and transposes of q and k, and the product ``q k^T``;
``scores``
    the scaling, the score neurons and their mask, the position bias and
    shift mask, the softmax;
``Pv``
    the transposes of v, the product ``P v`` and the neurons after it;
``proj``
    the output projection and everything after it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .ir import IF, Graph
from .ir.attention import Mask, MatMul

PARTS = ("qkv", "qkT", "scores", "Pv", "proj")
SYNAPTIC_OPS = ("Affine", "Conv2d")


@dataclass
class NodeModules:
    """Per node name: module path (absent: unknown; ``""``: the model's own forward),
    attention part (nodes inside an attention module only) and IR op type."""

    paths: dict[str, str] = field(default_factory=dict)
    parts: dict[str, str] = field(default_factory=dict)
    ops: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.paths)

    def attention_modules(self) -> set[str]:
        """Paths of the attention modules (those holding a ``qkT`` product)."""
        return {self.paths[n] for n, p in self.parts.items() if p == "qkT" and self.ops.get(n) == "MatMul"}


def _inside(path: str | None, root: str) -> bool:
    return path is not None and (path == root or path.startswith(root + "."))


def _closure(graph: Graph, start: str, members: set[str], forward: bool) -> set[str]:
    """Descendants (or ancestors) of ``start`` among ``members``, ``start`` excluded."""
    seen, todo = set(), [start]
    while todo:
        name = todo.pop()
        nxt = graph.consumers[name] if forward else graph[name].inputs
        for m in nxt:
            if m in members and m not in seen:
                seen.add(m)
                todo.append(m)
    return seen


def _split_attention(graph: Graph, paths: dict[str, str], root: str) -> dict[str, str]:
    """The part of every node inside attention module ``root`` (empty if it has no q k^T -> P v pair)."""
    members = {n.name for n in graph if _inside(paths.get(n.name), root)}
    products = [n.name for n in graph if isinstance(n, MatMul) and paths.get(n.name) == root]
    pair = next(((a, b) for a in products for b in products if b in _closure(graph, a, members, True)), None)
    if pair is None:
        return {}
    qk, pv = pair
    after_qk, after_pv = _closure(graph, qk, members, True), _closure(graph, pv, members, True)
    before_qk, before_pv = _closure(graph, qk, members, False), _closure(graph, pv, members, False)
    proj = set()
    for s in after_pv:
        if type(graph[s]).__name__ in SYNAPTIC_OPS:
            proj |= {s} | _closure(graph, s, members, True)
    after_if = set()
    for s in members:
        if isinstance(graph[s], IF) and s not in after_qk:
            after_if |= _closure(graph, s, members, True)
    out = {qk: "qkT", pv: "Pv"}
    for name in members - {qk, pv}:
        if name in proj:
            out[name] = "proj"
        elif name in after_pv:
            out[name] = "Pv"
        elif name in after_qk:
            out[name] = "scores"
        elif name not in after_if:
            out[name] = "qkv"  # the projection, its reshapes and the q, k, v neurons
        elif name in before_qk:
            out[name] = "qkT"
        elif name in before_pv:
            out[name] = "Pv"
        else:
            out[name] = "qkv"
    return out


def node_modules(graph: Graph, paths: dict[str, str] | None = None) -> NodeModules:
    """The :class:`NodeModules` of ``graph``.

    Parameters
    ----------
    graph : Graph
        The graph that runs (possibly configured with masks, or fed events).
    paths : dict, optional
        Node -> module path of the imported graph it was derived from
        (default ``graph.modules``). A Mask without a path (inserted after
        import) takes the path of the node it masks.

    Returns
    -------
    NodeModules (empty when no node has a path: the file named no modules).
    """
    paths = dict(graph.modules if paths is None else paths)
    paths = {n: p for n, p in paths.items() if n in graph}
    if not paths:
        return NodeModules()
    for node in graph:
        if node.name not in paths and isinstance(node, Mask) and node.inputs[0] in paths:
            paths[node.name] = paths[node.inputs[0]]
    parts: dict[str, str] = {}
    roots = {paths[n.name] for n in graph if isinstance(n, MatMul) and paths.get(n.name)}  # not the root's own
    for root in sorted(roots, key=lambda r: r.count(".")):
        parts.update(_split_attention(graph, paths, root))
    return NodeModules(paths=paths, parts=parts, ops={n.name: type(n).__name__ for n in graph})
