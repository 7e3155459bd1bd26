"""A read-only view of an ONNX node list for pattern matching, and node replacement."""
from __future__ import annotations

import numpy as np
import onnx
from onnx import helper


class OnnxView:
    """Producers, consumers and constants of a topologically ordered node list."""

    def __init__(self, nodes: list[onnx.NodeProto], consts: dict[str, np.ndarray], outputs: set[str],
                 source: str = "<model>"):
        self.nodes, self.consts, self.outputs, self.source = list(nodes), consts, outputs, source
        self.producer: dict[str, onnx.NodeProto] = {}
        self.consumers: dict[str, list[onnx.NodeProto]] = {}
        self._rank: dict[int, int] = {}  # id(node) -> a key that orders the nodes as self.nodes does
        for rank, node in enumerate(self.nodes):
            self._rank[id(node)] = rank
            for o in node.output:
                self.producer[o] = node
            for i in node.input:
                self.consumers.setdefault(i, []).append(node)

    def only_consumer(self, tensor: str) -> onnx.NodeProto | None:
        """The single node reading ``tensor`` (None if several, none, or a graph output)."""
        users = self.consumers.get(tensor, [])
        return users[0] if len(users) == 1 and tensor not in self.outputs else None

    def scalar(self, name: str) -> float | None:
        c = self.consts.get(name)
        if c is None or np.size(c) != 1 or np.asarray(c).dtype.kind not in "fiu":
            return None
        return float(np.asarray(c).reshape(()))

    def dynamic_inputs(self, node: onnx.NodeProto) -> list[str]:
        return [i for i in node.input if i and i not in self.consts]

    def attrs(self, node: onnx.NodeProto) -> dict:
        return {a.name: helper.get_attribute_value(a) for a in node.attribute}

    def replace(self, old: list[onnx.NodeProto], new: onnx.NodeProto) -> None:
        """Put ``new`` where the last of ``old`` was and drop ``old``; update the maps.

        The maps end as a rebuild from the new node list would make them
        (consumers in node order), at the cost of the nodes touched only.
        """
        ids = {id(n) for n in old}
        last = max(old, key=lambda n: self._rank[id(n)])
        self.nodes = [new if n is last else n for n in self.nodes if n is last or id(n) not in ids]
        rank = self._rank[id(last)]
        for n in old:
            self._rank.pop(id(n), None)
        self._rank[id(new)] = rank
        for node in old:
            for o in node.output:
                if self.producer.get(o) is node:
                    del self.producer[o]
            for i in node.input:
                users = self.consumers.get(i)
                if users is not None:
                    users[:] = [u for u in users if id(u) not in ids]
                    if not users:
                        del self.consumers[i]
        for o in new.output:
            self.producer[o] = new
        for i in new.input:
            users = self.consumers.setdefault(i, [])
            at = next((k for k, u in enumerate(users) if self._rank[id(u)] > rank), len(users))
            users.insert(at, new)
        if any("" in n.input or "" in n.output for n in [*old, new]):
            self._refresh("")  # the one name several nodes may share (an absent optional input or output)

    def _refresh(self, name: str) -> None:
        """Producer and consumers of ``name`` recomputed from the node list."""
        self.producer.pop(name, None)
        self.consumers.pop(name, None)
        for node in self.nodes:
            if name in node.output:
                self.producer[name] = node
            for i in node.input:
                if i == name:
                    self.consumers.setdefault(name, []).append(node)
