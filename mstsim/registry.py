"""Type-keyed registries (ANN forwards, engine operators): one entry per node type."""
from __future__ import annotations

from typing import Callable

from .ir.errors import GraphError


class TypeRegistry(dict):
    """Maps a node type to its implementation; registering a type twice is an error."""

    def __init__(self, what: str) -> None:
        super().__init__()
        self.what = what

    def register(self, node_type: type) -> Callable:
        def wrap(impl):
            if node_type in self:
                raise GraphError(f"{self.what} for {node_type.__name__} registered twice")
            self[node_type] = impl
            return impl

        return wrap

    def lookup(self, node) -> Callable:
        impl = self.get(type(node))
        if impl is None:
            raise GraphError(f"node {node.name!r}: no {self.what} for {type(node).__name__} nodes")
        return impl
