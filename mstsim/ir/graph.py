"""A network: IR nodes in topological order, with their shapes and kinds."""
from __future__ import annotations

from typing import Iterable, Iterator

from .base import Node, Shape
from .errors import GraphError
from .structure import Input, Output


class Graph:
    """A DAG of IR nodes, added in topological order.

    Every node is checked when it is added: its inputs must already be in
    the graph, and its shape and kind (event or analog) are inferred then,
    so a mismatch is reported naming both nodes.

    ``modules`` maps node names to the dotted path of the source module they
    came from (``stages.0.1.attn.q_act``; ``""`` for the model's own forward),
    as an importer found it; nodes it has no path for are absent. It is
    bookkeeping only: nothing in the simulation reads it.
    """

    def __init__(self, nodes: Iterable[Node] = (), *, modules: dict[str, str] | None = None) -> None:
        self._nodes: dict[str, Node] = {}
        self.shapes: dict[str, Shape] = {}
        self.kinds: dict[str, str] = {}
        self.consumers: dict[str, list[str]] = {}
        for node in nodes:
            self.add(node)
        self.modules: dict[str, str] = {k: str(v) for k, v in (modules or {}).items() if k in self._nodes}

    # -- construction ------------------------------------------------------------
    def add(self, node: Node) -> str:
        """Add ``node`` after every node it reads; return its name."""
        if not isinstance(node, Node):
            raise GraphError(f"not an IR node: {node!r}")
        if node.name in self._nodes:
            raise GraphError(f"duplicate node name {node.name!r}")
        for src in node.inputs:
            if src not in self._nodes:
                raise GraphError(f"node {node.name!r} ({type(node).__name__}) reads {src!r}, "
                                 "which is not in the graph yet (nodes are added in topological order)")
        if isinstance(node, Input) and self.inputs:
            raise GraphError(f"node {node.name!r}: the graph already has an input {self.inputs[0].name!r}")
        if isinstance(node, Output) and self.outputs:
            raise GraphError(f"node {node.name!r}: the graph already has an output {self.outputs[0].name!r}")
        in_shapes = [self.shapes[s] for s in node.inputs]
        shape = tuple(int(n) for n in node.infer_shape(in_shapes))
        kind = node.output_kind([self.kinds[s] for s in node.inputs])
        self._nodes[node.name] = node
        self.shapes[node.name] = shape
        self.kinds[node.name] = kind
        self.consumers[node.name] = []
        for src in node.inputs:
            self.consumers[src].append(node.name)
        return node.name

    # -- queries -----------------------------------------------------------------
    def __iter__(self) -> Iterator[Node]:
        return iter(self._nodes.values())

    def __len__(self) -> int:
        return len(self._nodes)

    def __getitem__(self, name: str) -> Node:
        try:
            return self._nodes[name]
        except KeyError:
            raise GraphError(f"no node named {name!r}") from None

    def __contains__(self, name: str) -> bool:
        return name in self._nodes

    @property
    def nodes(self) -> list[Node]:
        return list(self._nodes.values())

    @property
    def inputs(self) -> list[Input]:
        return [n for n in self._nodes.values() if isinstance(n, Input)]

    @property
    def outputs(self) -> list[Output]:
        return [n for n in self._nodes.values() if isinstance(n, Output)]

    def input_node(self) -> Input:
        if not self.inputs:
            raise GraphError("the graph has no Input node")
        return self.inputs[0]

    def output_node(self) -> Output:
        if not self.outputs:
            raise GraphError("the graph has no Output node")
        return self.outputs[0]

    def in_shapes(self, node: Node) -> list[Shape]:
        return [self.shapes[s] for s in node.inputs]

    def in_kinds(self, node: Node) -> list[str]:
        return [self.kinds[s] for s in node.inputs]

    def check_complete(self) -> None:
        """A graph to simulate needs one input and one output."""
        self.input_node()
        self.output_node()

    def summary(self) -> str:
        rows = [f"{n.name:<24} {type(n).__name__:<14} {self.kinds[n.name]:<7} {self.shapes[n.name]}"
                for n in self]
        return "\n".join(rows)
