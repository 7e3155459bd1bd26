"""Attention nodes: the product of two dynamic tensors and the RSM mask."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .base import ANALOG, Node, Shape


@dataclass(eq=False)
class MatMul(Node):
    """``y = a @ b`` of two dynamic tensors, batched over leading axes.

    NumPy ``matmul`` semantics on per-sample shapes: ``a (..., M, K)``,
    ``b (..., K, N)`` -> ``(..., M, N)``, leading axes broadcast; e.g.
    ``q @ k^T`` per window and head. In the SNN the product is taken per
    step (``q_t k_t^T``, as in MST), which is not the product of the time
    averages, hence not spike-equivalent.
    """

    arity: ClassVar[int | None] = 2
    spike_equivalent: ClassVar[bool] = False

    def infer_shape(self, in_shapes: list[Shape]) -> Shape:
        a, b = in_shapes
        if len(a) < 2 or len(b) < 2:
            raise self.mismatch(f"needs operands of rank >= 2, got {a} and {b}")
        if a[-1] != b[-2]:
            raise self.mismatch(f"inner dimensions differ: {a} @ {b}", 1)
        try:
            lead = tuple(np.broadcast_shapes(a[:-2], b[:-2]))
        except ValueError:
            raise self.mismatch(f"leading axes of {a} and {b} do not broadcast", 1) from None
        return lead + (a[-2], b[-1])

    def output_kind(self, in_kinds: list[str]) -> str:
        return ANALOG


@dataclass(eq=False)
class Mask(Node):
    """Random Spike Masking: ``y = x * (u >= ratio)``, ``u ~ U[0, 1)`` per element.

    Each element (per sample and step) is kept with probability
    ``1 - ratio``, with no rescaling. ``u`` comes from the counter-based
    hash in :mod:`mstsim.masking` of (seed, sample id, node name, step,
    element), so results do not depend on batching. ``site`` names where the
    mask sits (the ONNX tensor it came from, or a user label). The output
    kind is the input's: masking an event tensor drops events.
    """

    ratio: float = 0.0
    site: str = ""

    spike_equivalent: ClassVar[bool] = True  # a masked spike is simply lost, in both modes

    def validate(self) -> None:
        self.ratio = float(self.ratio)
        if not 0.0 <= self.ratio <= 1.0:
            raise self.bad(f"ratio must be in [0, 1], got {self.ratio}")

    def infer_shape(self, in_shapes: list[Shape]) -> Shape:
        return in_shapes[0]

    def output_kind(self, in_kinds: list[str]) -> str:
        return in_kinds[0]
