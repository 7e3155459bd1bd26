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
        for node in self.nodes:
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
        """Put ``new`` where the last of ``old`` was and drop ``old``; refresh the maps."""
        ids = {id(n) for n in old}
        last = max(i for i, n in enumerate(self.nodes) if id(n) in ids)
        self.nodes[last] = new
        self.nodes = [n for n in self.nodes if id(n) not in ids]
        self.__init__(self.nodes, self.consts, self.outputs, self.source)
