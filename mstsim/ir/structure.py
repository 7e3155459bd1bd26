"""Nodes that carry no synapses: the graph's input, sums and the read-out."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from .base import ANALOG, EVENT, Node, Shape


@dataclass(eq=False)
class Input(Node):
    """The network input, one tensor of ``shape`` per sample and step.

    ``kind`` is ANALOG for direct encoding (the same image every step, as MST
    feeds images) or EVENT for a per-step event stream (neuromorphic data).
    """

    inputs: tuple[str, ...] = ()
    shape: tuple[int, ...] = ()
    kind: str = ANALOG

    arity: ClassVar[int | None] = 0

    def validate(self) -> None:
        self.shape = tuple(int(n) for n in self.shape)
        if not self.shape or min(self.shape) < 1:
            raise self.bad(f"shape must be non-empty with positive sizes, got {self.shape}")
        if self.kind not in (ANALOG, EVENT):
            raise self.bad(f"kind must be {ANALOG!r} or {EVENT!r}, got {self.kind!r}")

    def infer_shape(self, in_shapes: list[Shape]) -> Shape:
        return self.shape

    def output_kind(self, in_kinds: list[str]) -> str:
        return self.kind


@dataclass(eq=False)
class Add(Node):
    """Elementwise sum of inputs of one shape (residual connections).

    ``y = x_1 + x_2 + ...``

    If every input is an event tensor the sum is an event tensor too: the
    events are merged unchanged and the receiving node accumulates them (no
    operation is spent here). If any input is analog the result is analog:
    each event is one AC into the dense sum, and each analog operand after the
    first costs one element operation per element.
    """

    arity: ClassVar[int | None] = None

    def infer_shape(self, in_shapes: list[Shape]) -> Shape:
        for i, shape in enumerate(in_shapes[1:], start=1):
            if shape != in_shapes[0]:
                raise self.mismatch(f"input {self.inputs[0]!r} has shape {in_shapes[0]}, "
                                    f"input {self.inputs[i]!r} has shape {shape}", i)
        return in_shapes[0]

    def output_kind(self, in_kinds: list[str]) -> str:
        return EVENT if all(k == EVENT for k in in_kinds) else ANALOG


@dataclass(eq=False)
class Output(Node):
    """The read-out: ``out_t = sum_{s <= t} x_s`` (running sum of the logits).

    The prediction at step t is the argmax of ``out_t``. Costs nothing.
    """

    def infer_shape(self, in_shapes: list[Shape]) -> Shape:
        return in_shapes[0]

    def output_kind(self, in_kinds: list[str]) -> str:
        return ANALOG
