"""Integrate-and-Fire neurons: the spiking form of a QCFS activation."""
from __future__ import annotations

import math
from dataclasses import dataclass

from .base import EVENT, Node, Shape


@dataclass(eq=False)
class IF(Node):
    """Integrate-and-Fire neuron with reset by subtraction (one scalar theta).

    Per step t, for every element::

        v <- v + x_t
        s_t = 1 if v >= theta else 0
        v <- v - theta * s_t
        y_t = theta * s_t            (an event of amplitude theta)

    with ``v(0) = v_init``, by default theta / 2. In ANN mode the node is the
    QCFS activation it was converted from, with lam = theta::

        y = theta * clip(floor(x * L / theta + 1/2) / L, 0, 1)

    For a constant input z the SNN emits ``clip(floor(T z / theta + 1/2), 0, T)``
    spikes in T steps, so at T = L its mean output equals the QCFS output.
    """

    theta: float = 1.0
    v_init: float | None = None
    levels: int | None = None  # QCFS L; needed only for ANN mode

    def validate(self) -> None:
        self.theta = float(self.theta)
        if not (math.isfinite(self.theta) and self.theta > 0):
            raise self.bad(f"theta must be finite and > 0, got {self.theta}")
        self.v_init = self.theta / 2 if self.v_init is None else float(self.v_init)
        if not math.isfinite(self.v_init):
            raise self.bad("v_init must be finite")
        if self.levels is not None:
            self.levels = int(self.levels)
            if self.levels < 1:
                raise self.bad(f"levels (QCFS L) must be >= 1, got {self.levels}")

    def infer_shape(self, in_shapes: list[Shape]) -> Shape:
        return in_shapes[0]

    def output_kind(self, in_kinds: list[str]) -> str:
        return EVENT
