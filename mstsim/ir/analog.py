"""Analog per-step operations: no synapses, applied densely at every step.

In the SNN these run on each step's values (as the MST reference code does
with softmax, LayerNorm, bias adds); they cost element operations, not ACs.
``spike_equivalent`` says whether the op commutes with averaging over time
(affine maps do; softmax, LayerNorm, Gelu, MaxPool, ReLU do not), i.e.
whether the SNN's mean output still equals the ANN's in the limit.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, ClassVar

import numpy as np

from .base import ANALOG, Node, Shape, as_array, pair, quad
from .synaptic import conv_out_size


def _erf(x: np.ndarray) -> np.ndarray:
    from scipy.special import erf  # here: importing scipy.special costs ~0.35 s at every start
    return erf(x).astype(x.dtype, copy=False)


#: op name -> (numpy function, number of operands, affine in its operands?)
ELEMENTWISE: dict[str, tuple[Callable, int, bool]] = {
    "add": (np.add, 2, True), "sub": (np.subtract, 2, True),
    "mul": (np.multiply, 2, False), "div": (np.divide, 2, False),
    "pow": (np.power, 2, False), "max": (np.maximum, 2, False), "min": (np.minimum, 2, False),
    "equal": (lambda a, b: (a == b).astype(a.dtype), 2, False),
    "greater": (lambda a, b: (a > b).astype(a.dtype), 2, False),
    "less": (lambda a, b: (a < b).astype(a.dtype), 2, False),
    "where": (lambda c, a, b: np.where(c != 0, a, b), 3, False),
    "clip": (lambda x, lo, hi: np.minimum(np.maximum(x, lo), hi), 3, False),
    "relu": (lambda x: np.maximum(x, 0), 1, False), "erf": (_erf, 1, False),
    "floor": (np.floor, 1, False), "round": (np.round, 1, False),  # ONNX Round: half to even, as NumPy
    "sqrt": (np.sqrt, 1, False), "exp": (np.exp, 1, False), "tanh": (np.tanh, 1, False),
    "neg": (np.negative, 1, True), "abs": (np.abs, 1, False), "reciprocal": (np.reciprocal, 1, False),
    "trunc": (np.trunc, 1, False), "ne0": (lambda x: (x != 0).astype(x.dtype), 1, False),
}


@dataclass(eq=False)
class Elementwise(Node):
    """``y = f(a_0, ..., a_{n-1})`` elementwise with NumPy broadcasting.

    ``operands[i]`` is either an int (index into ``inputs``) or a constant
    array (relative position bias, shift mask, attention scale, ...). ``f``
    is ``ELEMENTWISE[op]``: add, sub, mul, div, pow, max, min, equal, greater,
    less, where (``where(a_0 != 0, a_1, a_2)``), clip (``min(max(a_0, a_1), a_2)``), relu, erf, floor, round,
    sqrt, exp, tanh, neg, abs, reciprocal, trunc, ne0. Shapes are per sample;
    constants broadcast against the per-sample shape.

    Spike-equivalent only when affine in its inputs: a sum or difference, a
    product or quotient by a constant (``a / c``), negation.
    """

    op: str = "add"
    operands: tuple = ()

    arity: ClassVar[int | None] = None

    def validate(self) -> None:
        if self.op not in ELEMENTWISE:
            raise self.bad(f"unknown elementwise op {self.op!r}; known: {sorted(ELEMENTWISE)}")
        ops = tuple(self.operands) or tuple(range(len(self.inputs)))
        n = ELEMENTWISE[self.op][1]
        if len(ops) != n:
            raise self.bad(f"{self.op} takes {n} operand(s), got {len(ops)}")
        fixed = []
        for o in ops:
            if isinstance(o, (int, np.integer)) and not isinstance(o, bool):
                if not 0 <= int(o) < len(self.inputs):
                    raise self.bad(f"operand index {o} out of range for {len(self.inputs)} input(s)")
                fixed.append(int(o))
            else:
                fixed.append(as_array(o, "constant operand", self.name))
        if sorted(o for o in fixed if isinstance(o, int)) != list(range(len(self.inputs))):
            raise self.bad("every input must be used exactly once as an operand")
        self.operands = tuple(fixed)

    @property
    def spike_equivalent(self) -> bool:
        if ELEMENTWISE[self.op][2]:
            return True
        const = [isinstance(o, np.ndarray) for o in self.operands]
        return (self.op == "mul" and any(const)) or (self.op == "div" and const == [False, True])

    def infer_shape(self, in_shapes: list[Shape]) -> Shape:
        shapes = [in_shapes[o] if isinstance(o, int) else o.shape for o in self.operands]
        try:
            return tuple(np.broadcast_shapes(*shapes))
        except ValueError:
            raise self.mismatch(f"operand shapes {shapes} do not broadcast") from None


@dataclass(eq=False)
class Softmax(Node):
    """``y = exp(x - max_a x) / sum_a exp(x - max_a x)`` along ``axis`` (per step)."""

    axis: int = -1
    spike_equivalent: ClassVar[bool] = False

    def infer_shape(self, in_shapes: list[Shape]) -> Shape:
        if not -len(in_shapes[0]) <= self.axis < len(in_shapes[0]):
            raise self.mismatch(f"axis {self.axis} out of range for {in_shapes[0]}")
        return in_shapes[0]


@dataclass(eq=False)
class LayerNorm(Node):
    """Normalise over the axes from ``axis`` on, then scale and shift::

        mu = mean(x), var = mean((x - mu)^2)
        y = (x - mu) / sqrt(var + eps) * weight + bias

    ``weight`` and ``bias`` broadcast against the normalised axes.
    """

    axis: int = -1
    eps: float = 1e-5
    weight: np.ndarray | None = None
    bias: np.ndarray | None = None
    spike_equivalent: ClassVar[bool] = False

    def validate(self) -> None:
        self.axis, self.eps = int(self.axis), float(self.eps)
        if self.weight is not None:
            self.weight = as_array(self.weight, "weight", self.name)
        if self.bias is not None:
            self.bias = as_array(self.bias, "bias", self.name)

    def norm_axes(self, ndim: int) -> tuple[int, ...]:
        return tuple(range(self.axis % ndim, ndim))

    def infer_shape(self, in_shapes: list[Shape]) -> Shape:
        shape = in_shapes[0]
        if not -len(shape) <= self.axis < len(shape):
            raise self.mismatch(f"axis {self.axis} out of range for {shape}")
        inner = shape[self.axis % len(shape):]
        for name, p in (("weight", self.weight), ("bias", self.bias)):
            if p is not None and np.broadcast_shapes(p.shape, inner) != tuple(inner):
                raise self.mismatch(f"{name} shape {p.shape} does not broadcast to {inner}")
        return shape


@dataclass(eq=False)
class Gelu(Node):
    """``y = x/2 (1 + erf(x/sqrt 2))``, or the tanh approximation when ``approximate == 'tanh'``."""

    approximate: str = "none"
    spike_equivalent: ClassVar[bool] = False

    def validate(self) -> None:
        if self.approximate not in ("none", "tanh"):
            raise self.bad(f"approximate must be 'none' or 'tanh', got {self.approximate!r}")

    def infer_shape(self, in_shapes: list[Shape]) -> Shape:
        return in_shapes[0]


@dataclass(eq=False)
class MaxPool2d(Node):
    """``y[c, oy, ox] = max_{ky, kx} x[c, oy*s_h - p_top + ky*d_h, ox*s_w - p_left + kx*d_w]``.

    Padding never wins (it is -inf). Not spike-equivalent: the max of time
    averages is not the time average of per-step maxima.
    """

    kernel: tuple[int, int] = (2, 2)
    stride: tuple[int, int] | None = None
    padding: tuple[int, int, int, int] = (0, 0, 0, 0)
    dilation: tuple[int, int] = (1, 1)
    spike_equivalent: ClassVar[bool] = False

    def validate(self) -> None:
        self.kernel = pair(self.kernel, "kernel", self.name)
        self.stride = pair(self.stride if self.stride is not None else self.kernel, "stride", self.name)
        self.dilation = pair(self.dilation, "dilation", self.name)
        self.padding = quad(self.padding, "padding", self.name)

    def infer_shape(self, in_shapes: list[Shape]) -> Shape:
        shape = in_shapes[0]
        if len(shape) != 3:
            raise self.mismatch(f"expects (C, H, W), got {shape}")
        pt, pl, pb, pr = self.padding
        ho = conv_out_size(shape[1], self.kernel[0], self.stride[0], self.dilation[0], pt, pb)
        wo = conv_out_size(shape[2], self.kernel[1], self.stride[1], self.dilation[1], pl, pr)
        if ho < 1 or wo < 1:
            raise self.mismatch(f"pool {self.kernel} does not fit input {shape}")
        return (shape[0], ho, wo)


for _cls in (Elementwise, Softmax, LayerNorm, Gelu, MaxPool2d):
    _cls.output_kind = lambda self, in_kinds: ANALOG  # type: ignore[method-assign]
