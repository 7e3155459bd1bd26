"""The base of every IR node.

A node is a dataclass holding its parameters as NumPy arrays and the names of
the nodes that feed it. Shapes are per sample (no batch axis) and static.
The graph calls :meth:`Node.infer_shape` and :meth:`Node.output_kind` once,
when the node is added, so a bad shape is reported at construction time with
both node names.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .errors import GraphError, ShapeMismatch

EVENT = "event"
ANALOG = "analog"

Shape = tuple[int, ...]


@dataclass(eq=False)
class Node:
    """A node of the IR: a name and the names of its inputs, in order."""

    name: str
    inputs: tuple[str, ...]

    #: how many inputs the node takes; None means one or more
    arity: ClassVar[int | None] = 1

    def __post_init__(self) -> None:
        self.inputs = tuple(self.inputs)
        if not isinstance(self.name, str) or not self.name:
            raise GraphError(f"a {type(self).__name__} node needs a non-empty name")
        if self.arity is not None and len(self.inputs) != self.arity:
            raise GraphError(
                f"node {self.name!r} ({type(self).__name__}) takes {self.arity} input(s), "
                f"got {len(self.inputs)}: {list(self.inputs)}"
            )
        if self.arity is None and not self.inputs:
            raise GraphError(f"node {self.name!r} ({type(self).__name__}) needs at least one input")
        self.validate()

    # -- hooks for subclasses ------------------------------------------------
    def validate(self) -> None:
        """Check parameters that do not depend on input shapes."""

    def infer_shape(self, in_shapes: list[Shape]) -> Shape:
        """Per-sample output shape from the input shapes (raise ShapeMismatch)."""
        raise NotImplementedError

    def output_kind(self, in_kinds: list[str]) -> str:
        """EVENT or ANALOG: synaptic nodes turn events into analog accumulators."""
        return ANALOG

    # -- helpers ----------------------------------------------------------------
    def mismatch(self, message: str, input_index: int = 0) -> ShapeMismatch:
        src = self.inputs[input_index] if self.inputs else "<none>"
        return ShapeMismatch(f"node {self.name!r} ({type(self).__name__}) fed by {src!r}: {message}")

    def bad(self, message: str) -> GraphError:
        return GraphError(f"node {self.name!r} ({type(self).__name__}): {message}")


def as_array(value, name: str, node: str, ndim: int | None = None, dtype=np.float64) -> np.ndarray:
    """Convert a parameter to a contiguous array, checking its rank."""
    arr = np.ascontiguousarray(np.asarray(value, dtype=dtype))
    if ndim is not None and arr.ndim != ndim:
        raise GraphError(f"node {node!r}: {name} must have {ndim} dimension(s), got shape {arr.shape}")
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        raise GraphError(f"node {node!r}: {name} holds NaN or infinite values")
    return arr


def pair(value, name: str, node: str) -> tuple[int, int]:
    """Accept an int or a pair of ints (stride, dilation, kernel size)."""
    if np.isscalar(value):
        value = (value, value)
    out = tuple(int(v) for v in value)
    if len(out) != 2:
        raise GraphError(f"node {node!r}: {name} must be an int or a pair, got {value!r}")
    return out  # type: ignore[return-value]


def quad(value, name: str, node: str) -> tuple[int, int, int, int]:
    """Padding as (top, left, bottom, right) from an int, a pair or four ints."""
    if np.isscalar(value):
        value = (value,) * 4
    value = tuple(int(v) for v in value)
    if len(value) == 2:
        value = (value[0], value[1], value[0], value[1])
    if len(value) != 4 or min(value) < 0:
        raise GraphError(f"node {node!r}: {name} must be >= 0 as int, pair or (top, left, bottom, right), got {value!r}")
    return value  # type: ignore[return-value]
